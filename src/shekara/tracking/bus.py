"""NATS JetStream: gateways publish, rule processors consume (scale-out on an existing engine).

With ``SHEKARA_BUS_URL=nats://…`` the gateways' sink is `JetStreamSink`: a device's fixes are
published to ``<prefix>.<partition>.<device id>`` and the device is acknowledged only once
JetStream acknowledged the publication (the message is in the stream's file storage). Each
message carries a ``Nats-Msg-Id`` derived from its content, so a device that sends the same
fixes again within the duplicate window produces no second message.

`BusConsumer` is a rule processor: a durable pull consumer on one or more partitions. It
fetches a batch, stores the fixes (idempotently) and runs the rules on the fixes that were
new, in one database transaction, then acknowledges the batch. A crash before the
acknowledgement makes JetStream redeliver: the fixes are already stored, so they are not
evaluated twice. A stream keeps the order of each subject, and a device always maps to the
same partition, hence to one consumer: each device is processed in fix-time order.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import nats
import structlog
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from sqlalchemy.orm import Session, sessionmaker

from shekara.db.engine import session_scope
from shekara.telemetry.protocols.fix import Alarm, Fix
from shekara.tracking.processor import WorldCache, process_batch
from shekara.tracking.rules import DeviceState, RuleConfig
from shekara.tracking.storage import new_fixes

log = structlog.get_logger(__name__)

STREAM = "SHEKARA_FIXES"
PREFIX = "shekara.fixes"
PARTITIONS = 4


def fix_to_dict(fix: Fix) -> dict[str, Any]:
    return {
        "d": fix.device_id,
        "t": fix.fix_time.isoformat(),
        "r": fix.received_at.isoformat() if fix.received_at else None,
        "lat": fix.lat,
        "lon": fix.lon,
        "v": fix.valid,
        "spd": fix.speed_kmh,
        "crs": fix.course_deg,
        "alt": fix.altitude_m,
        "sat": fix.satellites,
        "hdop": fix.hdop,
        "bb": fix.blackbox,
        "p": fix.protocol,
        "a": sorted(fix.alarms),
        "x": dict(fix.params),
    }


def fix_from_dict(d: dict[str, Any]) -> Fix:
    return Fix(
        device_id=d["d"],
        fix_time=datetime.fromisoformat(d["t"]),
        received_at=datetime.fromisoformat(d["r"]) if d.get("r") else None,
        lat=d.get("lat"),
        lon=d.get("lon"),
        valid=bool(d.get("v")),
        speed_kmh=d.get("spd"),
        course_deg=d.get("crs"),
        altitude_m=d.get("alt"),
        satellites=d.get("sat"),
        hdop=d.get("hdop"),
        blackbox=bool(d.get("bb")),
        protocol=d.get("p", ""),
        alarms=frozenset(Alarm(a) for a in d.get("a", ())),
        params=d.get("x") or {},
    )


def partition_of(device_id: str, partitions: int = PARTITIONS) -> int:
    return zlib.crc32(device_id.encode()) % partitions


async def ensure_stream(
    js: JetStreamContext, stream: str = STREAM, prefix: str = PREFIX, max_age_s: float = 7 * 86400
) -> None:
    """Create the fix stream (file storage, 2-minute duplicate window) if it is missing."""
    config = StreamConfig(
        name=stream,
        subjects=[f"{prefix}.>"],
        storage=StorageType.FILE,
        duplicate_window=120.0,
        max_age=max_age_s,
    )
    try:
        await js.stream_info(stream)
    except nats.js.errors.NotFoundError:
        await js.add_stream(config)


class JetStreamSink:
    """`FixSink` that returns once JetStream acknowledged every fix."""

    def __init__(
        self,
        js: JetStreamContext,
        prefix: str = PREFIX,
        partitions: int = PARTITIONS,
        timeout: float = 10.0,
    ):
        self.js = js
        self.prefix = prefix
        self.partitions = partitions
        self.timeout = timeout

    async def store(self, fixes: Sequence[Fix]) -> None:
        by_device: dict[str, list[Fix]] = defaultdict(list)
        for f in fixes:
            by_device[f.device_id].append(f)
        publications = []
        for device_id, items in by_device.items():
            payload = json.dumps([fix_to_dict(f) for f in items], separators=(",", ":")).encode()
            msg_id = hashlib.blake2b(payload, digest_size=16).hexdigest()
            subject = f"{self.prefix}.{partition_of(device_id, self.partitions)}.{device_id}"
            publications.append(
                self.js.publish(
                    subject, payload, timeout=self.timeout, headers={"Nats-Msg-Id": msg_id}
                )
            )
        await asyncio.gather(*publications)  # raises if any was not acknowledged


class BusConsumer:
    """A durable rule processor for some partitions of the fix stream."""

    def __init__(
        self,
        js: JetStreamContext,
        factory: sessionmaker[Session],
        *,
        partitions: Sequence[int] = tuple(range(PARTITIONS)),
        stream: str = STREAM,
        prefix: str = PREFIX,
        durable: str = "rules",
        batch: int = 2000,
        config: RuleConfig | None = None,
        world: WorldCache | None = None,
    ):
        self.js = js
        self.factory = factory
        self.partitions = list(partitions)
        self.stream = stream
        self.prefix = prefix
        self.durable = durable
        self.batch = batch
        self.config = config or RuleConfig()
        self.world = world or WorldCache()
        self.states: dict[str, DeviceState] = {}
        self.processed = 0
        self.alerts = 0
        self._subs: list[JetStreamContext.PullSubscription] = []
        self._next: list[int] = []
        """Per partition, the consumer sequence the next delivery must carry."""

    async def start(self) -> BusConsumer:
        self._subs = [await self._subscribe(p) for p in self.partitions]
        self._next = [1] * len(self._subs)
        return self

    async def _subscribe(self, partition: int) -> JetStreamContext.PullSubscription:
        """Bind to the partition's durable consumer, rewound to its acknowledgement floor.

        What an earlier process fetched and never acknowledged (it was killed, or its
        transaction failed) must be delivered again *first*: the server would otherwise
        deliver the next messages and keep those for after the acknowledgement wait, and
        acknowledging a later batch (ack-all) would acknowledge them unseen. One process
        consumes a partition at a time, so the consumer is recreated from the first
        unacknowledged message; what was already stored is stored once and not evaluated
        again."""
        name = f"{self.durable}-{partition}"
        try:
            info = await self.js.consumer_info(self.stream, name)
        except nats.js.errors.NotFoundError:
            info = None
        if info is not None:  # recreated even when nothing is pending: a pull request of a
            # killed process may still be held by the server and deliver into the void
            floor = (info.ack_floor.stream_seq if info.ack_floor else 0) or 0
            await self.js.delete_consumer(self.stream, name)
            log.info("tracking.bus_rewind", consumer=name, from_stream_seq=floor + 1)
        config = ConsumerConfig(
            durable_name=name,
            filter_subject=f"{self.prefix}.{partition}.>",
            ack_policy=AckPolicy.ALL,
            ack_wait=60.0,
            max_ack_pending=100_000,
        )
        if info is not None:
            config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
            config.opt_start_seq = floor + 1
        await self.js.add_consumer(self.stream, config)
        return await self.js.pull_subscribe_bind(durable=name, stream=self.stream)

    async def run_once(self, timeout: float = 1.0) -> int:
        """Fetch, store and evaluate one batch per partition; returns fixes handled. When a
        batch fails, its partition is rewound (nothing after it is acknowledged) and the error
        raised."""
        handled = 0
        for i, sub in enumerate(self._subs):
            try:
                msgs = await sub.fetch(self.batch, timeout=timeout)
            except (nats.errors.TimeoutError, TimeoutError):
                continue
            seqs = [m.metadata.sequence.consumer for m in msgs]
            if seqs != list(range(self._next[i], self._next[i] + len(msgs))):
                # a delivery never reached us (a fetch that timed out while the server was
                # still sending): start again from the first unacknowledged message
                log.warning("tracking.bus_gap", expected=self._next[i], got=seqs[:3])
                await self._rewind(i)
                continue
            try:
                fixes = [fix_from_dict(d) for m in msgs for d in json.loads(m.data)]
                await asyncio.to_thread(self._handle, fixes)
            except Exception:
                await self._rewind(i)
                raise
            await msgs[-1].ack()  # AckPolicy.ALL: acknowledges the whole batch
            self._next[i] = seqs[-1] + 1
            handled += len(fixes)
        self.processed += handled
        return handled

    async def _rewind(self, i: int) -> None:
        await self._subs[i].unsubscribe()
        self._subs[i] = await self._subscribe(self.partitions[i])
        self._next[i] = 1  # a recreated consumer numbers its deliveries from 1

    def _handle(self, fixes: list[Fix]) -> None:
        try:
            with session_scope(self.factory) as s:
                fresh = new_fixes(s.connection(), fixes)
                result = process_batch(
                    s, self.world.get(s), fresh, config=self.config, states=self.states
                )
                self.alerts += len(result.alerts)
        except Exception:
            self.states.clear()
            raise

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("tracking.bus_consume_failed")
                await asyncio.sleep(1.0)


async def connect(url: str) -> tuple[Any, JetStreamContext]:
    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=-1)
    return nc, nc.jetstream()


def device_uuid(fix: Fix) -> uuid.UUID:
    return uuid.UUID(fix.device_id)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m shekara.tracking.bus``: a rule processor on the fix stream (what
    ``shekara tracking consume`` runs), with the stream's names as options (tests)."""
    import argparse
    import signal

    from shekara.db.engine import make_engine, make_sessionmaker
    from shekara.settings import Settings

    parser = argparse.ArgumentParser(description="Shekara rule processor on JetStream")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--bus-url", default="")
    parser.add_argument("--stream", default=STREAM)
    parser.add_argument("--prefix", default=PREFIX)
    parser.add_argument("--durable", default="rules")
    parser.add_argument("--partitions", default=",".join(str(p) for p in range(PARTITIONS)))
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args(argv)
    settings = Settings()
    url = args.bus_url or settings.bus_url
    if not url:
        parser.error("--bus-url or SHEKARA_BUS_URL is required")
    engine = make_engine(settings, args.database_url or None)

    async def run() -> None:
        nc, js = await connect(url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await ensure_stream(js, args.stream, args.prefix)
            consumer = await BusConsumer(
                js,
                make_sessionmaker(engine),
                partitions=[int(p) for p in args.partitions.split(",")],
                stream=args.stream,
                prefix=args.prefix,
                durable=args.durable,
                batch=args.batch,
            ).start()
            await consumer.run(stop)
        finally:
            await nc.close()

    try:
        asyncio.run(run())
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
