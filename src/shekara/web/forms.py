"""Form fields named like the API's JSON paths (``seizures[0].quantity``), and error messages.

A form is turned into the same nested dict the API receives, validated by the same Pydantic
schema and saved by the same service, so an error's field path names the form input it belongs
to. Messages say what to do, in the user's language.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from shekara.errors import AppError, ValidationFailed
from shekara.web.i18n import N_, Translator

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
LIST_FIELDS = frozenset(
    {"partner_countries", "partner_agencies", "nationalities", "transit_countries"}
)
CONTROL_FIELDS = frozenset({"csrf_token", "action", "next"})


def slug(path: str) -> str:
    """An HTML id for a field path: ``seizures[0].quantity`` -> ``seizures-0-quantity``."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", path).strip("-")


def _split(path: str) -> list[str | int]:
    return [int(i) if i else k for k, i in _PART.findall(path)]


def flat(form: FormData) -> dict[str, str]:
    """The posted values as typed (for re-displaying the form)."""
    return {k: v for k, v in form.multi_items() if isinstance(v, str) and k not in CONTROL_FIELDS}


def nest(values: dict[str, str]) -> dict[str, Any]:
    """``{"seizures[0].unit": "kg"}`` -> ``{"seizures": [{"unit": "kg"}]}``; blanks omitted."""
    out: dict[str, Any] = {}
    for path, raw in values.items():
        value = raw.strip()
        if value == "":
            continue
        parts = _split(path)
        node: Any = out
        for here, nxt in zip(parts, parts[1:], strict=False):
            if isinstance(here, int):
                while len(node) <= here:
                    node.append({})
                node = node[here]
            else:
                node = node.setdefault(here, [] if isinstance(nxt, int) else {})
        last = parts[-1]
        if isinstance(last, str) and last in LIST_FIELDS:
            node[last] = [c.strip() for c in re.split(r"[,\s]+", value) if c.strip()]
        elif isinstance(last, str):
            node[last] = value
    return _drop_empty_rows(out)


def _drop_empty_rows(data: dict[str, Any]) -> dict[str, Any]:
    for key, value in list(data.items()):
        if isinstance(value, list) and value and isinstance(value[0], dict):
            data[key] = [row for row in value if any(v not in ("", None) for v in row.values())]
    return data


def loc_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for p in loc:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else p
    return out


FIELD_LABELS: dict[str, str] = {
    "category": N_("Category"),
    "occurred_at": N_("Date and time (UTC)"),
    "summary": N_("Summary"),
    "description": N_("Description"),
    "reference": N_("Your reference"),
    "place_id": N_("Checkpoint"),
    "border_section_id": N_("Border section"),
    "lat": N_("Latitude"),
    "lon": N_("Longitude"),
    "commodity": N_("Commodity"),
    "quantity": N_("Quantity"),
    "unit": N_("Unit"),
    "concealment": N_("Concealment"),
    "detection": N_("Detected by"),
    "person_id": N_("Person"),
    "role": N_("Role"),
    "distribution": N_("Shared with"),
    "partner_countries": N_("Partner countries"),
    "handling_code": N_("Handling code"),
    "handling_note": N_("Handling note"),
    "source_reliability": N_("Source reliability"),
    "info_credibility": N_("Information credibility"),
    "code": N_("Code"),
    "name": N_("Name"),
    "name_en": N_("Name (English)"),
    "name_ru": N_("Name (Russian)"),
    "name_kk": N_("Name (Kazakh)"),
    "country": N_("Country"),
    "kind": N_("Kind"),
    "contact": N_("Contact"),
    "username": N_("Username"),
    "display_name": N_("Full name"),
    "agency": N_("Agency"),
    "password": N_("Initial password"),
    "locale": N_("Language"),
    "quantity_kind": N_("Measured as"),
    "partner_agencies": N_("Partner agencies"),
    "names": N_("Names"),
    "full_name": N_("Name"),
    "sex": N_("Sex"),
    "birth_year": N_("Year of birth"),
    "birth_month": N_("Month of birth"),
    "birth_day": N_("Day of birth"),
    "birth_place": N_("Place of birth"),
    "nationalities": N_("Nationalities"),
    "notes": N_("Notes"),
    "plate": N_("Plate"),
    "vin": N_("VIN"),
    "make": N_("Make"),
    "model": N_("Model"),
    "colour": N_("Colour"),
    "tracker_id": N_("Tracker"),
    "seal_id": N_("Seal"),
    "number": N_("Number"),
    "issuing_country": N_("Issuing country"),
    "issued_on": N_("Issued on"),
    "expires_on": N_("Expires on"),
    "origin_country": N_("From (country)"),
    "destination_country": N_("To (country)"),
    "transit_countries": N_("Through"),
    "status": N_("Status"),
    "to_agency": N_("New owner agency"),
    "geometry": N_("Geometry (GeoJSON)"),
    "impact_level": N_("Impact level"),
}
GROUP_LABELS: dict[str, str] = {
    "seizures": N_("Seizure %(n)s"),
    "involvements": N_("Person %(n)s"),
    "names": N_("Name %(n)s"),
}


