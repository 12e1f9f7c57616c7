"""EGTS TCP gateway.

Per packet: decode; for a bad packet answer with the GOST processing code (and close when the
header cannot be trusted); authenticate on TERM_IDENTITY (or, for terminals that never send one,
on the OID of their records); store the fixes; only then send the PT_RESPONSE with one
RECORD_RESPONSE per record, followed after an authentication by the server's RESULT_CODE.
When storing fails nothing is acknowledged and the connection is closed: the terminal keeps
the data and sends it again. Consecutive data packets that arrived in one read are stored with
one `store` call and acknowledged together, in order.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

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
from shekara.telemetry.protocols.egts import DecodeResult, PacketType, Result, decode
from shekara.telemetry.protocols.egts.codec import PROTOCOL, encode_result_code

log = structlog.get_logger(__name__)


class EgtsGateway:
    """Serves EGTS terminals: `server = await EgtsGateway(sink, auth).start(host, port)`."""

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

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        session = _Session(self, writer, log.bind(protocol=PROTOCOL, peer=str(peer)))
        session.log.info("egts.connected")
        self.idle.touch(writer)
        try:
            await session.run(reader)
        except (ConnectionError, TimeoutError) as exc:  # peer gone, or not reading our answers
            session.log.info("egts.connection_lost", error=repr(exc))
        except Exception:
            session.log.exception("egts.session_failed")
        finally:
            self.idle.forget(writer)
            session.log.info("egts.disconnected", device_id=session.device_id)
            await close(writer)


class _Session:
    def __init__(
        self,
        gateway: EgtsGateway,
        writer: asyncio.StreamWriter,
        logger: structlog.typing.FilteringBoundLogger,
    ):
        self.gateway = gateway
        self.writer = writer
        self.log = logger
        self.device_id: str | None = None
        self._pid = itertools.count()
        self._rn = 0

    def _next_pid(self) -> int:
        return next(self._pid) & 0xFFFF

    def _take_rns(self, count: int) -> int:
        first = self._rn
        self._rn = (self._rn + count) & 0xFFFF
        return first

    async def run(self, reader: asyncio.StreamReader) -> None:
        settings = self.gateway.settings
        buf = bytearray()
        while True:
            data = await read(reader, settings, self.gateway.idle, self.writer)
            if data is None:
                return
            buf += data
            batch: list[DecodeResult] = []
            while buf:
                result = decode(buf, device_id=self.device_id, received_at=datetime.now(UTC))
                if result.need_more:
                    break
                del buf[: result.consumed]
                if self._batchable(result):
                    batch.append(result)
                    continue
                if not await self._flush(batch):
                    return
                batch = []
                if not await self._process(result):
                    return
            if not await self._flush(batch):
                return

    def _batchable(self, result: DecodeResult) -> bool:
        """A plain data packet of an authenticated terminal: these are stored together."""
        return (
            self.device_id is not None
            and result.result == Result.OK
            and result.packet_type != PacketType.RESPONSE
            and not result.identities
            and not result.auth_infos
        )

    async def _flush(self, batch: list[DecodeResult]) -> bool:
        """Store the fixes of consecutive data packets with one `store` call, then send their
        responses in one write. A burst of black-box packets costs one durable write."""
        if not batch:
            return True
        device_id = self.device_id or ""
        fixes = [f.with_device(device_id) for result in batch for f in result.fixes]
        if fixes:
            try:
                await self.gateway.sink.store(fixes)
            except Exception:
                self.log.exception("egts.store_failed", fixes=len(fixes), packets=len(batch))
                return False
            self.log.debug("egts.stored", fixes=len(fixes), device_id=device_id)
        answers = b"".join(
            result.response(self._next_pid(), self._take_rns(result.record_numbers))
            for result in batch
        )
        await send(self.writer, answers, self.gateway.settings)
        return True

    async def _respond(self, result: DecodeResult, record_status: int | None = None) -> None:
        if not result.needs_response:
            return
        first_rn = self._take_rns(result.record_numbers)
        await send(
            self.writer,
            result.response(self._next_pid(), first_rn, record_status),
            self.gateway.settings,
        )

    async def _process(self, result: DecodeResult) -> bool:
        """Handle one decoded packet; False closes the connection."""
        if result.fatal or result.result != Result.OK:
            self.log.warning(
                "egts.bad_packet",
                code=int(result.result),
                error=result.error,
                pid=result.pid,
                fatal=result.fatal,
            )
            await self._respond(result)
            return not result.fatal
        if result.packet_type == PacketType.RESPONSE:
            self.log.debug(
                "egts.response_received",
                response_to=result.response_to,
                confirmations=len(result.confirmations),
            )
            return True
        auth_code: int | None = None
        if result.identities or (result.auth_infos and self.device_id is None):
            auth_code = await self._authenticate(result)
        fixes = result.fixes
        if auth_code is not None and auth_code != Result.OK:
            if not fixes:  # nothing was dropped: the records themselves were processed
                await self._respond(result)
            packet = encode_result_code(self._next_pid(), self._take_rns(1), auth_code)
            await send(self.writer, packet, self.gateway.settings)
            return False
        if fixes and self.device_id is None:
            oid = next((r.oid for r in result.records if r.oid is not None), None)
            if oid is not None:
                self.device_id = await self._ask(str(oid), None)
            if self.device_id is None:
                self.log.warning("egts.unauthenticated_data", fixes=len(fixes), oid=oid)
                return False
        if fixes:
            device_id = self.device_id or ""
            fixes = tuple(f.with_device(device_id) for f in fixes)
            try:
                await self.gateway.sink.store(fixes)
            except Exception:
                self.log.exception("egts.store_failed", fixes=len(fixes), pid=result.pid)
                return False
            self.log.debug("egts.stored", fixes=len(fixes), device_id=device_id)
        await self._respond(result)
        if auth_code is not None:
            packet = encode_result_code(self._next_pid(), self._take_rns(1), auth_code)
            await send(self.writer, packet, self.gateway.settings)
        return True

    async def _authenticate(self, result: DecodeResult) -> int:
        password = result.auth_infos[-1].password if result.auth_infos else None
        if result.identities:
            identifier = result.identities[-1].identifier
        else:
            identifier = result.auth_infos[-1].user
        device_id = await self._ask(identifier, password)
        if device_id is None:
            self.log.warning("egts.auth_denied", identifier=identifier)
            self.device_id = None
            return Result.AUTH_DENIED
        self.device_id = device_id
        self.log.info("egts.authenticated", identifier=identifier, device_id=device_id)
        return Result.OK

    async def _ask(self, identifier: str, password: str | None) -> str | None:
        try:
            return await self.gateway.authenticate(PROTOCOL, identifier, password)
        except Exception:
            self.log.exception("egts.authenticator_failed", identifier=identifier)
            return None
