"""Wialon IPS message fields: SD and D bodies to `Fix` and back.

SD: `Date;Time;Lat1;Lat2;Lon1;Lon2;Speed;Course;Alt;Sats`
D:  SD fields then `;HDOP;Inputs;Outputs;ADC;Ibutton;Params`

Dates are DDMMYY and times HHMMSS (fractions of a second accepted) in UTC; coordinates are NMEA
DDMM.MMMM;N and DDDMM.MMMM;E. Any field may be `NA`; NA date or time means server time. Each
error raises `FieldError` carrying the answer code the specification assigns to it.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from math import isfinite

from shekara.telemetry.protocols.errors import ProtocolError
from shekara.telemetry.protocols.fix import SEAL_ALARM_CODES, Alarm, Fix, ParamValue

PROTOCOL = "wialon_ips"
SD_FIELDS = 10
D_FIELDS = 16
NA = "NA"
RESERVED_PARAMS = ("inputs", "outputs", "ibutton")


class FieldError(ProtocolError):
    """A field that does not parse; `code` is the answer code (-1, 0, 10…15)."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


def _digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²', which int() refuses."""
    return text.isascii() and text.isdigit()


@lru_cache(maxsize=64)
def _date(date: str) -> tuple[int, int, int]:
    """DDMMYY to (year, month, day), cached: a device sends the same date all day."""
    if len(date) != 6 or not _digits(date):
        raise FieldError("0", f"bad date {date}")
    year, month, day = 2000 + int(date[4:6]), int(date[2:4]), int(date[0:2])
    if not 1 <= month <= 12 or not 1 <= day <= monthrange(year, month)[1]:
        raise FieldError("0", f"bad date {date}")
    return year, month, day


def _time(date: str, time: str, now: datetime) -> datetime:
    if date == NA or time == NA:
        return now
    year, month, day = _date(date)
    if len(time) < 6 or not _digits(time[:6]):
        raise FieldError("0", f"bad time {time}")
    micro = 0
    if len(time) > 6:
        if time[6] != "." or not _digits(time[7:]):
            raise FieldError("0", f"bad time {time}")
        micro = int((time[7:] + "000000")[:6])
    try:
        return datetime(
            year, month, day, int(time[0:2]), int(time[2:4]), int(time[4:6]), micro, tzinfo=UTC
        )
    except ValueError as exc:
        raise FieldError("0", f"bad time {time}") from exc


def _coord(value: str, hemi: str, positive: str, negative: str, limit: int) -> float | None:
    if value == NA or hemi == NA:
        return None
    dot = value.find(".")
    whole = value if dot < 0 else value[:dot]
    if len(whole) < 3 or not _digits(whole) or hemi not in (positive, negative):
        raise FieldError("10", f"bad coordinate {value};{hemi}")
    try:
        minutes = float(value[len(whole) - 2 :])
    except ValueError as exc:
        raise FieldError("10", f"bad coordinate {value}") from exc
    degrees = int(whole[:-2])
    result = degrees + minutes / 60
    if minutes >= 60 or result > limit:
        raise FieldError("10", f"coordinate {value} out of range")
    return -result if hemi == negative else result


def _float(value: str, code: str, name: str) -> float | None:
    if value == NA or value == "":
        return None
    try:
        result = float(value)
    except ValueError as exc:
        raise FieldError(code, f"bad {name} {value!r}") from exc
    if not isfinite(result):
        raise FieldError(code, f"bad {name} {value!r}")
    return result


def _int(value: str, code: str, name: str) -> int | None:
    if value == NA or value == "":
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise FieldError(code, f"bad {name} {value!r}") from exc


def parse_params(text: str) -> dict[str, ParamValue]:
    """`name:type:value,…` with type 1 integer, 2 double, 3 string; raises FieldError (15)."""
    params: dict[str, ParamValue] = {}
    if text == NA or text == "":
        return params
    for item in text.split(","):
        name, sep1, rest = item.partition(":")
        kind, sep2, value = rest.partition(":")
        if not (sep1 and sep2 and name):
            raise FieldError("15", f"bad parameter {item!r}")
        if kind == "1":
            params[name] = _int(value, "15", name) or 0
        elif kind == "2":
            number = _float(value, "15", name)
            params[name] = 0.0 if number is None else number
        elif kind == "3":
            params[name] = value
        else:
            raise FieldError("15", f"bad parameter type {item!r}")
    return params


_NO_ALARMS: frozenset[Alarm] = frozenset()


def derive_alarms(params: Mapping[str, ParamValue]) -> frozenset[Alarm]:
    """Alarms carried by Wialon parameters: `SOS` (non-zero) and `seal_alarm` (the customs
    seal alarm code 1…7)."""
    if not params or ("SOS" not in params and "sos" not in params and "seal_alarm" not in params):
        return _NO_ALARMS
    found: set[Alarm] = set()
    sos = params.get("SOS", params.get("sos"))
    if sos not in (None, 0, "0", False, ""):
        found.add(Alarm.SOS)
    seal = params.get("seal_alarm")
    if isinstance(seal, int) and not isinstance(seal, bool) and seal in SEAL_ALARM_CODES:
        found.add(SEAL_ALARM_CODES[seal])
    return frozenset(found)


