"""What the gateways need from the rest of the system, and their settings.

The gateways know nothing about databases: they hand decoded fixes to a `FixSink` and ask an
`Authenticator` who a device is. A fix is acknowledged to a device only after `FixSink.store`
returned, so a device never deletes from its black box data that was not durably stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from shekara.telemetry.protocols.fix import Fix

log = structlog.get_logger(__name__)


class FixSink(Protocol):
    """Durable destination of decoded fixes (database writer, JetStream publisher…)."""

    async def store(self, fixes: Sequence[Fix]) -> None:
        """Return only once `fixes` are durable; raise if they could not be stored."""
        ...


Authenticator = Callable[[str, str, str | None], Awaitable[str | None]]
"""`authenticate(protocol, device_identifier, password) -> device_id | None`.

`protocol` is "egts" or "wialon_ips"; `device_identifier` the IMEI (or EGTS terminal id / OID);
`password` is None when the protocol sent none. None means: reject the device.
"""


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Tunables shared by the gateways."""

    idle_timeout_s: float = 600.0
    """Close a connection that sent nothing for this long (devices ping every few minutes)."""
    write_timeout_s: float = 30.0
    """Give up on a device that does not read its acknowledgements."""
    max_frame_bytes: int = 4 * 1024 * 1024
    """Largest Wialon IPS frame (a 5,000-message black box is about 1 MiB)."""
    max_udp_tasks: int = 1000
    """UDP datagrams processed concurrently; beyond this, datagrams are dropped (and logged)."""


async def send(writer: asyncio.StreamWriter, data: bytes, settings: GatewaySettings) -> None:
    """Write and wait until the data is handed to the kernel (bounded by the write timeout).

    The common case costs no task and no timer: the kernel took everything at once."""
    transport = writer.transport
    if transport.is_closing():
        raise ConnectionResetError("connection closed")
    writer.write(data)
    if transport.get_write_buffer_size() == 0:
        return
    async with asyncio.timeout(settings.write_timeout_s):
        await writer.drain()


async def close(writer: asyncio.StreamWriter) -> None:
    """Close a connection, ignoring a peer that already went away."""
    writer.close()
    try:
        async with asyncio.timeout(5.0):  # a timer, not the extra task of wait_for
            await writer.wait_closed()
    except (OSError, TimeoutError):
        pass


class IdleWatch:
    """Closes the connections of a gateway that sent nothing for ``timeout_s``.

    One timer for all connections (a check every quarter of the timeout, at most every 30 s)
    instead of one timer per read: with 10,000 devices reading is most of what a gateway does.
    A connection is closed between 1 and 1.25 times the timeout after it began waiting for data
    (as with a timeout on each read: the time spent storing a batch does not count)."""

    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s
        self._last: dict[asyncio.StreamWriter, float] = {}
        self._task: asyncio.Task[None] | None = None

    def touch(self, writer: asyncio.StreamWriter) -> None:
        """The connection of ``writer`` starts waiting for data."""
        loop = asyncio.get_running_loop()
        self._last[writer] = loop.time()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())

    def forget(self, writer: asyncio.StreamWriter) -> None:
        self._last.pop(writer, None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        period = min(self.timeout_s / 4, 30.0)
        while self._last:
            await asyncio.sleep(period)
            limit = loop.time() - self.timeout_s
            for writer, last in list(self._last.items()):
                if last < limit:
                    log.info("gateway.idle_timeout", idle_timeout_s=self.timeout_s)
                    self._last.pop(writer, None)
                    writer.close()  # the pending read then sees the end of the stream


async def read(
    reader: asyncio.StreamReader,
    settings: GatewaySettings,
    watch: IdleWatch | None = None,
    writer: asyncio.StreamWriter | None = None,
) -> bytes | None:
    """The next chunk of the stream; None when the peer closed or stayed idle too long (checked
    by ``watch`` for ``writer``'s connection, else by a timer on this read)."""
    try:
        if watch is not None and writer is not None:
            watch.touch(writer)  # idle from now: the time spent storing does not count
            data = await reader.read(65536)
        else:
            async with asyncio.timeout(settings.idle_timeout_s):
                data = await reader.read(65536)
    except TimeoutError:
        log.info("gateway.idle_timeout", idle_timeout_s=settings.idle_timeout_s)
        return None
    except (ConnectionError, OSError) as exc:
        log.info("gateway.read_failed", error=str(exc))
        return None
    return data or None


def fast_event_loop() -> None:
    """Use uvloop's event loop for the next `asyncio.run` where it is installed (Linux, macOS):
    its sockets, timers and callbacks cost a fraction of the standard loop's, which is most of
    a gateway's work."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - optional
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
