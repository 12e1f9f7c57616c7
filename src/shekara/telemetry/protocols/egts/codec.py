"""EGTS transport and service layers: pure `decode` of one packet and the encoders.

`decode(buf)` looks at the start of a byte stream and returns a `DecodeResult`: how many bytes the
packet took (0 while more bytes are needed), the fixes it carried, what it asked for
(authentication) and everything needed to build the acknowledgement. It sends nothing: the
gateway stores the fixes first and only then writes `result.response(...)`.

Checks follow the receive flowchart of GOST R 54619-2011 in order: PRV (UNS_PROTOCOL), HL
(INC_HEADERFORM), HCS (HEADERCRC_ERROR), then PRF/HE/ENA/CMP, SFRCS (DATACRC_ERROR), PT (UNS_TYPE)
and the record structure (INC_DATAFORM). A packet whose header cannot be trusted is `fatal`: the
stream cannot be re-synchronised, so the gateway answers (when it can) and closes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shekara.telemetry.protocols.crc import crc8_egts, crc16_egts
from shekara.telemetry.protocols.egts.constants import (
    EPOCH_UNIX,
    HEADER_PREFIX_LEN,
    HL_PLAIN,
    HL_ROUTED,
    KNOWN_SERVICES,
    LAT_SCALE,
    LON_SCALE,
    MAX_FDL,
    POS_ALTE,
    POS_BB,
    POS_CS,
    POS_FIX,
    POS_LAHS,
    POS_LOHS,
    POS_MV,
    POS_VLD,
    PRV,
    RFL_EVFE,
    RFL_OBFE,
    RFL_RSOD,
    RFL_TMFE,
    SPD_ALTS,
    SPD_DIRH,
    SPD_MASK,
    SRC_ALARMS,
    PacketType,
    Result,
    Service,
    Subrecord,
)
from shekara.telemetry.protocols.egts.subrecords import (
    AuthInfo,
    Buffer,
    RecordResponse,
    TermIdentity,
    datetime_to_ntm,
    encode_record_response,
    ext_pos_fields,
    ntm_to_datetime,
    parse_abs_an_sens,
    parse_abs_cntr,
    parse_ad_sensors,
    parse_auth_info,
    parse_counters,
    parse_loopin,
    parse_record_response,
    parse_term_identity,
)
from shekara.telemetry.protocols.errors import ProtocolError
from shekara.telemetry.protocols.fix import Alarm, Fix, ParamValue

PROTOCOL = "egts"

_HEADER = struct.Struct("<BBBBBHHB")  # PRV SKID flags HL HE FDL PID PT
_ROUTE = struct.Struct("<HHB")  # PRA RCA TTL
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_SDR = struct.Struct("<HHB")  # RL RN RFL
_SUB = struct.Struct("<BH")  # SRT SRL
_RESPONSE_HEAD = struct.Struct("<HB")  # RPID PR
_POS = struct.Struct("<IIIBHBHBBB")  # POS_DATA fixed part, as in subrecords.py
_U24 = struct.Struct("<HB")
_STATE = struct.Struct("<BBBBB")

# plain ints: enum attribute lookups are slow in the per-subrecord loop
_RES_OK = int(Result.OK)
_RES_SRVC_NFOUND = int(Result.SRVC_NFOUND)
_SRT_ABS_AN_SENS_DATA = int(Subrecord.ABS_AN_SENS_DATA)
_SRT_ABS_CNTR_DATA = int(Subrecord.ABS_CNTR_DATA)
_SRT_LOOPIN_DATA = int(Subrecord.LOOPIN_DATA)
_SRT_AD_SENSORS_DATA = int(Subrecord.AD_SENSORS_DATA)
_SRT_AUTH_INFO = int(Subrecord.AUTH_INFO)
_SRT_COUNTERS_DATA = int(Subrecord.COUNTERS_DATA)
_SRT_EXT_POS_DATA = int(Subrecord.EXT_POS_DATA)
_SRT_POS_DATA = int(Subrecord.POS_DATA)
_SRT_RECORD_RESPONSE = int(Subrecord.RECORD_RESPONSE)
_SRT_RESULT_CODE = int(Subrecord.RESULT_CODE)
_SRT_STATE_DATA = int(Subrecord.STATE_DATA)
_SRT_TERM_IDENTITY = int(Subrecord.TERM_IDENTITY)
_SVC_AUTH = int(Service.AUTH)
_SVC_TELEDATA = int(Service.TELEDATA)
_PT_RESPONSE = int(PacketType.RESPONSE)
_PT_APPDATA = int(PacketType.APPDATA)
_PT_SIGNED_APPDATA = int(PacketType.SIGNED_APPDATA)


@dataclass(frozen=True, slots=True)
class RecordInfo:
    """A received service data record, and the status its RECORD_RESPONSE will carry."""

    rn: int
    service: int
    status: int
    oid: int | None = None


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """What one EGTS packet at the start of a buffer holds.

    `consumed` is the packet's length in bytes, or 0 when the buffer holds only part of a packet.
    `result` is the processing result (PR) to answer with; `fatal` means the stream framing is
    lost and the connection must be closed after the answer.
    """

    consumed: int
    result: int = Result.OK
    fatal: bool = False
    pid: int | None = None
    packet_type: int | None = None
    priority: int = 0
    records: tuple[RecordInfo, ...] = ()
    fixes: tuple[Fix, ...] = ()
    identities: tuple[TermIdentity, ...] = ()
    auth_infos: tuple[AuthInfo, ...] = ()
    result_codes: tuple[int, ...] = ()
    """RESULT_CODE values received (normally only a server receives none)."""
    confirmations: tuple[RecordResponse, ...] = ()
    """RECORD_RESPONSE subrecords received, e.g. the terminal confirming our RESULT_CODE."""
    response_to: tuple[int, int] | None = None
    """(RPID, PR) when the packet is itself a PT_RESPONSE."""
    error: str | None = None

    @property
    def need_more(self) -> bool:
        return self.consumed == 0 and not self.fatal

    @property
    def needs_response(self) -> bool:
        """Whether this packet must be answered with a PT_RESPONSE (never a response itself)."""
        if self.pid is None:
            return False
        return self.result != _RES_OK or self.packet_type != _PT_RESPONSE

    @property
    def record_numbers(self) -> int:
        """How many record numbers `response` uses."""
        return len(self.records) if self.result == _RES_OK else 0

    def response(self, pid: int, first_rn: int, record_status: int | None = None) -> bytes:
        """The PT_RESPONSE for this packet: RPID = its PID, PR, and one record per received
        record carrying an EGTS_SR_RECORD_RESPONSE with CRN = RN and RST = its status (or
        `record_status` for all). `pid` and `first_rn` are the server's own counters."""
        if self.pid is None:
            raise ProtocolError("no packet id to respond to")
        acks: list[tuple[int, int, int]] = []
        if self.result == _RES_OK:
            for rec in self.records:
                status = rec.status if record_status is None else record_status
                acks.append((rec.rn, rec.service, status))
        return encode_response(
            pid, self.pid, self.result, acks, first_rn=first_rn, priority=self.priority
        )


