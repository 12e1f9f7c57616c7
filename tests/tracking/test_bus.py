"""JetStream: gateways publish (device acknowledged after the stream's ack), a durable consumer
stores and evaluates in fix-time order, redelivery evaluates nothing twice.

Needs the local NATS server with JetStream (127.0.0.1:4222): skipped when it is not reachable,
except under CI=true where that is a failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from shekara.db.engine import make_sessionmaker
from shekara.telemetry.gateway import start_gateways
from shekara.tracking.bus import BusConsumer, JetStreamSink, connect, ensure_stream
from shekara.tracking.clients import EgtsClient, NotAcknowledged, WialonClient
from shekara.tracking.constants import AlertKind, DeviceKind
from shekara.tracking.ingest import DeviceDirectory
from shekara.tracking.models import Alert, Device, FixRow
from tests.conftest import World

from .helpers import track

pytestmark = pytest.mark.broker
NATS_URL = os.environ.get("SHEKARA_TEST_NATS_URL", "nats://127.0.0.1:4222")


@pytest.fixture(autouse=True)
def _nats_available() -> None:
    host, _, port = NATS_URL.removeprefix("nats://").partition(":")
    try:
        socket.create_connection((host, int(port or 4222)), timeout=1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"NATS is not reachable at {NATS_URL} (required under CI)")
        pytest.skip(f"NATS is not reachable at {NATS_URL}")


def devices(engine: Engine, world: World, identifiers: list[str]) -> dict[str, str]:
    out = {}
    with Session(engine) as s:
        for ident in identifiers:
            d = Device(
                kind=DeviceKind.seal,
                identifier=ident,
                report_period_s=60,
                owner_agency_id=world.agencies["KZ-CUS"],
                owner_country="KZ",
            )
            s.add(d)
            s.flush()
            out[ident] = str(d.id)
        s.commit()
    return out


def test_gateway_to_jetstream_to_rules(engine: Engine, world: World) -> None:
    tag = uuid.uuid4().hex[:8]
    imeis = [f"86{tag}{i:05d}"[:15] for i in range(2)]
    ids = devices(engine, world, imeis)
    stream, prefix = f"SHEKARA_TEST_{tag}", f"test.{tag}.fixes"
    factory = make_sessionmaker(engine)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)

    async def go() -> tuple[int, int, int]:
        nc, js = await connect(NATS_URL)
        try:
            await ensure_stream(js, stream, prefix)
            sink = JetStreamSink(js, prefix=prefix)
            gw = await start_gateways(
                sink,
                DeviceDirectory(factory).authenticate,
                host="127.0.0.1",
                egts_port=0,
                wialon_port=0,
            )
            try:
                egts = EgtsClient("127.0.0.1", gw.port("egts"), imeis[0])
                await egts.connect()
                for k in range(3):
                    fixes = track(imeis[0], 5, start=now + timedelta(seconds=50 * k), step_s=10)
                    if k == 2:
                        fixes[-1] = dataclasses.replace(fixes[-1], params={"event_code": 10})
                    await egts.send(fixes)
                await egts.close()
                wialon = WialonClient("127.0.0.1", gw.port("wialon_ips"), imeis[1])
                await wialon.connect()
                fixes = track(imeis[1], 4, start=now)
                fixes[-1] = dataclasses.replace(fixes[-1], params={"seal_alarm": 1})
                await wialon.send(fixes)
                await wialon.close()
            finally:
                await gw.close()
            info = await js.stream_info(stream)
            published = info.state.messages
            consumer = await BusConsumer(
                js, factory, stream=stream, prefix=prefix, durable=f"rules{tag}"
            ).start()
            for _ in range(20):
                if consumer.processed >= 19:
                    break
                await consumer.run_once(timeout=0.5)
            # a second consumer replays the whole stream (as a redelivery would)
            replay = await BusConsumer(
                js, factory, stream=stream, prefix=prefix, durable=f"replay{tag}"
            ).start()
            for _ in range(20):
                if replay.processed >= 19:
                    break
                await replay.run_once(timeout=0.5)
            return published, consumer.processed, replay.alerts
        finally:
            try:
                await js.delete_stream(stream)
            finally:
                await nc.close()

    published, processed, replay_alerts = asyncio.run(go())
    assert published >= 4 and processed == 19
    assert replay_alerts == 0
    with Session(engine) as s:
        n = s.scalar(
            select(func.count())
            .select_from(FixRow)
            .where(FixRow.device_id.in_([uuid.UUID(i) for i in ids.values()]))
        )
        assert n == 19
        alerts = s.scalars(select(Alert).where(Alert.device_id == uuid.UUID(ids[imeis[0]]))).all()
        assert [(a.kind, a.late, a.occurrences) for a in alerts] == [(AlertKind.tamper, False, 1)]
        alerts = s.scalars(select(Alert).where(Alert.device_id == uuid.UUID(ids[imeis[1]]))).all()
        assert [(a.kind, a.detail.get("seal_code")) for a in alerts] == [
            (AlertKind.seal_broken, "01")
        ]


def test_no_stream_ack_no_device_ack(engine: Engine, world: World) -> None:
    tag = uuid.uuid4().hex[:8]
    imei = f"87{tag}00000"[:15]
    devices(engine, world, [imei])
    factory = make_sessionmaker(engine)

    async def go() -> None:
        nc, js = await connect(NATS_URL)
        try:
            sink = JetStreamSink(js, prefix=f"nostream.{tag}", timeout=1.0)
            gw = await start_gateways(
                sink, DeviceDirectory(factory).authenticate, host="127.0.0.1", egts_port=0
            )
            try:
                client = EgtsClient("127.0.0.1", gw.port("egts"), imei)
                await client.connect()
                with pytest.raises(NotAcknowledged):
                    await client.send(track(imei, 2), timeout=5)
                await client.close()
            finally:
                await gw.close()
        finally:
            await nc.close()

    asyncio.run(go())
