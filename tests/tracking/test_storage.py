"""FixWriter and the rule processor on the test database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from shekara.db.engine import make_sessionmaker
from shekara.telemetry.protocols.fix import Alarm, Fix
from shekara.tracking.constants import AlertKind, DeviceKind
from shekara.tracking.models import Alert, Device, FixRow, LatestPosition
from shekara.tracking.processor import RuleProcessor
from shekara.tracking.storage import FixWriter, apply_retention, ensure_partitions
from tests.conftest import World

from .helpers import track


def make_devices(engine: Engine, world: World, n: int, **kw: object) -> list[str]:
    ids = []
    with Session(engine) as s:
        for _ in range(n):
            d = Device(
                kind=DeviceKind.tracker,
                identifier=uuid.uuid4().hex[:15],
                owner_agency_id=world.agencies["KZ-CUS"],
                owner_country="KZ",
                **kw,
            )
            s.add(d)
            s.flush()
            ids.append(str(d.id))
        s.commit()
    return ids


def test_writer_batches_concurrent_stores_idempotently(engine: Engine, world: World) -> None:
    devices = make_devices(engine, world, 20)
    now = datetime.now(UTC).replace(microsecond=0)
    batches = [
        track(d, 10, start=now - timedelta(hours=1) + timedelta(minutes=10 * k), step_s=60)
        for d in devices
        for k in range(5)
    ]
    writer = FixWriter(engine).start()

    async def go() -> None:
        await asyncio.gather(*(writer.store(b) for b in batches))
        await asyncio.gather(*(writer.store(b) for b in batches[:10]))  # resent

    try:
        asyncio.run(go())
    finally:
        writer.close()
    assert writer.batches < len(batches)  # concurrent calls shared transactions
    ids = [uuid.UUID(d) for d in devices]
    with Session(engine) as s:
        count = s.scalar(select(func.count()).select_from(FixRow).where(FixRow.device_id.in_(ids)))
        assert count == 20 * 5 * 10
        latest = s.get(LatestPosition, ids[0])
        assert latest is not None
        assert latest.fix_time == batches[4][-1].fix_time


def test_black_box_does_not_move_latest_back(engine: Engine, world: World) -> None:
    [device] = make_devices(engine, world, 1)
    now = datetime.now(UTC).replace(microsecond=0)
    live = track(device, 2, start=now, lat=51.0)
    old = [
        dataclasses.replace(f, blackbox=True)
        for f in track(device, 3, start=now - timedelta(hours=3), lat=49.0)
    ]
    writer = FixWriter(engine).start()
    try:
        asyncio.run(writer.store(live))
        asyncio.run(writer.store(old))
    finally:
        writer.close()
    with Session(engine) as s:
        latest = s.get(LatestPosition, uuid.UUID(device))
        assert latest is not None and latest.lat is not None and latest.lat > 50.9
        rows = s.scalars(select(FixRow).where(FixRow.device_id == uuid.UUID(device))).all()
        assert sum(r.blackbox for r in rows) == 3


def test_writer_feeds_rule_processor(engine: Engine, world: World) -> None:
    devices = make_devices(engine, world, 2, report_period_s=30)
    processor = RuleProcessor(make_sessionmaker(engine), sweep_s=3600).start()
    writer = FixWriter(engine, on_stored=processor.submit).start()
    now = datetime.now(UTC).replace(microsecond=0)
    fixes: list[Fix] = track(devices[0], 3, start=now - timedelta(seconds=90))
    fixes[-1] = dataclasses.replace(fixes[-1], alarms=frozenset({Alarm.SEAL_BROKEN}))
    fixes += track(devices[1], 3, start=now - timedelta(seconds=90))
    try:
        asyncio.run(writer.store(fixes))
        for _ in range(200):
            if processor.processed >= len(fixes):
                break
            asyncio.run(asyncio.sleep(0.02))
    finally:
        writer.close()
        processor.close()
    # the sweep, an hour later: both went silent
    result = RuleProcessor(make_sessionmaker(engine)).run_once([], now=now + timedelta(hours=1))
    silent = {str(a.device_id) for a in result.alerts if a.kind == AlertKind.signal_lost}
    assert set(devices) <= silent
    with Session(engine) as s:
        alerts = s.scalars(select(Alert).where(Alert.device_id == uuid.UUID(devices[0]))).all()
        kinds = sorted(a.kind for a in alerts)
        assert kinds == [AlertKind.seal_broken, AlertKind.signal_lost]
        broken = next(a for a in alerts if a.kind == AlertKind.seal_broken)
        assert broken.detail["seal_code"] == "01"
        assert broken.owner_agency_id == world.agencies["KZ-CUS"]


def test_partitions_and_retention(engine: Engine, world: World) -> None:
    ensure_partitions(engine)
    assert ensure_partitions(engine) == 0  # idempotent
    [device] = make_devices(engine, world, 1)
    old = track(device, 2, start=datetime(2020, 1, 1, tzinfo=UTC))
    writer = FixWriter(engine).start()
    try:
        asyncio.run(writer.store(old))
    finally:
        writer.close()
    deleted = apply_retention(engine, keep_days=365 * 3)
    assert deleted >= 2
    with Session(engine) as s:
        n = s.scalar(
            select(func.count()).select_from(FixRow).where(FixRow.device_id == uuid.UUID(device))
        )
        assert n == 0


def test_fix_columns_and_flags_round_trip(engine: Engine, world: World) -> None:
    """What the writer stores is what the device said: typed columns, alarms and parameters
    as a JSON object (PostgreSQL: the binary COPY path), twice in one transaction."""
    from shekara.tracking.storage import write_fixes

    [device] = make_devices(engine, world, 1)
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    fixes = track(device, 3, start=start, protocol="egts")
    fixes[1] = dataclasses.replace(
        fixes[1], alarms=frozenset({Alarm.SOS}), params={"event_code": 13, "power_v": 12.5}
    )
    fixes[2] = dataclasses.replace(fixes[2], lat=None, lon=None, valid=False, speed_kmh=None)
    with engine.begin() as conn:
        write_fixes(conn, fixes[:2])
        write_fixes(conn, fixes[1:])  # the second batch of the transaction, one fix again
    with Session(engine) as s:
        rows = s.scalars(
            select(FixRow).where(FixRow.device_id == uuid.UUID(device)).order_by(FixRow.fix_time)
        ).all()
        assert len(rows) == 3
        assert [r.flags for r in rows] == [
            None,
            {"event_code": 13, "power_v": 12.5, "alarms": ["sos"]},
            None,
        ]
        assert (rows[0].lat, rows[0].sats, rows[0].protocol, rows[0].valid) == (
            fixes[0].lat,
            9,
            "egts",
            True,
        )
        assert (rows[2].lat, rows[2].speed, rows[2].valid) == (None, None, False)
        latest = s.get(LatestPosition, uuid.UUID(device))
        assert latest is not None and latest.valid is False
        assert (latest.last_valid_lat, latest.last_valid_lon) == (fixes[1].lat, fixes[1].lon)


def test_new_fixes_returns_each_new_fix_once(engine: Engine, world: World) -> None:
    """What a bus consumer evaluates: a fix delivered twice in one batch is new once; a
    stationary device's identical reports at two times are two new fixes; a batch stored
    again has nothing new."""
    from shekara.tracking.storage import new_fixes

    [device] = make_devices(engine, world, 1)
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    a, b = track(device, 2, start=start, dlat=0.0, dlon=0.0)  # same content, two times
    with engine.begin() as conn:
        assert new_fixes(conn, [a, a, b, a]) == [a, b]
    with engine.begin() as conn:
        assert new_fixes(conn, [a, b]) == []


def test_alarm_raised_again_folds_into_the_open_alert(engine: Engine, world: World) -> None:
    """The same alarm raised again in a later batch (after it cleared) is one more occurrence
    of the open alert, whose first and last fix times span both; the audit log records one
    creation."""
    from shekara.audit.models import AuditEntry

    [device] = make_devices(engine, world, 1, report_period_s=30)
    now = datetime.now(UTC).replace(microsecond=0)
    fixes = track(device, 5, start=now - timedelta(seconds=100), step_s=20)
    for k in (0, 4):
        fixes[k] = dataclasses.replace(fixes[k], alarms=frozenset({Alarm.SOS}))
    processor = RuleProcessor(make_sessionmaker(engine), sweep_s=3600)
    first = processor.run_once(fixes[:2], now=now)
    assert [(a.kind, a.new) for a in first.alerts] == [(AlertKind.sos, True)]
    again = processor.run_once(fixes[2:], now=now)
    assert [(a.id, a.new) for a in again.alerts] == [(first.alerts[0].id, False)]
    with Session(engine) as s:
        alert = s.get(Alert, first.alerts[0].id)
        assert alert is not None
        assert alert.occurrences == 2
        assert (alert.first_fix_time, alert.last_fix_time) == (fixes[0].fix_time, fixes[4].fix_time)
        created = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.record_id == alert.id, AuditEntry.action == "create")
        )
        assert created == 1