def _fail(
    code: int,
    message: str,
    *,
    consumed: int = 0,
    pid: int | None = None,
    fatal: bool = False,
    packet_type: int | None = None,
) -> DecodeResult:
    return DecodeResult(
        consumed=consumed,
        result=code,
        fatal=fatal,
        pid=pid,
        packet_type=packet_type,
        error=message,
    )


def decode(
    buf: Buffer,
    *,
    device_id: str | None = None,
    received_at: datetime | None = None,
) -> DecodeResult:
    """Decode the EGTS packet at the start of `buf`.

    Fixes are attributed to `device_id` (the authenticated device of the connection) or, when
    it is None, to the record's OID. Never raises: bad input gives a result with an error code.
    """
    size = len(buf)
    if size == 0:
        return DecodeResult(0)
    if buf[0] != PRV:
        pid = _U16.unpack_from(buf, 7)[0] if size >= HEADER_PREFIX_LEN else None
        return _fail(Result.UNS_PROTOCOL, f"PRV {buf[0]} unsupported", pid=pid, fatal=True)
    if size >= 4 and buf[3] not in (HL_PLAIN, HL_ROUTED):
        pid = _U16.unpack_from(buf, 7)[0] if size >= HEADER_PREFIX_LEN else None
        return _fail(Result.INC_HEADERFORM, f"HL {buf[3]} invalid", pid=pid, fatal=True)
    if size < HEADER_PREFIX_LEN:
        return DecodeResult(0)
    _prv, _skid, flags, hl, he, fdl, pid, pt = _HEADER.unpack_from(buf, 0)
    if size < hl:
        return DecodeResult(0)
    if crc8_egts(buf[: hl - 1]) != buf[hl - 1]:
        return _fail(Result.HEADERCRC_ERROR, "header checksum mismatch", pid=pid, fatal=True)
    if (hl == HL_ROUTED) != bool(flags & 0x20):
        return _fail(Result.INC_HEADERFORM, "HL does not match RTE", pid=pid, fatal=True)
    if fdl > MAX_FDL:
        return _fail(Result.INC_HEADERFORM, f"FDL {fdl} too large", pid=pid, fatal=True)
    total = hl + fdl + (2 if fdl else 0)
    if size < total:
        return DecodeResult(0)
    if flags & 0xC0:
        return _fail(Result.UNS_PROTOCOL, "PRF not 00", consumed=total, pid=pid, packet_type=pt)
    if he != 0:
        return _fail(
            Result.UNS_PROTOCOL, f"HE {he} unsupported", consumed=total, pid=pid, packet_type=pt
        )
    if flags & 0x18:
        return _fail(
            Result.DECRYPT_ERROR,
            "encrypted packets unsupported",
            consumed=total,
            pid=pid,
            packet_type=pt,
        )
    if flags & 0x04:
        return _fail(
            Result.UNS_PROTOCOL,
            "compressed packets unsupported",
            consumed=total,
            pid=pid,
            packet_type=pt,
        )
    if fdl and crc16_egts(buf[hl : hl + fdl]) != _U16.unpack_from(buf, hl + fdl)[0]:
        return _fail(
            Result.DATACRC_ERROR, "data checksum mismatch", consumed=total, pid=pid, packet_type=pt
        )
    try:
        return _decode_body(buf, hl, hl + fdl, total, pid, pt, flags & 0x03, device_id, received_at)
    except (ProtocolError, struct.error, ValueError, OverflowError, IndexError) as exc:
        return _fail(
            Result.INC_DATAFORM,
            f"bad record structure: {exc}",
            consumed=total,
            pid=pid,
            packet_type=pt,
        )