def field_label(path: str, t: Translator) -> str:
    """``seizures[0].quantity`` -> "Seizure 1 · Quantity", in the user's language."""
    parts = _split(path)
    out: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, int):
            continue
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if isinstance(nxt, int) and part in GROUP_LABELS:
            out.append(t.gettext(GROUP_LABELS[part], n=nxt + 1))
        elif part in FIELD_LABELS:
            out.append(t.gettext(FIELD_LABELS[part]))
    return " · ".join(out)


_PYDANTIC: dict[str, str] = {
    "missing": N_("Fill this in."),
    "string_too_short": N_("Fill this in."),
    "too_short": N_("Add at least one."),
    "string_too_long": N_("Shorten this to at most %(max_length)s characters."),
    "decimal_parsing": N_("Enter a number, for example 12.5."),
    "float_parsing": N_("Enter a number, for example 12.5."),
    "int_parsing": N_("Enter a whole number."),
    "greater_than_equal": N_("Enter %(ge)s or more."),
    "less_than_equal": N_("Enter %(le)s or less."),
    "decimal_max_places": N_("Use at most %(decimal_places)s decimal places."),
    "datetime_parsing": N_("Enter a date and time such as 2024-05-14 06:30."),
    "datetime_from_date_parsing": N_("Enter a date and time such as 2024-05-14 06:30."),
    "timezone_aware": N_("Enter a date and time such as 2024-05-14 06:30."),
    "enum": N_("Choose one of the listed values."),
    "literal_error": N_("Choose one of the listed values."),
    "uuid_parsing": N_("Choose a record from the list."),
    "string_pattern_mismatch": N_("Use only the allowed characters (see the hint)."),
    "bool_parsing": N_("Tick the box or leave it empty."),
}


def pydantic_errors(exc: ValidationError, t: Translator) -> dict[str, str]:
    """Field path -> message saying what to do."""
    out: dict[str, str] = {}
    for e in exc.errors():
        path = loc_path(tuple(e.get("loc", ())))
        template = _PYDANTIC.get(e.get("type", ""))
        ctx = {k: v for k, v in (e.get("ctx") or {}).items() if isinstance(v, int | float | str)}
        if template:
            try:
                msg = t.gettext(template, **ctx) if "%(" in template else t.gettext(template)
            except KeyError:
                msg = t.gettext(template.split("%(")[0].strip())
        else:
            detail = str(e.get("msg", "")).removeprefix("Value error, ")
            msg = t.gettext("Check this value: %(detail)s", detail=detail)
        out.setdefault(path, msg)
    return out


def service_errors(exc: AppError, t: Translator) -> dict[str, str]:
    """Errors raised by the service (vocabularies, references, conflicts), by field path."""
    items = (
        exc.errors
        if isinstance(exc, ValidationFailed)
        else [{"field": exc.field or "", "message": exc.detail}]
    )
    out: dict[str, str] = {}
    for e in items:
        field = str(e.get("field") or "")
        raw = str(e.get("message", ""))
        if raw.startswith("unknown") and "allowed" in raw:
            msg = t.gettext("Choose one of the listed values.")
        elif raw.startswith(("no such record", "no such place", "no such checkpoint")):
            msg = t.gettext(
                "Choose a record from the list; this one does not exist or you may not see it."
            )
        elif "named partners need" in raw:
            msg = t.gettext(
                "Named partner countries need the distribution “Own country and "
                "named partners”. Change one of the two."
            )
        else:
            msg = t.gettext("Check this value: %(detail)s", detail=raw)
        out.setdefault(field, msg)
    return out
