"""ICAO Doc 9303 machine readable zones: TD1 (3 x 30), TD2 (2 x 36), TD3 (2 x 44), and the
visas MRV-A (2 x 44) and MRV-B (2 x 36).

:func:`parse_mrz` never raises on bad input: it returns an :class:`MRZResult` whose ``errors``
name the field at fault (``{"field": "birth_date", "code": "check_digit"}``), so a checkpoint
screen can show what to re-read.

Check digits (9303 Part 3, 4.9): characters valued 0-9 for digits, A=10 ... Z=35, filler "<" = 0,
weighted 7, 3, 1 repeating, sum modulo 10.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Final

__all__ = ["MRZError", "MRZResult", "check_digit", "parse_mrz", "split_mrz_name"]

_WEIGHTS: Final = (7, 3, 1)
_VALID_RE: Final = re.compile(r"^[A-Z0-9<]+$")


def _char_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    if ch == "<":
        return 0
    raise ValueError(f"invalid MRZ character {ch!r}")


def check_digit(data: str) -> str:
    """ICAO 9303 check digit of ``data`` (``"L898902C3"`` -> ``"6"``)."""
    total = sum(_char_value(ch) * _WEIGHTS[i % 3] for i, ch in enumerate(data))
    return str(total % 10)


@dataclass(frozen=True)
class MRZError:
    """A problem with one field: ``code`` is check_digit, format, length or charset."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class MRZResult:
    format: str  # "TD1", "TD2", "TD3", "MRVA", "MRVB" (visas) or "unknown"
    document_type: str = ""
    issuing_state: str = ""
    surname: str = ""
    given_names: str = ""
    document_number: str = ""
    nationality: str = ""
    birth_date: str | None = None  # ISO date, or partial ("1974") when day/month are "<<"
    sex: str = ""  # "M", "F" or "" (unspecified)
    expiry_date: str | None = None
    optional_data: str = ""
    optional_data_2: str = ""
    errors: tuple[MRZError, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def full_name(self) -> str:
        """ "SURNAME GIVEN NAMES" as printed in the zone (spaces instead of fillers)."""
        return " ".join(p for p in (self.surname, self.given_names) if p)


def split_mrz_name(field_text: str) -> tuple[str, str]:
    """Primary (surname) and secondary (given names) identifiers of an MRZ name field:
    ``"ERIKSSON<<ANNA<MARIA<<<"`` -> ``("ERIKSSON", "ANNA MARIA")``."""
    primary, _, secondary = field_text.partition("<<")
    return _clean_name(primary), _clean_name(secondary)


def _clean_name(text: str) -> str:
    return " ".join(p for p in text.split("<") if p)


def _date(
    raw: str, name: str, errors: list[MRZError], *, future: bool, today: dt.date
) -> str | None:
    if not re.fullmatch(r"[0-9<]{6}", raw):
        errors.append(MRZError(name, "format", f"{name} must be YYMMDD, got {raw!r}"))
        return None
    yy = raw[:2]
    if not yy.isdigit():
        return None
    year = 2000 + int(yy)
    if future:  # expiry: up to 50 years ahead
        if year > today.year + 50:
            year -= 100
    elif year > today.year:  # birth: never in the future
        year -= 100
    mm, dd = raw[2:4], raw[4:6]
    if not mm.isdigit():
        return f"{year:04d}"
    if not dd.isdigit():
        return f"{year:04d}-{mm}"
    try:
        return dt.date(year, int(mm), int(dd)).isoformat()
    except ValueError:
        errors.append(MRZError(name, "format", f"{name} {raw!r} is not a calendar date"))
        return None


def _check(
    data: str, digit: str, name: str, errors: list[MRZError], *, optional: bool = False
) -> None:
    if optional and digit == "<" and set(data) <= {"<"}:
        return
    if digit != check_digit(data):
        errors.append(
            MRZError(name, "check_digit", f"check digit of {name} is {digit!r}, expected "
                     f"{check_digit(data)!r}")
        )  # fmt: skip


def _sex(raw: str, errors: list[MRZError]) -> str:
    if raw in ("M", "F"):
        return raw
    if raw in ("<", "X"):
        return ""
    errors.append(MRZError("sex", "format", f"sex must be M, F or <, got {raw!r}"))
    return ""


def _clean(text: str) -> str:
    return text.replace("<", " ").strip()


def _doc_number(number: str, digit: str, overflow: str, errors: list[MRZError]) -> str:
    """Document number; 9303 allows longer numbers to continue in the optional data field
    (check digit position holds "<", the rest plus its check digit open the optional field)."""
    if digit == "<" and overflow and overflow[0] != "<":
        rest = overflow.split("<", 1)[0]
        full, check = number + rest[:-1], rest[-1:]
        _check(full, check, "document_number", errors)
        return full.replace("<", "")
    _check(number, digit, "document_number", errors)
    return number.replace("<", "")


def parse_mrz(text: str, today: dt.date | None = None) -> MRZResult:
    """Parse a TD1, TD2 or TD3 machine readable zone (lines separated by newlines; spaces are
    ignored) and validate every check digit. ``today`` sets the century window for dates."""
    today = today or dt.date.today()
    lines = [re.sub(r"\s+", "", ln).upper() for ln in text.strip().splitlines() if ln.strip()]
    errors: list[MRZError] = []
    shape = tuple(len(ln) for ln in lines)
    fmt = {(30, 30, 30): "TD1", (36, 36): "TD2", (44, 44): "TD3"}.get(shape, "unknown")
    if fmt == "unknown":
        return MRZResult(
            "unknown",
            errors=(MRZError("mrz", "length", f"lines of lengths {shape} are not TD1/TD2/TD3"),),
        )
    for i, ln in enumerate(lines):
        if not _VALID_RE.match(ln):
            errors.append(MRZError(f"line{i + 1}", "charset", "only A-Z, 0-9 and < are allowed"))
            return MRZResult(fmt, errors=tuple(errors))

    if fmt == "TD1":
        l1, l2, l3 = lines
        number = _doc_number(l1[5:14], l1[14], l1[15:30], errors)
        surname, given = split_mrz_name(l3)
        birth, expiry = l2[0:6], l2[8:14]
        _check(birth, l2[6], "birth_date", errors)
        _check(expiry, l2[14], "expiry_date", errors)
        _check(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29], "composite", errors)
        return MRZResult(
            fmt, _clean(l1[0:2]), _clean(l1[2:5]), surname, given, number, _clean(l2[15:18]),
            _date(birth, "birth_date", errors, future=False, today=today), _sex(l2[7], errors),
            _date(expiry, "expiry_date", errors, future=True, today=today),
            _clean(l1[15:30]), _clean(l2[18:29]), tuple(errors),
        )  # fmt: skip

    l1, l2 = lines
    if l1[0] == "V":  # machine readable visas: no optional-data or composite check digits
        return _parse_visa(l1, l2, "MRVB" if fmt == "TD2" else "MRVA", errors, today)
    name_end = 36 if fmt == "TD2" else 44
    surname, given = split_mrz_name(l1[5:name_end])
    opt_end = 35 if fmt == "TD2" else 42
    number = _doc_number(l2[0:9], l2[9], l2[28:opt_end] if fmt == "TD2" else "", errors)
    birth, expiry = l2[13:19], l2[21:27]
    _check(birth, l2[19], "birth_date", errors)
    _check(expiry, l2[27], "expiry_date", errors)
    if fmt == "TD3":
        _check(l2[28:42], l2[42], "optional_data", errors, optional=True)
        _check(l2[0:10] + l2[13:20] + l2[21:43], l2[43], "composite", errors)
    else:
        _check(l2[0:10] + l2[13:20] + l2[21:35], l2[35], "composite", errors)
    return MRZResult(
        fmt, _clean(l1[0:2]), _clean(l1[2:5]), surname, given, number, _clean(l2[10:13]),
        _date(birth, "birth_date", errors, future=False, today=today), _sex(l2[20], errors),
        _date(expiry, "expiry_date", errors, future=True, today=today),
        _clean(l2[28:opt_end]), "", tuple(errors),
    )  # fmt: skip


def _parse_visa(l1: str, l2: str, fmt: str, errors: list[MRZError], today: dt.date) -> MRZResult:
    """MRV-A (2 x 44) and MRV-B (2 x 36): the TD3/TD2 layout with optional data in place of the
    optional-data and composite check digits."""
    surname, given = split_mrz_name(l1[5:])
    _check(l2[0:9], l2[9], "document_number", errors)
    birth, expiry = l2[13:19], l2[21:27]
    _check(birth, l2[19], "birth_date", errors)
    _check(expiry, l2[27], "expiry_date", errors)
    return MRZResult(
        fmt, _clean(l1[0:2]), _clean(l1[2:5]), surname, given, l2[0:9].replace("<", ""),
        _clean(l2[10:13]), _date(birth, "birth_date", errors, future=False, today=today),
        _sex(l2[20], errors), _date(expiry, "expiry_date", errors, future=True, today=today),
        _clean(l2[28:]), "", tuple(errors),
    )  # fmt: skip