def _decode_body(
    buf: Buffer,
    start: int,
    end: int,
    total: int,
    pid: int,
    pt: int,
    priority: int,
    device_id: str | None,
    received_at: datetime | None,
) -> DecodeResult:
    response_to: tuple[int, int] | None = None
    if pt == _PT_RESPONSE:
        if end - start < 3:
            raise ProtocolError("PT_RESPONSE without RPID and PR")
        response_to = _RESPONSE_HEAD.unpack_from(buf, start)
        start += 3
    elif pt == _PT_SIGNED_APPDATA:
        if end - start < 2:
            raise ProtocolError("SIGNED_APPDATA without SIGL")
        (sigl,) = _U16.unpack_from(buf, start)
        start += 2 + sigl
        if start > end:
            raise ProtocolError("signature longer than the frame data")
    elif pt != _PT_APPDATA:
        return _fail(
            Result.UNS_TYPE, f"PT {pt} unsupported", consumed=total, pid=pid, packet_type=pt
        )
    parser = _RecordParser(buf, device_id, received_at)
    parser.parse(start, end)
    return DecodeResult(
        consumed=total,
        pid=pid,
        packet_type=pt,
        priority=priority,
        records=tuple(parser.records),
        fixes=tuple(parser.fixes),
        identities=tuple(parser.identities),
        auth_infos=tuple(parser.auth_infos),
        result_codes=tuple(parser.result_codes),
        confirmations=tuple(parser.confirmations),
        response_to=response_to,
    )


