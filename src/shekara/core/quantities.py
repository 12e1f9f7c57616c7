"""Normalisation of seized quantities to kg, litres, pieces or an amount of a currency."""

from __future__ import annotations

from decimal import Decimal

from shekara.errors import ValidationFailed

# unit -> (normalised unit, factor)
UNITS: dict[str, tuple[str, Decimal]] = {
    "mg": ("kg", Decimal("0.000001")),
    "g": ("kg", Decimal("0.001")),
    "kg": ("kg", Decimal(1)),
    "t": ("kg", Decimal(1000)),
    "ml": ("l", Decimal("0.001")),
    "l": ("l", Decimal(1)),
    "m3": ("l", Decimal(1000)),
    "pcs": ("pcs", Decimal(1)),
    "pack": ("pcs", Decimal(1)),
    "carton": ("pcs", Decimal(200)),  # cigarettes: 10 packs of 20
}
QUANTITY_KINDS = {"mass": "kg", "volume": "l", "count": "pcs"}
CURRENCIES = frozenset(
    {"KZT", "RUB", "USD", "EUR", "BYN", "KGS", "UZS", "TJS", "TMT", "CNY", "AFN", "AZN", "AMD"}
)


def normalise(quantity: Decimal, unit: str, kind: str | None, field: str) -> tuple[Decimal, str]:
    """Return (normalised quantity, normalised unit); money keeps its currency code."""
    if quantity < 0:
        raise ValidationFailed([{"field": f"{field}.quantity", "message": "must not be negative"}])
    u = unit.strip()
    if kind == "money" or u.upper() in CURRENCIES:
        if u.upper() not in CURRENCIES:
            raise ValidationFailed(
                [
                    {
                        "field": f"{field}.unit",
                        "message": f"money needs a currency code ({', '.join(sorted(CURRENCIES))})",
                    }
                ]
            )
        return quantity, u.upper()
    if u.lower() not in UNITS:
        raise ValidationFailed(
            [
                {
                    "field": f"{field}.unit",
                    "message": f"unknown unit {unit!r}; use one of {', '.join(UNITS)}",
                }
            ]
        )
    norm, factor = UNITS[u.lower()]
    if kind and QUANTITY_KINDS.get(kind) not in (None, norm):
        raise ValidationFailed(
            [{"field": f"{field}.unit", "message": f"unit {unit!r} does not measure {kind}"}]
        )
    return (quantity * factor).quantize(Decimal("0.0001")), norm
