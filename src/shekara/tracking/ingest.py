"""The ingest process: tracker gateways, device authentication, durable storage, rules.

``python -m shekara.tracking.ingest`` (or ``shekara tracking ingest``) starts the EGTS and
Wialon IPS gateways on a database. Without a bus, fixes go to the `FixWriter` (acknowledged
after commit) and from there to the in-process rule processor. With ``SHEKARA_BUS_URL`` set,
the gateways publish to JetStream instead (acknowledged after the stream's ack) and rule
processors consume from it (see bus.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shekara.accounts.security import token_digest, verify_password
from shekara.db.engine import make_engine, make_sessionmaker
from shekara.settings import Settings
from shekara.telemetry.gateway import FixSink, start_gateways
from shekara.telemetry.gateway.base import fast_event_loop
from shekara.tracking.models import Device
from shekara.tracking.processor import RuleProcess, RuleProcessor
from shekara.tracking.storage import FixWriter, StoredCallback, ensure_partitions

log = structlog.get_logger(__name__)

AUTH_CACHE_SECONDS = 300.0


class DeviceDirectory:
    """`authenticate(protocol, identifier, password) -> device id` against tracking_devices.

    Accepted credentials are cached for a few minutes: reconnect storms (a cell tower back
    online) must not cost one password hash each.
    """

    def __init__(self, factory: sessionmaker[Session]):
        self.factory = factory
        self._cache: dict[tuple[str, str, str | None], tuple[float, str]] = {}

    async def authenticate(
        self, protocol: str, identifier: str, password: str | None
    ) -> str | None:
        key = (protocol, identifier, password)
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < AUTH_CACHE_SECONDS:
            return hit[1]
        device_id = await asyncio.to_thread(self.lookup, protocol, identifier, password)
        if device_id is not None:
            self._cache[key] = (time.monotonic(), device_id)
        return device_id

    def lookup(self, protocol: str, identifier: str, password: str | None) -> str | None:
        with self.factory() as s:
            device = s.scalars(
                select(Device).where(Device.identifier == identifier, Device.active.is_(True))
            ).first()
            if device is None:
                return None
            if device.protocol not in ("any", protocol):
                return None
            if device.password_hash and not (
                password is not None and verify_password(device.password_hash, password)
            ):
                return None
            return str(device.id)

    def by_token(self, session: Session, token: str) -> Device | None:
        """The device an HTTP ingest token belongs to."""
        return session.scalars(
            select(Device).where(Device.token_hash == token_digest(token), Device.active.is_(True))
        ).first()

    def forget(self) -> None:
        self._cache.clear()


async def serve(
    engine: Engine,
    *,
    host: str = "127.0.0.1",
    egts_port: int | None = 0,
    wialon_port: int | None = 0,
    wialon_udp_port: int | None = None,
    ports_file: Path | None = None,
    sink: FixSink | None = None,
    on_stored: StoredCallback | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the gateways until ``stop`` is set (or SIGTERM/SIGINT)."""
    ensure_partitions(engine)
    directory = DeviceDirectory(make_sessionmaker(engine))
    writer: FixWriter | None = None
    if sink is None:
        writer = FixWriter(engine, on_stored=on_stored).start()
        sink = writer
    running = await start_gateways(
        sink,
        directory.authenticate,
        host=host,
        egts_port=egts_port,
        wialon_port=wialon_port,
        wialon_udp_port=wialon_udp_port,
    )
    ports = {name: running.port(name) for name in [*running.servers, *running.transports]}
    if ports_file is not None:
        tmp = ports_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(ports))
        tmp.rename(ports_file)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not the main thread
            pass
    try:
        await stop.wait()
    finally:
        await running.close()
        if writer is not None:
            writer.close()


def device_uuid(device_id: str) -> uuid.UUID:
    return uuid.UUID(device_id)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Shekara tracker ingest (gateways + storage)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--egts-port", type=int, default=0)
    parser.add_argument("--wialon-port", type=int, default=0)
    parser.add_argument("--ports-file", type=Path)
    parser.add_argument("--no-rules", action="store_true", help="store only, evaluate no rules")
    parser.add_argument(
        "--rules-in-process",
        action="store_true",
        help="evaluate the rules in a thread of this process, not in a child process "
        "(always so on SQLite: one writer at a time)",
    )
    parser.add_argument("--bus-url", default="", help="publish to JetStream (SHEKARA_BUS_URL)")
    parser.add_argument("--stream", default="", help="JetStream stream name (tests)")
    parser.add_argument("--prefix", default="", help="JetStream subject prefix (tests)")
    args = parser.parse_args(argv)
    settings = Settings()
    engine = make_engine(settings, args.database_url or None)
    bus_url = args.bus_url or settings.bus_url
    fast_event_loop()
    if bus_url:  # gateways publish; rule processors consume (python -m shekara.tracking.bus)
        asyncio.run(_serve_on_bus(engine, bus_url, args))
        engine.dispose()
        return
    on_stored: StoredCallback | None = None
    processor: RuleProcess | RuleProcessor | None = None
    if args.rules_in_process or engine.dialect.name == "sqlite":
        processor = RuleProcessor(make_sessionmaker(engine)).start()
        on_stored = processor.submit
    elif not args.no_rules:
        processor = RuleProcess(args.database_url or settings.database_url).start(wait_s=120)
        on_stored = processor.submit
    try:
        asyncio.run(
            serve(
                engine,
                host=args.host,
                egts_port=args.egts_port,
                wialon_port=args.wialon_port,
                ports_file=args.ports_file,
                on_stored=on_stored,
            )
        )
    finally:
        if processor is not None:
            processor.close()
        engine.dispose()


async def _serve_on_bus(engine: Engine, url: str, args: argparse.Namespace) -> None:
    from shekara.tracking.bus import PREFIX, STREAM, JetStreamSink, connect, ensure_stream

    nc, js = await connect(url)
    try:
        prefix = args.prefix or PREFIX
        await ensure_stream(js, args.stream or STREAM, prefix)
        await serve(
            engine,
            host=args.host,
            egts_port=args.egts_port,
            wialon_port=args.wialon_port,
            ports_file=args.ports_file,
            sink=JetStreamSink(js, prefix=prefix),
        )
    finally:
        await nc.close()


if __name__ == "__main__":
    main()