class _RecordParser:
    """Walks the service data records of one frame; OID carries forward between records."""

    __slots__ = (
        "buf",
        "device_id",
        "received_at",
        "records",
        "fixes",
        "identities",
        "auth_infos",
        "result_codes",
        "confirmations",
        "oid",
    )

    def __init__(self, buf: Buffer, device_id: str | None, received_at: datetime | None):
        self.buf = buf
        self.device_id = device_id
        self.received_at = received_at
        self.records: list[RecordInfo] = []
        self.fixes: list[Fix] = []
        self.identities: list[TermIdentity] = []
        self.auth_infos: list[AuthInfo] = []
        self.result_codes: list[int] = []
        self.confirmations: list[RecordResponse] = []
        self.oid: int | None = None

    def parse(self, pos: int, end: int) -> None:
        buf = self.buf
        while pos < end:
            if pos + 7 > end:
                raise ProtocolError("truncated record header")
            rl, rn, rfl = _SDR.unpack_from(buf, pos)
            pos += 5
            evid: int | None = None
            if rfl & RFL_OBFE:
                (self.oid,) = _U32.unpack_from(buf, pos)
                pos += 4
            if rfl & RFL_EVFE:
                (evid,) = _U32.unpack_from(buf, pos)
                pos += 4
            if rfl & RFL_TMFE:
                pos += 4  # record time: the fixes carry their own
            if pos + 2 > end:
                raise ProtocolError("truncated record header")
            sst = buf[pos]
            pos += 2  # SST, RST
            rd_end = pos + rl
            if rd_end > end:
                raise ProtocolError(f"record {rn}: RL {rl} beyond the frame")
            status = _RES_OK if sst in KNOWN_SERVICES else _RES_SRVC_NFOUND
            self._subrecords(pos, rd_end, sst, evid)  # RECORD_RESPONSE is in any service
            self.records.append(RecordInfo(rn, sst, status, self.oid))
            pos = rd_end

    def _subrecords(self, pos: int, end: int, service: int, evid: int | None) -> None:
        buf = self.buf
        positions: list[tuple[Any, ...]] = []
        params: dict[str, ParamValue] = {}
        hdop: float | None = None
        satellites: int | None = None
        while pos < end:
            if pos + 3 > end:
                raise ProtocolError("truncated subrecord header")
            srt, srl = _SUB.unpack_from(buf, pos)
            pos += 3
            if pos + srl > end:
                raise ProtocolError(f"subrecord {srt}: SRL {srl} beyond the record")
            if srt == _SRT_POS_DATA and service == _SVC_TELEDATA:
                # inlined parse_pos_data (the hot path): the raw fields, converted in _fix
                if srl < 21:
                    raise ProtocolError("POS_DATA shorter than 21 bytes")
                raw = _POS.unpack_from(buf, pos)
                alt: int | None = None
                srcd: int | None = None
                tail = pos + 21
                if raw[3] & POS_ALTE:
                    if srl < 24:
                        raise ProtocolError("POS_DATA: ALTE set but ALT missing")
                    lo, hi = _U24.unpack_from(buf, tail)
                    alt = lo | (hi << 16)
                    tail += 3
                if tail + 2 <= pos + srl:
                    (srcd,) = _U16.unpack_from(buf, tail)
                positions.append((*raw, alt, srcd))
            elif srt == _SRT_RECORD_RESPONSE:
                self.confirmations.append(parse_record_response(buf, pos, srl))
            elif service == _SVC_TELEDATA:
                if srt == _SRT_EXT_POS_DATA:
                    vdop, hdop, pdop, satellites, systems = ext_pos_fields(buf, pos, srl)
                    if vdop is not None:
                        params["vdop"] = vdop
                    if pdop is not None:
                        params["pdop"] = pdop
                    if systems is not None:
                        params["gnss_systems"] = systems
                elif srt == _SRT_STATE_DATA:
                    if srl < 5:
                        raise ProtocolError("STATE_DATA shorter than 5 bytes")
                    st, mpsv, bbv, ibv, flags = _STATE.unpack_from(buf, pos)
                    params["state"] = st
                    params["power_v"] = mpsv / 10
                    params["battery_v"] = bbv / 10
                    params["internal_battery_v"] = ibv / 10
                    params["on_backup_power"] = bool(flags & 1)
                    params["on_internal_battery"] = bool(flags & 2)
                    params["nav_module_on"] = bool(flags & 4)
                elif srt == _SRT_AD_SENSORS_DATA:
                    ad = parse_ad_sensors(buf, pos, srl)
                    params["outputs"] = ad.outputs
                    for n, value in ad.digital.items():
                        params[f"dio{n}"] = value
                    for n, value in ad.analog.items():
                        params[f"adc{n}"] = value
                elif srt == _SRT_COUNTERS_DATA:
                    for n, value in parse_counters(buf, pos, srl).items():
                        params[f"counter{n}"] = value
                elif srt == _SRT_ABS_AN_SENS_DATA:
                    n, value = parse_abs_an_sens(buf, pos, srl)
                    params[f"adc{n}"] = value
                elif srt == _SRT_ABS_CNTR_DATA:
                    n, value = parse_abs_cntr(buf, pos, srl)
                    params[f"counter{n}"] = value
                elif srt == _SRT_LOOPIN_DATA:
                    for n, value in parse_loopin(buf, pos, srl).items():
                        params[f"loop{n}"] = value
            elif service == _SVC_AUTH:
                if srt == _SRT_TERM_IDENTITY:
                    self.identities.append(parse_term_identity(buf, pos, srl))
                elif srt == _SRT_AUTH_INFO:
                    self.auth_infos.append(parse_auth_info(buf, pos, srl))
                elif srt == _SRT_RESULT_CODE:
                    if srl < 1:
                        raise ProtocolError("RESULT_CODE is empty")
                    self.result_codes.append(buf[pos])
            pos += srl
        if positions:
            if self.oid is not None:
                params["oid"] = self.oid
            if evid is not None:
                params["event_id"] = evid
            device_id = self.device_id
            if device_id is None:
                device_id = "" if self.oid is None else str(self.oid)
            for raw_pos in positions:
                self.fixes.append(self._fix(raw_pos, device_id, params, hdop, satellites))

    def _fix(
        self,
        raw: tuple[Any, ...],
        device_id: str,
        extra: dict[str, ParamValue],
        hdop: float | None,
        satellites: int | None,
    ) -> Fix:
        """A Fix from the raw POS_DATA fields (see `parse_pos_data` for the same conversion)."""
        ntm, lat_raw, lon_raw, flg, spd, dir_lo, odm_lo, odm_hi, din, src, alt, srcd = raw
        lat = lat_raw / LAT_SCALE
        lon = lon_raw / LON_SCALE
        params: dict[str, ParamValue] = {
            "odometer_km": (odm_lo | (odm_hi << 16)) / 10,
            "inputs": din,
            "event_code": src,
            "moving": bool(flg & POS_MV),
            "fix3d": bool(flg & POS_FIX),
            "pz90": bool(flg & POS_CS),
        }
        if srcd is not None:
            params["event_data"] = srcd
        if extra:
            params.update(extra)
        alarm = SRC_ALARMS.get(src)
        if alt is not None and spd & SPD_ALTS:
            alt = -alt
        return Fix(
            device_id=device_id,
            fix_time=datetime.fromtimestamp(EPOCH_UNIX + ntm, UTC),
            lat=-lat if flg & POS_LAHS else lat,
            lon=-lon if flg & POS_LOHS else lon,
            valid=bool(flg & POS_VLD),
            speed_kmh=(spd & SPD_MASK) / 10,
            course_deg=float(dir_lo | (0x100 if spd & SPD_DIRH else 0)),
            altitude_m=None if alt is None else float(alt),
            satellites=satellites,
            hdop=hdop,
            blackbox=bool(flg & POS_BB),
            received_at=self.received_at,
            protocol=PROTOCOL,
            alarms=_NO_ALARMS if alarm is None else frozenset((alarm,)),
            params=params,
        )


