"""The rule processor in a child process (what `shekara tracking ingest` runs): fixes handed
over after commit are evaluated there, alerts written, and the child ends with its parent."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shekara.telemetry.protocols.fix import Alarm, Fix
from shekara.tracking.constants import AlertKind
from shekara.tracking.models import Alert, RuleState
from shekara.tracking.processor import RuleProcess, pack_fixes, unpack_fixes
from shekara.tracking.storage import FixWriter
from tests.conftest import World

from .helpers import track
from .test_storage import make_devices


def test_pack_unpack_keeps_every_field() -> None:
    fixes = track(str(uuid.uuid4()), 3, received_at=datetime.now(UTC), protocol="egts")
    fixes[1] = dataclasses.replace(
        fixes[1], params={"event_code": 13, "power_v": 12.5}, blackbox=True
    )
    fixes[2] = dataclasses.replace(fixes[2], alarms=frozenset({Alarm.SOS, Alarm.TAMPER}))
    assert unpack_fixes(pack_fixes(fixes)) == fixes


def test_pack_unpack_keeps_every_microsecond_and_missing_value() -> None:
    """Times travel as POSIX timestamps (doubles): every microsecond from 2000 to 2100 must
    come back exactly, and a missing reception time, position or satellite count as None."""
    rng = random.Random(5)
    base = datetime(2000, 1, 1, tzinfo=UTC)
    fixes = [
        Fix(
            str(uuid.uuid4()),
            base + timedelta(microseconds=rng.randrange(100 * 365 * 86_400 * 10**6)),
            None if k % 7 == 0 else rng.uniform(-90, 90),
            None if k % 7 == 0 else rng.uniform(-180, 180),
            k % 3 != 0,
            satellites=None if k % 5 == 0 else k % 30,
            received_at=None
            if k % 4 == 0
            else base + timedelta(microseconds=rng.randrange(100 * 365 * 86_400 * 10**6)),
            blackbox=k % 2 == 0,
        )
        for k in range(20_000)
    ]
    assert unpack_fixes(pack_fixes(fixes)) == fixes


def test_child_process_evaluates_committed_fixes(engine: Engine, world: World) -> None:
    [device] = make_devices(engine, world, 1)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    fixes = track(device, 6, start=start, step_s=10)
    fixes[3] = dataclasses.replace(fixes[3], alarms=frozenset({Alarm.SOS}))
    processor = RuleProcess(engine.url.render_as_string(hide_password=False), sweep_s=3600)
    processor.start(wait_s=120)
    writer = FixWriter(engine, on_stored=processor.submit).start()
    try:
        asyncio.run(writer.store(fixes))
        deadline = time.monotonic() + 60
        while processor.processed < len(fixes) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processor.processed == len(fixes)
        assert processor.cpu_s > 0
    finally:
        writer.close()
        processor.close()
    with Session(engine) as s:
        alerts = s.scalars(select(Alert).where(Alert.device_id == uuid.UUID(device))).all()
        assert [(a.kind, a.late, a.occurrences) for a in alerts] == [(AlertKind.sos, False, 1)]
        state = s.get(RuleState, uuid.UUID(device))
        assert state is not None and state.last_fix_time is not None
        last = state.last_fix_time.replace(tzinfo=state.last_fix_time.tzinfo or UTC)
        assert last == fixes[-1].fix_time