def parse_body(body: str, kind: str, device_id: str, now: datetime, *, blackbox: bool) -> Fix:
    """An SD or D body (without CRC) to a Fix; raises FieldError with the answer code."""
    f = body.split(";")
    expected = SD_FIELDS if kind == "SD" else D_FIELDS
    if len(f) != expected:
        raise FieldError("-1", f"{kind} needs {expected} fields, got {len(f)}")
    fix_time = _time(f[0], f[1], now)
    lat = _coord(f[2], f[3], "N", "S", 90)
    lon = _coord(f[4], f[5], "E", "W", 180)
    try:  # inlined _float: the hot path
        speed = None if f[6] == NA else float(f[6])
        course = None if f[7] == NA else float(f[7])
        altitude = None if f[8] == NA else float(f[8])
    except ValueError as exc:
        raise FieldError("11", "bad speed, course or altitude") from exc
    for number in (speed, course, altitude):
        if number is not None and not isfinite(number):
            raise FieldError("11", "speed, course or altitude not finite")
    satellites = _int(f[9], "12", "satellites")
    hdop: float | None = None
    params: dict[str, ParamValue] = {}
    if kind == "D":
        hdop = _float(f[10], "12", "hdop")
        inputs = _int(f[11], "13", "inputs")
        outputs = _int(f[12], "13", "outputs")
        if inputs is not None:
            params["inputs"] = inputs
        if outputs is not None:
            params["outputs"] = outputs
        if f[13] not in (NA, ""):
            for n, value in enumerate(f[13].split(","), start=1):
                number = _float(value, "14", "adc")
                if number is not None:
                    params[f"adc{n}"] = number
        if f[14] not in (NA, ""):
            params["ibutton"] = f[14]
        params.update(parse_params(f[15]))
    return Fix(
        device_id=device_id,
        fix_time=fix_time,
        lat=lat,
        lon=lon,
        valid=lat is not None and lon is not None,
        speed_kmh=speed,
        course_deg=course,
        altitude_m=altitude,
        satellites=satellites,
        hdop=hdop,
        blackbox=blackbox,
        received_at=now,
        protocol=PROTOCOL,
        alarms=derive_alarms(params),
        params=params,
    )


# --- encoding ------------------------------------------------------------------------------


def _num(value: float | int | None) -> str:
    if value is None:
        return NA
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    return str(int(value))


def _encode_coord(value: float | None, width: int, positive: str, negative: str) -> str:
    if value is None:
        return "NA;NA"
    magnitude = abs(value)
    degrees = int(magnitude)
    minutes = round((magnitude - degrees) * 60, 4)
    if minutes >= 60:
        degrees, minutes = degrees + 1, 0.0
    return f"{degrees:0{width}d}{minutes:07.4f};{negative if value < 0 else positive}"


def encode_fields(fix: Fix, kind: str) -> str:
    """The SD or D body of a fix (no CRC). Coordinates are written to 0.0001 minute."""
    t = fix.fix_time.astimezone(UTC)
    time = t.strftime("%H%M%S") + (f".{t.microsecond:06d}" if t.microsecond else "")
    parts = [
        t.strftime("%d%m%y"),
        time,
        _encode_coord(fix.lat, 2, "N", "S"),
        _encode_coord(fix.lon, 3, "E", "W"),
        _num(fix.speed_kmh),
        _num(fix.course_deg),
        _num(fix.altitude_m),
        _num(fix.satellites),
    ]
    if kind == "D":
        params = dict(fix.params)
        adc: list[str] = []
        n = 1
        while f"adc{n}" in params:
            value = params.pop(f"adc{n}")
            adc.append(_num(value) if isinstance(value, int | float) else str(value))
            n += 1
        inputs = params.pop("inputs", None)
        outputs = params.pop("outputs", None)
        ibutton = params.pop("ibutton", None)
        parts += [
            _num(fix.hdop),
            _num(inputs) if isinstance(inputs, int | float) else NA,
            _num(outputs) if isinstance(outputs, int | float) else NA,
            ",".join(adc) if adc else NA,
            NA if ibutton is None else str(ibutton),
            ",".join(_encode_param(k, v) for k, v in params.items()) if params else NA,
        ]
    return ";".join(parts)


def _encode_param(name: str, value: ParamValue) -> str:
    if isinstance(value, bool):
        return f"{name}:1:{int(value)}"
    if isinstance(value, int):
        return f"{name}:1:{value}"
    if isinstance(value, float):
        return f"{name}:2:{value!r}"
    return f"{name}:3:{value}"