_NO_ALARMS: frozenset[Alarm] = frozenset()


# --- encoders ------------------------------------------------------------------------------


def encode_subrecord(srt: int, data: bytes) -> bytes:
    """SRT + SRL + SRD."""
    if len(data) > 0xFFFF:
        raise ProtocolError("subrecord too long")
    return _SUB.pack(srt, len(data)) + data


def encode_record(
    rn: int,
    service: int,
    subrecords: bytes,
    *,
    oid: int | None = None,
    evid: int | None = None,
    time: datetime | None = None,
    recipient_service: int | None = None,
    flags: int = 0,
) -> bytes:
    """One service data record (SDR). `flags` adds RFL bits such as SSOD, RSOD, RPP."""
    rfl = flags & 0xF8
    opt = b""
    if oid is not None:
        rfl |= RFL_OBFE
        opt += _U32.pack(oid)
    if evid is not None:
        rfl |= RFL_EVFE
        opt += _U32.pack(evid)
    if time is not None:
        rfl |= RFL_TMFE
        opt += _U32.pack(datetime_to_ntm(time))
    rst = service if recipient_service is None else recipient_service
    return _SDR.pack(len(subrecords), rn, rfl) + opt + bytes((service, rst)) + subrecords


def encode_packet(
    packet_type: int,
    sfrd: bytes,
    pid: int,
    *,
    skid: int = 0,
    priority: int = 0,
    route: tuple[int, int, int] | None = None,
) -> bytes:
    """A transport packet: header with HCS, SFRD, and SFRCS when SFRD is not empty.
    `route` = (PRA, RCA, TTL) sets RTE and makes a 16-byte header."""
    if len(sfrd) > MAX_FDL:
        raise ProtocolError("frame data longer than 65517 bytes")
    flags = priority & 0x03
    hl = HL_PLAIN
    extra = b""
    if route is not None:
        flags |= 0x20
        hl = HL_ROUTED
        extra = _ROUTE.pack(*route)
    header = _HEADER.pack(PRV, skid, flags, hl, 0, len(sfrd), pid & 0xFFFF, packet_type) + extra
    header += bytes((crc8_egts(header),))
    if not sfrd:
        return header
    return header + sfrd + _U16.pack(crc16_egts(sfrd))


