"""EGTS subrecords: pure decode and encode of the subrecord data (SRD) of each supported type.

Every multi-byte field is little-endian. Each `parse_*` function reads `length` bytes of `buf`
from `off` and raises `ProtocolError` when they do not hold the subrecord; each `encode_*`
function returns the SRD bytes only (wrap them with `encode_subrecord`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from shekara.telemetry.protocols.egts.constants import (
    EPOCH_UNIX,
    LAT_SCALE,
    LON_SCALE,
    POS_ALTE,
    POS_BB,
    POS_CS,
    POS_FIX,
    POS_LAHS,
    POS_LOHS,
    POS_MV,
    POS_VLD,
    SPD_ALTS,
    SPD_DIRH,
    SPD_MASK,
)
from shekara.telemetry.protocols.errors import ProtocolError

Buffer = bytes | bytearray | memoryview

_POS = struct.Struct("<IIIBHBHBBB")  # NTM LAT LONG FLG SPD DIR ODM(lo16,hi8) DIN SRC = 21 bytes
_U16 = struct.Struct("<H")
_U24 = struct.Struct("<HB")
_U32 = struct.Struct("<I")
_RECORD_RESPONSE = struct.Struct("<HB")
_STATE = struct.Struct("<BBBBB")


def _u24(buf: Buffer, off: int) -> int:
    lo, hi = _U24.unpack_from(buf, off)
    return int(lo | (hi << 16))


def _pack_u24(value: int) -> bytes:
    if not 0 <= value <= 0xFFFFFF:
        raise ProtocolError(f"value {value} does not fit in 3 bytes")
    return _U24.pack(value & 0xFFFF, value >> 16)


def ntm_to_datetime(ntm: int) -> datetime:
    """EGTS time (seconds since 2010-01-01 UTC) to an aware datetime."""
    return datetime.fromtimestamp(EPOCH_UNIX + ntm, UTC)


def datetime_to_ntm(moment: datetime) -> int:
    """Aware datetime to EGTS time; fractions of a second are dropped."""
    if moment.tzinfo is None:
        raise ProtocolError("EGTS times must be timezone-aware")
    ntm = int(moment.timestamp()) - EPOCH_UNIX
    if not 0 <= ntm <= 0xFFFFFFFF:
        raise ProtocolError(f"time {moment.isoformat()} outside the EGTS range")
    return ntm


# --- RECORD_RESPONSE (0) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordResponse:
    """EGTS_SR_RECORD_RESPONSE: confirms the record with number `crn` with status `rst`."""

    crn: int
    rst: int


def parse_record_response(buf: Buffer, off: int, length: int) -> RecordResponse:
    if length < 3:
        raise ProtocolError("RECORD_RESPONSE shorter than 3 bytes")
    crn, rst = _RECORD_RESPONSE.unpack_from(buf, off)
    return RecordResponse(crn, rst)


def encode_record_response(crn: int, rst: int) -> bytes:
    return _RECORD_RESPONSE.pack(crn, rst)


# --- POS_DATA (16) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PosData:
    """EGTS_SR_POS_DATA with its units applied. `altitude_m` is None when ALTE is clear."""

    time: datetime
    lat: float
    lon: float
    valid: bool = True
    fix3d: bool = False
    pz90: bool = False
    blackbox: bool = False
    moving: bool = False
    speed_kmh: float = 0.0
    course_deg: int = 0
    odometer_km: float = 0.0
    inputs: int = 0
    source: int = 0
    altitude_m: int | None = None
    source_data: int | None = None


def parse_pos_data(buf: Buffer, off: int, length: int) -> PosData:
    if length < 21:
        raise ProtocolError("POS_DATA shorter than 21 bytes")
    ntm, lat_raw, lon_raw, flg, spd, dir_lo, odm_lo, odm_hi, din, src = _POS.unpack_from(buf, off)
    pos = off + 21
    end = off + length
    altitude: int | None = None
    if flg & POS_ALTE:
        if pos + 3 > end:
            raise ProtocolError("POS_DATA: ALTE set but ALT missing")
        altitude = _u24(buf, pos)
        if spd & SPD_ALTS:
            altitude = -altitude
        pos += 3
    source_data: int | None = None
    if pos + 2 <= end:
        (source_data,) = _U16.unpack_from(buf, pos)
    lat = lat_raw / LAT_SCALE
    lon = lon_raw / LON_SCALE
    return PosData(
        time=ntm_to_datetime(ntm),
        lat=-lat if flg & POS_LAHS else lat,
        lon=-lon if flg & POS_LOHS else lon,
        valid=bool(flg & POS_VLD),
        fix3d=bool(flg & POS_FIX),
        pz90=bool(flg & POS_CS),
        blackbox=bool(flg & POS_BB),
        moving=bool(flg & POS_MV),
        speed_kmh=(spd & SPD_MASK) / 10,
        course_deg=dir_lo | (0x100 if spd & SPD_DIRH else 0),
        odometer_km=(odm_lo | (odm_hi << 16)) / 10,
        inputs=din,
        source=src,
        altitude_m=altitude,
        source_data=source_data,
    )


def encode_pos_data(pos: PosData) -> bytes:
    """SRD of EGTS_SR_POS_DATA. Speed is rounded to 0.1 km/h, the odometer to 0.1 km."""
    if not (-90.0 <= pos.lat <= 90.0 and -180.0 <= pos.lon <= 180.0):
        raise ProtocolError("coordinates out of range")
    speed = round(pos.speed_kmh * 10)
    odometer = round(pos.odometer_km * 10)
    if not 0 <= speed <= SPD_MASK:
        raise ProtocolError(f"speed {pos.speed_kmh} km/h does not fit in 14 bits")
    if not 0 <= pos.course_deg <= 0x1FF:
        raise ProtocolError(f"course {pos.course_deg} does not fit in 9 bits")
    flg = (
        (POS_VLD if pos.valid else 0)
        | (POS_FIX if pos.fix3d else 0)
        | (POS_CS if pos.pz90 else 0)
        | (POS_BB if pos.blackbox else 0)
        | (POS_MV if pos.moving else 0)
        | (POS_LAHS if pos.lat < 0 else 0)
        | (POS_LOHS if pos.lon < 0 else 0)
    )
    spd = speed | (SPD_DIRH if pos.course_deg & 0x100 else 0)
    tail = b""
    if pos.altitude_m is not None:
        flg |= POS_ALTE
        if pos.altitude_m < 0:
            spd |= SPD_ALTS
        tail = _pack_u24(abs(pos.altitude_m))
    if pos.source_data is not None:
        tail += _U16.pack(pos.source_data)
    odm = _pack_u24(odometer)
    return (
        _POS.pack(
            datetime_to_ntm(pos.time),
            round(abs(pos.lat) * LAT_SCALE),
            round(abs(pos.lon) * LON_SCALE),
            flg,
            spd,
            pos.course_deg & 0xFF,
            odm[0] | (odm[1] << 8),
            odm[2],
            pos.inputs,
            pos.source,
        )
        + tail
    )


# --- EXT_POS_DATA (17) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExtPosData:
    """EGTS_SR_EXT_POS_DATA: dilutions of precision (unit 1, sent ×100) and satellites."""

    vdop: float | None = None
    hdop: float | None = None
    pdop: float | None = None
    satellites: int | None = None
    systems: int | None = None
    """Bit mask of navigation systems: 1 GLONASS, 2 GPS, 4 Galileo, 8 Compass/BeiDou…"""


def ext_pos_fields(
    buf: Buffer, off: int, length: int
) -> tuple[float | None, float | None, float | None, int | None, int | None]:
    """EXT_POS_DATA as (VDOP, HDOP, PDOP, SAT, NS), each None when its flag is clear."""
    if length < 1:
        raise ProtocolError("EXT_POS_DATA is empty")
    flags = buf[off]
    need = 1 + 2 * ((flags & 1) + (flags >> 1 & 1) + (flags >> 2 & 1)) + (flags >> 3 & 1)
    need += 2 * (flags >> 4 & 1)
    if need > length:
        raise ProtocolError("EXT_POS_DATA truncated")
    pos = off + 1
    vdop = hdop = pdop = None
    satellites = systems = None
    if flags & 0x01:
        vdop = _U16.unpack_from(buf, pos)[0] / 100
        pos += 2
    if flags & 0x02:
        hdop = _U16.unpack_from(buf, pos)[0] / 100
        pos += 2
    if flags & 0x04:
        pdop = _U16.unpack_from(buf, pos)[0] / 100
        pos += 2
    if flags & 0x08:
        satellites = buf[pos]
        pos += 1
    if flags & 0x10:
        systems = _U16.unpack_from(buf, pos)[0]
    return vdop, hdop, pdop, satellites, systems


def parse_ext_pos_data(buf: Buffer, off: int, length: int) -> ExtPosData:
    return ExtPosData(*ext_pos_fields(buf, off, length))


def encode_ext_pos_data(ext: ExtPosData) -> bytes:
    flags = 0
    body = b""
    for bit, dop in ((0x01, ext.vdop), (0x02, ext.hdop), (0x04, ext.pdop)):
        if dop is not None:
            flags |= bit
            body += _U16.pack(round(dop * 100))
    if ext.satellites is not None:
        flags |= 0x08
        body += bytes((ext.satellites,))
    if ext.systems is not None:
        flags |= 0x10
        body += _U16.pack(ext.systems)
    return bytes((flags,)) + body


# --- AD_SENSORS_DATA (18), COUNTERS_DATA (19), ABS_AN_SENS_DATA (24) ------------------------


@dataclass(frozen=True, slots=True)
class AdSensorsData:
    """EGTS_SR_AD_SENSORS_DATA: additional digital input bytes, outputs, analogue sensors."""

    digital: dict[int, int]
    """Additional digital input bytes by number 1…8."""
    outputs: int
    analog: dict[int, int]
    """Analogue sensor values (raw, 3 bytes) by number 1…8."""


def parse_ad_sensors(buf: Buffer, off: int, length: int) -> AdSensorsData:
    end = off + length
    if length < 3:
        raise ProtocolError("AD_SENSORS_DATA shorter than 3 bytes")
    dioe, dout, asfe = buf[off], buf[off + 1], buf[off + 2]
    pos = off + 3
    digital: dict[int, int] = {}
    for n in range(8):
        if dioe & (1 << n):
            if pos >= end:
                raise ProtocolError("AD_SENSORS_DATA truncated")
            digital[n + 1] = buf[pos]
            pos += 1
    analog: dict[int, int] = {}
    for n in range(8):
        if asfe & (1 << n):
            if pos + 3 > end:
                raise ProtocolError("AD_SENSORS_DATA truncated")
            analog[n + 1] = _u24(buf, pos)
            pos += 3
    return AdSensorsData(digital, dout, analog)


def encode_ad_sensors(data: AdSensorsData) -> bytes:
    dioe = sum(1 << (n - 1) for n in data.digital)
    asfe = sum(1 << (n - 1) for n in data.analog)
    body = bytes(data.digital[n] for n in sorted(data.digital))
    body += b"".join(_pack_u24(data.analog[n]) for n in sorted(data.analog))
    return bytes((dioe, data.outputs, asfe)) + body


def parse_counters(buf: Buffer, off: int, length: int) -> dict[int, int]:
    """EGTS_SR_COUNTERS_DATA: counter values by number 1…8."""
    end = off + length
    if length < 1:
        raise ProtocolError("COUNTERS_DATA is empty")
    cfe = buf[off]
    pos = off + 1
    counters: dict[int, int] = {}
    for n in range(8):
        if cfe & (1 << n):
            if pos + 3 > end:
                raise ProtocolError("COUNTERS_DATA truncated")
            counters[n + 1] = _u24(buf, pos)
            pos += 3
    return counters


def encode_counters(counters: dict[int, int]) -> bytes:
    cfe = sum(1 << (n - 1) for n in counters)
    return bytes((cfe,)) + b"".join(_pack_u24(counters[n]) for n in sorted(counters))


def parse_abs_an_sens(buf: Buffer, off: int, length: int) -> tuple[int, int]:
    """EGTS_SR_ABS_AN_SENS_DATA: (sensor number, raw 3-byte value)."""
    if length < 4:
        raise ProtocolError("ABS_AN_SENS_DATA shorter than 4 bytes")
    return buf[off], _u24(buf, off + 1)


def encode_abs_an_sens(number: int, value: int) -> bytes:
    return bytes((number,)) + _pack_u24(value)


def parse_abs_cntr(buf: Buffer, off: int, length: int) -> tuple[int, int]:
    """EGTS_SR_ABS_CNTR_DATA: (counter number, 3-byte value)."""
    if length < 4:
        raise ProtocolError("ABS_CNTR_DATA shorter than 4 bytes")
    return buf[off], _u24(buf, off + 1)


def parse_loopin(buf: Buffer, off: int, length: int) -> dict[int, int]:
    """EGTS_SR_LOOPIN_DATA: the 4-bit state of each loop input present, by number 1…8.

    The first byte flags the loops present (bit 0: loop 1); their states follow, two per byte,
    the lower-numbered loop in the low nibble."""
    if length < 1:
        raise ProtocolError("LOOPIN_DATA is empty")
    flags = buf[off]
    present = [n + 1 for n in range(8) if flags & (1 << n)]
    if 1 + (len(present) + 1) // 2 > length:
        raise ProtocolError("LOOPIN_DATA truncated")
    states: dict[int, int] = {}
    for i, number in enumerate(present):
        byte = buf[off + 1 + i // 2]
        states[number] = (byte >> 4) if i % 2 else (byte & 0x0F)
    return states


def encode_loopin(states: dict[int, int]) -> bytes:
    numbers = sorted(states)
    flags = sum(1 << (n - 1) for n in numbers)
    out = bytearray((flags,))
    for i, number in enumerate(numbers):
        if i % 2:
            out[-1] |= (states[number] & 0x0F) << 4
        else:
            out.append(states[number] & 0x0F)
    return bytes(out)


# --- STATE_DATA (20) -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateData:
    """EGTS_SR_STATE_DATA: mode and voltages (0.1 V steps), the evidence of a power cut."""

    state: int
    main_v: float
    backup_v: float
    internal_v: float
    backup_used: bool
    internal_used: bool
    nav_on: bool


def parse_state(buf: Buffer, off: int, length: int) -> StateData:
    if length < 5:
        raise ProtocolError("STATE_DATA shorter than 5 bytes")
    st, mpsv, bbv, ibv, flags = _STATE.unpack_from(buf, off)
    return StateData(
        st, mpsv / 10, bbv / 10, ibv / 10, bool(flags & 1), bool(flags & 2), bool(flags & 4)
    )


def encode_state(data: StateData) -> bytes:
    flags = (
        (1 if data.backup_used else 0)
        | (2 if data.internal_used else 0)
        | (4 if data.nav_on else 0)
    )
    return _STATE.pack(
        data.state,
        round(data.main_v * 10),
        round(data.backup_v * 10),
        round(data.internal_v * 10),
        flags,
    )


# --- AUTH service: TERM_IDENTITY (1), AUTH_INFO (7), RESULT_CODE (9) -------------------------


@dataclass(frozen=True, slots=True)
class TermIdentity:
    """EGTS_SR_TERM_IDENTITY: how a terminal identifies itself when it connects."""

    tid: int
    hdid: int | None = None
    imei: str | None = None
    imsi: str | None = None
    lngc: str | None = None
    ssra: bool = False
    nid: int | None = None
    bs: int | None = None
    msisdn: str | None = None

    @property
    def identifier(self) -> str:
        """The identifier authentication uses: the IMEI when sent, else the terminal id."""
        imei = (self.imei or "").strip("\x00 ")
        if imei.strip("0"):
            return imei
        return str(self.tid)


# (flag bit, attribute, size, kind) in field order; kind "s" is ASCII text, "i" little-endian int
_TID_FIELDS: tuple[tuple[int, str, int, str], ...] = (
    (0x01, "hdid", 2, "i"),
    (0x02, "imei", 15, "s"),
    (0x04, "imsi", 16, "s"),
    (0x08, "lngc", 3, "s"),
    (0x20, "nid", 3, "i"),
    (0x40, "bs", 2, "i"),
    (0x80, "msisdn", 15, "s"),
)


def parse_term_identity(buf: Buffer, off: int, length: int) -> TermIdentity:
    end = off + length
    if length < 5:
        raise ProtocolError("TERM_IDENTITY shorter than 5 bytes")
    (tid,) = _U32.unpack_from(buf, off)
    flags = buf[off + 4]
    pos = off + 5
    values: dict[str, int | str] = {}
    for bit, name, size, kind in _TID_FIELDS:
        if flags & bit:
            if pos + size > end:
                raise ProtocolError(f"TERM_IDENTITY: {name} truncated")
            raw = bytes(buf[pos : pos + size])
            values[name] = (
                raw.decode("ascii", "replace") if kind == "s" else int.from_bytes(raw, "little")
            )
            pos += size
    return TermIdentity(tid=tid, ssra=bool(flags & 0x10), **values)  # type: ignore[arg-type]


def encode_term_identity(ident: TermIdentity) -> bytes:
    flags = 0x10 if ident.ssra else 0
    body = b""
    for bit, name, size, kind in _TID_FIELDS:
        value = getattr(ident, name)
        if value is None:
            continue
        flags |= bit
        if kind == "s":
            raw = value.encode("ascii")
            if len(raw) != size:
                raise ProtocolError(f"TERM_IDENTITY: {name} must be {size} characters")
            body += raw
        else:
            body += int(value).to_bytes(size, "little")
    return _U32.pack(ident.tid) + bytes((flags,)) + body


@dataclass(frozen=True, slots=True)
class AuthInfo:
    """EGTS_SR_AUTH_INFO: user name and password, each NUL-terminated."""

    user: str
    password: str
    server_sequence: str | None = None


def parse_auth_info(buf: Buffer, off: int, length: int) -> AuthInfo:
    parts = bytes(buf[off : off + length]).split(b"\x00")
    if len(parts) < 3:
        raise ProtocolError("AUTH_INFO: user name and password must be NUL-terminated")
    texts = [p.decode("utf-8", "replace") for p in parts]
    sequence = texts[2] if len(parts) >= 4 else None
    return AuthInfo(texts[0], texts[1], sequence)


def encode_auth_info(info: AuthInfo) -> bytes:
    out = info.user.encode() + b"\x00" + info.password.encode() + b"\x00"
    if info.server_sequence is not None:
        out += info.server_sequence.encode() + b"\x00"
    return out
