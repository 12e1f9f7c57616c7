"""Wialon IPS 1.1 and 2.0: pure framing, decoding and answers.

A TCP frame is `#TYPE#body\\r\\n`; a UDP datagram puts `IMEI` (1.1) or `2.0;IMEI` (2.0) before
the first `#`. Version 2.0 ends the body of L, SD, D, B and M with a CRC-16/ARC, written as four
hex digits, computed over the body up to and including its last `;` (the last `|` for B).

`decode_frame` never sends anything: it returns the fixes and the exact answer to send once they
are stored (`#ASD#1`, `#AD#1`, `#AB#<registered>`), or the error answer the specification
prescribes for a malformed packet (`#ASD#10`, `#AD#16`, `#AB#`, `#AL#10`…).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from shekara.telemetry.protocols.crc import crc16_arc
from shekara.telemetry.protocols.errors import FrameTooLarge, ProtocolError
from shekara.telemetry.protocols.fix import Fix
from shekara.telemetry.protocols.wialon.fields import (
    SD_FIELDS,
    FieldError,
    encode_fields,
    parse_body,
)

PROTOCOL = "wialon_ips"
VERSION_1 = "1.1"
VERSION_2 = "2.0"
MAX_FRAME = 4 * 1024 * 1024
"""Largest frame accepted: a black box of 5,000 extended messages fits."""

CRLF = b"\r\n"


@dataclass(frozen=True, slots=True)
class Login:
    """A login packet: protocol version ("1.1" or "2.0"), IMEI and password (None for NA)."""

    version: str
    imei: str
    password: str | None


@dataclass(frozen=True, slots=True)
class WialonResult:
    """One decoded frame. `answer` is what to send after the fixes are durably stored (empty:
    nothing to send); `ok` is False when the frame was rejected (then `answer`, if any, is the
    error answer and `fixes` is empty)."""

    kind: str
    fixes: tuple[Fix, ...] = ()
    answer: bytes = b""
    ok: bool = True
    login: Login | None = None
    message: str | None = None
    error: str | None = None


def answer(kind: str, code: str) -> bytes:
    """An answer frame such as `#ASD#1\\r\\n`."""
    return f"#{kind}#{code}".encode("ascii") + CRLF


_ANSWER_PING = answer("AP", "")
_ANSWER_OK = {"SD": answer("ASD", "1"), "D": answer("AD", "1")}


def login_answer(accepted: bool) -> bytes:
    """`#AL#1` when the device is authenticated, else `#AL#0` (connection rejected)."""
    return answer("AL", "1" if accepted else "0")


def split_frame(buf: bytes | bytearray, max_frame: int = MAX_FRAME) -> tuple[bytes | None, int]:
    """The first complete frame of a TCP stream, without its CRLF, and the bytes it took.

    Returns (None, 0) while the frame is incomplete. A compressed frame (0xFF, length as uint16
    little-endian, zlib data) is returned inflated. Raises `ProtocolError` for a frame longer than
    `max_frame` or a compressed block that does not inflate.
    """
    if not buf:
        return None, 0
    if buf[0] == 0xFF:
        if len(buf) < 3:
            return None, 0
        length = buf[1] | (buf[2] << 8)
        if len(buf) < 3 + length:
            return None, 0
        return _inflate(bytes(buf[3 : 3 + length]), max_frame), 3 + length
    end = buf.find(CRLF)
    if end < 0:
        if len(buf) > max_frame:
            raise FrameTooLarge(f"no frame end within {max_frame} bytes")
        return None, 0
    if end > max_frame:
        raise FrameTooLarge(f"frame of {end} bytes")
    return bytes(buf[:end]), end + 2


def _inflate(data: bytes, max_frame: int) -> bytes:
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, max_frame + 2)
        except zlib.error:
            continue
        if inflater.unconsumed_tail:
            raise FrameTooLarge("compressed frame inflates beyond the limit")
        if not inflater.eof:
            continue
        return out[:-2] if out.endswith(CRLF) else out
    raise ProtocolError("compressed frame does not inflate")


def compress_frame(frame: bytes) -> bytes:
    """The compressed form of a frame (used by tests and simulators)."""
    data = zlib.compress(frame)
    if len(data) > 0xFFFF:
        raise ProtocolError("compressed frame too long")
    return bytes((0xFF, len(data) & 0xFF, len(data) >> 8)) + data


def _check_crc(body: bytes, sep: bytes, extra: bytes) -> tuple[bytes, bool]:
    """Split the trailing CRC off a 2.0 body; return (covered body, CRC correct)."""
    cut = body.rfind(sep)
    if cut < 0:
        return body, False
    covered, crc_text = body[: cut + 1], body[cut + 1 :].strip()
    if crc_text[:2] in (b"0x", b"0X"):
        crc_text = crc_text[2:]
    if not 1 <= len(crc_text) <= 4:
        return covered, False
    try:
        crc = int(crc_text, 16)
    except ValueError:
        return covered, False
    if crc16_arc(covered) == crc:
        return covered, True
    # UDP: some devices cover the datagram prefix and packet type as well
    return covered, bool(extra) and crc16_arc(extra + covered) == crc


def decode_frame(
    frame: bytes,
    *,
    version: str = VERSION_1,
    device_id: str = "",
    received_at: datetime | None = None,
    crc_prefix: bytes = b"",
) -> WialonResult:
    """Decode one frame (without CRLF). `version` is the one the login announced.

    Never raises: a frame that is not `#TYPE#body` gives `ok=False` and no answer.
    """
    if len(frame) < 3 or frame[0] != 0x23:
        return WialonResult("", ok=False, error="frame does not start with #")
    second = frame.find(b"#", 1)
    if second < 0 or second > 5:
        return WialonResult("", ok=False, error="no packet type")
    kind = frame[1:second].decode("ascii", "replace")
    raw = frame[second + 1 :]
    now = received_at or datetime.now(UTC)
    v2 = version != VERSION_1
    prefix = crc_prefix + frame[: second + 1] if crc_prefix else b""
    if kind == "L":
        return _decode_login(raw)
    if kind == "P":
        return WialonResult("P", answer=_ANSWER_PING)
    if kind in ("SD", "D"):
        reply = "A" + kind
        if v2:
            covered, crc_ok = _check_crc(raw, b";", prefix)
            if not crc_ok:
                code = "13" if kind == "SD" else "16"
                return WialonResult(kind, answer=answer(reply, code), ok=False, error="bad CRC")
            raw = covered[:-1]
        try:
            fix = parse_body(raw.decode("latin-1"), kind, device_id, now, blackbox=False)
        except FieldError as exc:
            return WialonResult(kind, answer=answer(reply, exc.code), ok=False, error=str(exc))
        return WialonResult(kind, fixes=(fix,), answer=_ANSWER_OK[kind])
    if kind == "B":
        return _decode_blackbox(raw, v2, device_id, now, prefix)
    if kind == "M":
        if v2:
            covered, crc_ok = _check_crc(raw, b";", prefix)
            if not crc_ok:
                return WialonResult("M", answer=answer("AM", "01"), ok=False, error="bad CRC")
            raw = covered[:-1]
        return WialonResult("M", answer=answer("AM", "1"), message=raw.decode("latin-1"))
    return WialonResult(kind, ok=False, error=f"packet type {kind!r} unsupported")


def _decode_login(raw: bytes) -> WialonResult:
    parts = raw.decode("latin-1").split(";")
    if len(parts) == 4:
        _, crc_ok = _check_crc(raw, b";", b"")
        if not crc_ok:
            return WialonResult("L", answer=answer("AL", "10"), ok=False, error="bad CRC")
        version, imei, password = parts[0], parts[1], parts[2]
    elif len(parts) == 2:
        version, imei, password = VERSION_1, parts[0], parts[1]
    else:
        return WialonResult("L", answer=answer("AL", "0"), ok=False, error="bad login structure")
    if not imei or version not in (VERSION_1, VERSION_2, "2.1", "2.2"):
        return WialonResult("L", answer=answer("AL", "0"), ok=False, error="bad login fields")
    return WialonResult("L", login=Login(version, imei, None if password == "NA" else password))


def _decode_blackbox(
    raw: bytes, v2: bool, device_id: str, now: datetime, prefix: bytes
) -> WialonResult:
    if v2:
        covered, crc_ok = _check_crc(raw, b"|", prefix)
        if not crc_ok:
            return WialonResult("B", answer=answer("AB", ""), ok=False, error="bad CRC")
        raw = covered[:-1]
    body = raw.decode("latin-1")
    fixes: list[Fix] = []
    errors = 0
    for item in body.split("|"):
        if not item:
            continue
        kind = "SD" if item.count(";") + 1 == SD_FIELDS else "D"
        try:
            fixes.append(parse_body(item, kind, device_id, now, blackbox=True))
        except FieldError:
            errors += 1
    return WialonResult(
        "B",
        fixes=tuple(fixes),
        answer=answer("AB", str(len(fixes))),
        error=f"{errors} black-box messages rejected" if errors else None,
    )


def parse_udp_datagram(
    datagram: bytes,
) -> list[tuple[str, str, bytes]]:
    """Split a UDP datagram into (version, IMEI, frame) triples; raises `ProtocolError`."""
    out: list[tuple[str, str, bytes]] = []
    for line in datagram.split(CRLF):
        if not line:
            continue
        hash_at = line.find(b"#")
        if hash_at <= 0:
            raise ProtocolError("UDP packet without an IMEI prefix")
        prefix = line[:hash_at].decode("ascii", "replace")
        if ";" in prefix:
            version, _, imei = prefix.partition(";")
        else:
            version, imei = VERSION_1, prefix
        if not imei:
            raise ProtocolError("UDP packet with an empty IMEI")
        out.append((version, imei, line[hash_at:]))
    return out


# --- encoders ------------------------------------------------------------------------------


def crc_text(covered: str) -> str:
    """The four upper-case hex digits of the CRC-16/ARC of `covered`."""
    return f"{crc16_arc(covered.encode('latin-1')):04X}"


def encode_frame(kind: str, body: str, version: str = VERSION_2) -> bytes:
    """`#kind#body` + CRLF; for 2.0, `;` (or `|` for B) and the CRC are appended to L, SD, D,
    B and M bodies."""
    if version != VERSION_1 and kind in ("L", "SD", "D", "M", "B"):
        covered = body + ("|" if kind == "B" else ";")
        body = covered + crc_text(covered)
    return f"#{kind}#{body}".encode("latin-1") + CRLF


def encode_login(imei: str, password: str | None = None, version: str = VERSION_2) -> bytes:
    pw = "NA" if password is None else password
    if version == VERSION_1:
        return encode_frame("L", f"{imei};{pw}", VERSION_1)
    return encode_frame("L", f"{version};{imei};{pw}", version)


def encode_sd(fix: Fix, version: str = VERSION_2) -> bytes:
    return encode_frame("SD", encode_fields(fix, "SD"), version)


def encode_d(fix: Fix, version: str = VERSION_2) -> bytes:
    return encode_frame("D", encode_fields(fix, "D"), version)


def encode_blackbox(fixes: list[Fix], version: str = VERSION_2, kind: str = "D") -> bytes:
    return encode_frame("B", "|".join(encode_fields(f, kind) for f in fixes), version)


def encode_ping() -> bytes:
    return b"#P#" + CRLF


def encode_udp(frame: bytes, imei: str, version: str = VERSION_2) -> bytes:
    """Prefix a frame for UDP: `IMEI` in 1.1, `version;IMEI` in 2.0."""
    prefix = imei if version == VERSION_1 else f"{version};{imei}"
    return prefix.encode("ascii") + frame