def encode_appdata(records: Sequence[bytes], pid: int, **kwargs: int) -> bytes:
    """An EGTS_PT_APPDATA packet carrying the given encoded records."""
    return encode_packet(PacketType.APPDATA, b"".join(records), pid, **kwargs)  # type: ignore[arg-type]


def encode_response(
    pid: int,
    rpid: int,
    result: int,
    acks: Sequence[tuple[int, int, int]],
    *,
    first_rn: int = 0,
    priority: int = 0,
) -> bytes:
    """EGTS_PT_RESPONSE: RPID, PR, then for each (CRN, service, RST) in `acks` one record of
    that service, addressed to the terminal (RSOD), holding one EGTS_SR_RECORD_RESPONSE."""
    body = _RESPONSE_HEAD.pack(rpid & 0xFFFF, result)
    for i, (crn, service, status) in enumerate(acks):
        sub = encode_subrecord(Subrecord.RECORD_RESPONSE, encode_record_response(crn, status))
        body += encode_record((first_rn + i) & 0xFFFF, service, sub, flags=RFL_RSOD)
    return encode_packet(PacketType.RESPONSE, body, pid, priority=priority)


def encode_result_code(pid: int, rn: int, code: int) -> bytes:
    """The server's EGTS_SR_RESULT_CODE (AUTH service), sent after a TERM_IDENTITY."""
    sub = encode_subrecord(Subrecord.RESULT_CODE, bytes((code,)))
    return encode_appdata([encode_record(rn, Service.AUTH, sub, flags=RFL_RSOD)], pid)


__all__ = [
    "DecodeResult",
    "RecordInfo",
    "decode",
    "encode_appdata",
    "encode_packet",
    "encode_record",
    "encode_response",
    "encode_result_code",
    "encode_subrecord",
    "ntm_to_datetime",
]
