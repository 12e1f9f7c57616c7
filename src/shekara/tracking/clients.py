"""Terminal-side clients that speak the real protocols over TCP (simulator, tests, benchmark).

They use the same pure encoders and decoder as the server, and wait for the server's
acknowledgement of every packet: `send` returns only once the server confirmed the fixes.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

from shekara.telemetry.protocols.egts import (
    AuthInfo,
    DecodeResult,
    PacketType,
    Result,
    TermIdentity,
    decode,
    encode_auth_packet,
    encode_fix_packet,
)
from shekara.telemetry.protocols.fix import Fix
from shekara.telemetry.protocols.wialon import (
    VERSION_2,
    encode_blackbox,
    encode_d,
    encode_login,
)


class NotAcknowledged(Exception):
    """The server rejected a packet or closed the connection before acknowledging it."""


class EgtsClient:
    """An EGTS terminal: `await client.connect()`, then `await client.send(fixes)`."""

    def __init__(self, host: str, port: int, imei: str, tid: int = 1, password: str | None = None):
        self.host, self.port, self.imei, self.tid, self.password = host, port, imei, tid, password
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._pid = itertools.count(1)
        self._rn = itertools.count(1)
        self._buf = bytearray()

    async def connect(self, timeout: float = 10.0) -> None:
        self.reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), timeout
        )
        self.writer = writer
        auth = AuthInfo(self.imei, self.password) if self.password is not None else None
        pid = next(self._pid) & 0xFFFF
        ident = TermIdentity(tid=self.tid, imei=self.imei)
        writer.write(encode_auth_packet(pid, next(self._rn) & 0xFFFF, ident, auth))
        await writer.drain()
        got_response = False
        while True:
            packet = await asyncio.wait_for(self._packet(), timeout)
            if packet.response_to is not None and packet.response_to[0] == pid:
                got_response = True
            if packet.result_codes:
                if packet.result_codes[-1] != Result.OK:
                    raise NotAcknowledged(f"authentication refused: {packet.result_codes[-1]}")
                if got_response:
                    return
            elif got_response and packet.packet_type == PacketType.RESPONSE:
                continue

    async def _packet(self) -> DecodeResult:
        assert self.reader is not None
        while True:
            if self._buf:
                result = decode(self._buf)
                if not result.need_more:
                    del self._buf[: max(result.consumed, 1)]
                    return result
            data = await self.reader.read(65536)
            if not data:
                raise NotAcknowledged("connection closed")
            self._buf += data

    async def send(self, fixes: Sequence[Fix], timeout: float = 10.0) -> None:
        """Send fixes in one packet; return once the server's PT_RESPONSE says OK."""
        assert self.writer is not None
        pid = next(self._pid) & 0xFFFF
        first_rn = next(self._rn) & 0xFFFF
        for _ in range(len(fixes) - 1):
            next(self._rn)
        self.writer.write(encode_fix_packet(fixes, pid, first_rn))
        await self.writer.drain()
        while True:
            packet = await asyncio.wait_for(self._packet(), timeout)
            if packet.response_to is not None and packet.response_to[0] == pid:
                if packet.response_to[1] != Result.OK:
                    raise NotAcknowledged(f"packet refused: {packet.response_to[1]}")
                return

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (OSError, ConnectionError):
                pass


class WialonClient:
    """A Wialon IPS terminal (2.0 by default)."""

    def __init__(
        self,
        host: str,
        port: int,
        imei: str,
        password: str | None = None,
        version: str = VERSION_2,
    ):
        self.host, self.port, self.imei = host, port, imei
        self.password, self.version = password, version
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _answer(self, timeout: float) -> bytes:
        assert self.reader is not None
        line = await asyncio.wait_for(self.reader.readline(), timeout)
        if not line:
            raise NotAcknowledged("connection closed")
        return line.strip()

    async def connect(self, timeout: float = 10.0) -> None:
        self.reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), timeout
        )
        self.writer = writer
        writer.write(encode_login(self.imei, self.password, self.version))
        await writer.drain()
        answer = await self._answer(timeout)
        if answer != b"#AL#1":
            raise NotAcknowledged(f"login refused: {answer!r}")

    async def send(self, fixes: Sequence[Fix], timeout: float = 10.0) -> None:
        """Live fixes as `#D#` frames (one answer each), black-box ones as one `#B#` frame."""
        assert self.writer is not None
        live = [f for f in fixes if not f.blackbox]
        old = [f for f in fixes if f.blackbox]
        data = b"".join(encode_d(f, self.version) for f in live)
        if old:
            data += encode_blackbox(old, self.version)
        self.writer.write(data)
        await self.writer.drain()
        for _ in live:
            answer = await self._answer(timeout)
            if answer != b"#AD#1":
                raise NotAcknowledged(f"data refused: {answer!r}")
        if old:
            answer = await self._answer(timeout)
            if answer != f"#AB#{len(old)}".encode():
                raise NotAcknowledged(f"black box refused: {answer!r}")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (OSError, ConnectionError):
                pass


Client = EgtsClient | WialonClient
