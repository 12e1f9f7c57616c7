"""Terminal-side EGTS packets built from `Fix` records: for tests and the device simulator.

The inverse of `decode` for what a `Fix` holds: position, speed, course, altitude, flags,
satellites and HDOP (EXT_POS_DATA), voltages (STATE_DATA) when present in `params`.
"""

from __future__ import annotations

from collections.abc import Sequence

from shekara.telemetry.protocols.egts.codec import (
    encode_appdata,
    encode_record,
    encode_subrecord,
)
from shekara.telemetry.protocols.egts.constants import RFL_SSOD, Service, Subrecord
from shekara.telemetry.protocols.egts.subrecords import (
    AuthInfo,
    ExtPosData,
    PosData,
    StateData,
    TermIdentity,
    encode_auth_info,
    encode_ext_pos_data,
    encode_pos_data,
    encode_state,
    encode_term_identity,
)
from shekara.telemetry.protocols.fix import Fix


def _int(fix: Fix, key: str, default: int = 0) -> int:
    value = fix.params.get(key, default)
    return int(value) if isinstance(value, int | float) else default


def _float(fix: Fix, key: str, default: float = 0.0) -> float:
    value = fix.params.get(key, default)
    return float(value) if isinstance(value, int | float) else default


def pos_data_from_fix(fix: Fix) -> PosData:
    """The POS_DATA a terminal would send for `fix` (missing values as zero)."""
    return PosData(
        time=fix.fix_time,
        lat=fix.lat or 0.0,
        lon=fix.lon or 0.0,
        valid=fix.valid,
        fix3d=bool(fix.params.get("fix3d", False)),
        pz90=bool(fix.params.get("pz90", False)),
        blackbox=fix.blackbox,
        moving=bool(fix.params.get("moving", False)),
        speed_kmh=fix.speed_kmh or 0.0,
        course_deg=round(fix.course_deg or 0) & 0x1FF,
        odometer_km=_float(fix, "odometer_km"),
        inputs=_int(fix, "inputs") & 0xFF,
        source=_int(fix, "event_code") & 0xFF,
        altitude_m=None if fix.altitude_m is None else round(fix.altitude_m),
        source_data=_int(fix, "event_data") if "event_data" in fix.params else None,
    )


def encode_fix_subrecords(fix: Fix) -> bytes:
    """POS_DATA, then EXT_POS_DATA when HDOP or satellites are known, then STATE_DATA when
    `power_v` is in the params."""
    out = encode_subrecord(Subrecord.POS_DATA, encode_pos_data(pos_data_from_fix(fix)))
    if fix.hdop is not None or fix.satellites is not None:
        ext = ExtPosData(hdop=fix.hdop, satellites=fix.satellites)
        out += encode_subrecord(Subrecord.EXT_POS_DATA, encode_ext_pos_data(ext))
    if "power_v" in fix.params:
        state = StateData(
            state=_int(fix, "state"),
            main_v=_float(fix, "power_v"),
            backup_v=_float(fix, "battery_v"),
            internal_v=_float(fix, "internal_battery_v"),
            backup_used=bool(fix.params.get("on_backup_power", False)),
            internal_used=bool(fix.params.get("on_internal_battery", False)),
            nav_on=bool(fix.params.get("nav_module_on", True)),
        )
        out += encode_subrecord(Subrecord.STATE_DATA, encode_state(state))
    return out


def encode_fix_packet(
    fixes: Sequence[Fix], pid: int, first_rn: int = 0, oid: int | None = None
) -> bytes:
    """An APPDATA packet with one TELEDATA record per fix (OID, when given, on the first)."""
    records = [
        encode_record(
            (first_rn + i) & 0xFFFF,
            Service.TELEDATA,
            encode_fix_subrecords(fix),
            oid=oid if i == 0 else None,
            flags=RFL_SSOD,
        )
        for i, fix in enumerate(fixes)
    ]
    return encode_appdata(records, pid)


def encode_auth_packet(
    pid: int, rn: int, identity: TermIdentity, auth: AuthInfo | None = None
) -> bytes:
    """The terminal's first packet: an AUTH record with TERM_IDENTITY (and AUTH_INFO)."""
    subs = encode_subrecord(Subrecord.TERM_IDENTITY, encode_term_identity(identity))
    if auth is not None:
        subs += encode_subrecord(Subrecord.AUTH_INFO, encode_auth_info(auth))
    return encode_appdata([encode_record(rn, Service.AUTH, subs, flags=RFL_SSOD)], pid)
