"""Wialon IPS TCP and UDP gateways.

TCP: the first frame must be a login (`#L#`); it is answered `#AL#1` when `authenticate`
accepts the device, `#AL#0` (then the connection is closed) when not, `#AL#10` on a bad CRC.
Data frames are answered only after their fixes are stored: `#ASD#1`, `#AD#1`, `#AB#<n>`.
Malformed data gets the error answer of the specification; a frame that is not `#TYPE#…` or
data before login closes the connection. A failed store closes it without an answer.

UDP: each datagram carries `IMEI#…` (1.1) or `2.0;IMEI#…` (2.0); the IMEI is authenticated
(without password) for every datagram, and the answer goes back to the sender after storing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import cast

import structlog

from shekara.telemetry.gateway.base import (
    Authenticator,
    FixSink,
    GatewaySettings,
    IdleWatch,
    close,
    read,
    send,
)
from shekara.telemetry.protocols.errors import ProtocolError
from shekara.telemetry.protocols.fix import Fix
from shekara.telemetry.protocols.wialon import (
    PROTOCOL,
    VERSION_1,
    WialonResult,
    decode_frame,
    login_answer,
    parse_udp_datagram,
    split_frame,
)

log = structlog.get_logger(__name__)


class WialonGateway:
    """Serves Wialon IPS over TCP: `server = await WialonGateway(sink, auth).start(host, port)`
    and over UDP: `transport = await gateway.start_udp(host, port)`."""

    def __init__(
        self,
        sink: FixSink,
        authenticate: Authenticator,
        settings: GatewaySettings | None = None,
    ):
        self.sink = sink
        self.authenticate = authenticate
        self.settings = settings or GatewaySettings()
        self.idle = IdleWatch(self.settings.idle_timeout_s)

    async def start(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(self.handle, host, port)

    async def start_udp(self, host: str, port: int) -> asyncio.DatagramTransport:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: WialonUdpProtocol(self), local_addr=(host, port)
        )
        return transport

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        session = _TcpSession(self, writer, log.bind(protocol=PROTOCOL, peer=str(peer)))
        session.log.info("wialon.connected")
        self.idle.touch(writer)
        try:
            await session.run(reader)
        except (ConnectionError, TimeoutError) as exc:  # peer gone, or not reading our answers
            session.log.info("wialon.connection_lost", error=repr(exc))
        except Exception:
            session.log.exception("wialon.session_failed")
        finally:
            self.idle.forget(writer)
            session.log.info("wialon.disconnected", device_id=session.device_id)
            await close(writer)

    async def _ask(
        self, imei: str, password: str | None, logger: structlog.typing.FilteringBoundLogger
    ) -> str | None:
        try:
            return await self.authenticate(PROTOCOL, imei, password)
        except Exception:
            logger.exception("wialon.authenticator_failed", imei=imei)
            return None


class _TcpSession:
    def __init__(
        self,
        gateway: WialonGateway,
        writer: asyncio.StreamWriter,
        logger: structlog.typing.FilteringBoundLogger,
    ):
        self.gateway = gateway
        self.writer = writer
        self.log = logger
        self.device_id: str | None = None
        self.version = VERSION_1

    async def run(self, reader: asyncio.StreamReader) -> None:
        settings = self.gateway.settings
        buf = bytearray()
        while True:
            data = await read(reader, settings, self.gateway.idle, self.writer)
            if data is None:
                return
            buf += data
            batch: list[WialonResult] = []
            while buf:
                try:
                    frame, consumed = split_frame(buf, settings.max_frame_bytes)
                except ProtocolError as exc:
                    self.log.warning("wialon.bad_frame", error=str(exc))
                    return
                if frame is None:
                    break
                del buf[:consumed]
                result = self._decode(frame)
                if self.device_id is not None and result.kind not in ("L", ""):
                    batch.append(result)  # data, pings, error answers: kept in order
                    continue
                if not await self._flush(batch):
                    return
                batch = []
                if not await self._process(frame, result):
                    return
            if not await self._flush(batch):
                return

    def _decode(self, frame: bytes) -> WialonResult:
        return decode_frame(
            frame,
            version=self.version,
            device_id=self.device_id or "",
            received_at=datetime.now(UTC),
        )

    async def _flush(self, batch: list[WialonResult]) -> bool:
        """Store the fixes of consecutive frames with one `store` call, then send all their
        answers, in order, in one write."""
        if not batch:
            return True
        fixes: list[Fix] = []
        for result in batch:
            if not result.ok:
                self.log.warning("wialon.rejected", kind=result.kind, error=result.error)
            elif result.error:
                self.log.warning("wialon.partly_rejected", kind=result.kind, error=result.error)
            fixes.extend(result.fixes)
        if fixes:
            try:
                await self.gateway.sink.store(fixes)
            except Exception:
                self.log.exception("wialon.store_failed", fixes=len(fixes))
                return False
        answers = b"".join(result.answer for result in batch)
        if answers:
            await send(self.writer, answers, self.gateway.settings)
        return True

    async def _process(self, frame: bytes, result: WialonResult) -> bool:
        """Handle a login, garbage, or a frame before login; False closes the connection."""
        if result.kind == "L":
            return await self._login(result)
        if result.kind == "":
            self.log.warning("wialon.garbage", error=result.error, head=frame[:32].hex())
            return False
        self.log.warning("wialon.data_before_login", kind=result.kind)
        return False

    async def _login(self, result: WialonResult) -> bool:
        settings = self.gateway.settings
        login = result.login
        if login is None:
            self.log.warning("wialon.bad_login", error=result.error)
            await send(self.writer, result.answer, settings)
            return result.answer != login_answer(False)
        device_id = await self.gateway._ask(login.imei, login.password, self.log)
        if device_id is None:
            self.log.warning("wialon.auth_denied", imei=login.imei)
            await send(self.writer, login_answer(False), settings)
            return False
        self.device_id = device_id
        self.version = login.version
        self.log.info(
            "wialon.authenticated", imei=login.imei, device_id=device_id, version=login.version
        )
        await send(self.writer, login_answer(True), settings)
        return True


class WialonUdpProtocol(asyncio.DatagramProtocol):
    """One datagram may hold several frames; each is handled in its own task."""

    def __init__(self, gateway: WialonGateway):
        self.gateway = gateway
        self.transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # the selector loop's datagram transport does not subclass DatagramTransport
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if len(self._tasks) >= self.gateway.settings.max_udp_tasks:
            log.warning("wialon.udp_overload", peer=str(addr))
            return
        task = asyncio.get_running_loop().create_task(self._handle(data, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, data: bytes, addr: tuple[str | object, int]) -> None:
        logger = log.bind(protocol=PROTOCOL, peer=str(addr), transport="udp")
        try:
            items = parse_udp_datagram(data)
        except ProtocolError as exc:
            logger.warning("wialon.udp_garbage", error=str(exc), head=data[:32].hex())
            return
        try:
            for version, imei, frame in items:
                await self._frame(version, imei, frame, addr, logger)
        except Exception:
            logger.exception("wialon.udp_failed")

    async def _frame(
        self,
        version: str,
        imei: str,
        frame: bytes,
        addr: tuple[str | object, int],
        logger: structlog.typing.FilteringBoundLogger,
    ) -> None:
        device_id = await self.gateway._ask(imei, None, logger)
        if device_id is None:
            logger.warning("wialon.auth_denied", imei=imei)
            return
        prefix = imei if version == VERSION_1 else f"{version};{imei}"
        result = decode_frame(
            frame,
            version=version,
            device_id=device_id,
            received_at=datetime.now(UTC),
            crc_prefix=prefix.encode("ascii", "replace"),
        )
        if not result.ok:
            logger.warning("wialon.rejected", kind=result.kind, error=result.error)
        elif result.fixes:
            try:
                await self.gateway.sink.store(result.fixes)
            except Exception:
                logger.exception("wialon.store_failed", fixes=len(result.fixes))
                return
        if result.answer and self.transport is not None:
            self.transport.sendto(result.answer, addr)
