"""Retention and downsampling of fixes (`shekara tracking retention`), SQLite and PostgreSQL.

The fixes of these tests lie in December 2018 - February 2019, before every other test's, and
the policy is applied "as of" 1 March 2019, so nothing else in the shared test database is in
its scope.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shekara.cli import tracking_cmds
from shekara.telemetry.protocols.fix import Alarm, Fix
from shekara.tracking.models import FixRow
from shekara.tracking.retention import RetentionPolicy, run_retention
from shekara.tracking.storage import FixWriter, ensure_partitions
from tests.conftest import World

from .test_storage import make_devices

NOW = datetime(2019, 3, 1, 12, 0, tzinfo=UTC)
POLICY = RetentionPolicy(raw_days=30, thin_seconds=60, keep_days=70)
"""Raw until 30 January 2019, thinned until 20 December 2018, deleted before."""


def store(engine: Engine, fixes: list[Fix]) -> None:
    writer = FixWriter(engine).start()
    try:
        asyncio.run(writer.store(fixes))
    finally:
        writer.close()


def every_10s(device: str, start: datetime, minutes: int, **kw: object) -> list[Fix]:
    return [
        Fix(
            device,
            start + timedelta(seconds=10 * k),
            43.0 + k * 1e-4,
            76.0,
            True,
            speed_kmh=50.0,
            received_at=start + timedelta(seconds=10 * k + 1),
            **kw,  # type: ignore[arg-type]
        )
        for k in range(minutes * 6)
    ]


def times(engine: Engine, device: str) -> list[datetime]:
    with Session(engine) as s:
        return [
            t if t.tzinfo else t.replace(tzinfo=UTC)
            for t in s.scalars(
                select(FixRow.fix_time)
                .where(FixRow.device_id == uuid.UUID(device))
                .order_by(FixRow.fix_time)
            )
        ]


@pytest.fixture
def old_tracks(engine: Engine, world: World) -> Iterator[dict[str, object]]:
    if engine.dialect.name == "postgresql":  # partitions for the months of these fixes
        ensure_partitions(engine, months_ahead=3, now=datetime(2018, 11, 1, tzinfo=UTC))
    [device] = make_devices(engine, world, 1)
    thin_day = datetime(2019, 1, 10, 8, 0, tzinfo=UTC)  # past raw_days: to be thinned
    raw_day = datetime(2019, 2, 20, 8, 0, tzinfo=UTC)  # within raw_days: kept whole
    expired = datetime(2018, 11, 20, 8, 0, tzinfo=UTC)  # past keep_days: deleted
    thin = every_10s(device, thin_day, 10)  # 60 fixes over 10 minutes
    sos = Fix(
        device,
        thin_day + timedelta(minutes=3, seconds=25),
        43.0,
        76.0,
        True,
        alarms=frozenset({Alarm.SOS}),
        params={"event_code": 13},
    )
    store(engine, [*thin, sos, *every_10s(device, raw_day, 5), *every_10s(device, expired, 2)])
    yield {"device": device, "thin_day": thin_day, "raw_day": raw_day, "sos": sos}
    with engine.begin() as c:  # the next test starts from none of these
        c.execute(delete(FixRow).where(FixRow.fix_time < NOW))


def test_dry_run_counts_and_changes_nothing(engine: Engine, old_tracks: dict[str, object]) -> None:
    device = str(old_tracks["device"])
    before = times(engine, device)
    assert len(before) == 60 + 1 + 30 + 12
    seen: list[tuple[str, int, int]] = []
    report = run_retention(
        engine, POLICY, now=NOW, dry_run=True, progress=lambda *a: seen.append(a)
    )
    assert report.dry_run
    assert report.fixes_thinned == 50  # 10 minutes at one fix a minute are kept
    assert report.fixes_expired + report.fixes_in_dropped_partitions == 12
    assert ("2019-01-10", 61, 50) in seen
    assert times(engine, device) == before


def test_thins_old_tracks_keeps_alarms_and_recent_fixes(
    engine: Engine, old_tracks: dict[str, object]
) -> None:
    device = str(old_tracks["device"])
    thin_day: datetime = old_tracks["thin_day"]  # type: ignore[assignment]
    raw_day: datetime = old_tracks["raw_day"]  # type: ignore[assignment]
    seen: list[tuple[str, int, int]] = []
    report = run_retention(engine, POLICY, now=NOW, progress=lambda *a: seen.append(a))
    assert report.fixes_thinned == 50
    assert ("2019-01-10", 61, 50) in seen
    kept = times(engine, device)
    thinned = [t for t in kept if t.date() == thin_day.date()]
    # the first fix of every minute, plus the SOS fix (alarm and event code)
    expected = [thin_day + timedelta(minutes=m) for m in range(10)]
    expected.insert(4, thin_day + timedelta(minutes=3, seconds=25))
    assert thinned == expected
    assert len([t for t in kept if t.date() == raw_day.date()]) == 30  # within raw_days
    assert all(t >= NOW - timedelta(days=70) for t in kept)  # expired ones deleted
    # idempotent: a second run finds nothing more to do
    again = run_retention(engine, POLICY, now=NOW)
    assert again.fixes_thinned == 0 and again.fixes_expired == 0
    assert times(engine, device) == kept


def test_whole_expired_partitions_are_dropped(
    engine: Engine, old_tracks: dict[str, object]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("partitions exist on PostgreSQL only")
    report = run_retention(engine, POLICY, now=NOW)
    assert "tracking_fixes_2018_11" in report.partitions_dropped
    assert report.fixes_in_dropped_partitions == 12
    assert "tracking_fixes_2018_12" not in report.partitions_dropped  # partly in scope
    with engine.connect() as c:
        gone = c.execute(text("SELECT to_regclass('tracking_partitions.tracking_fixes_2018_11')"))
        assert gone.scalar() is None
        assert c.execute(select(func.count()).select_from(FixRow)).scalar_one() > 0


def test_cli_dry_run_and_bad_policy(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEKARA_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(
        tracking_cmds.app, ["retention", "--dry-run", "--raw-days", "36500", "--keep-days", "0"]
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "dry run" in out and "fixes would thin: 0" in out
    bad = CliRunner().invoke(
        tracking_cmds.app, ["retention", "--raw-days", "30", "--keep-days", "7"]
    )
    assert bad.exit_code == 2
    assert "keep_days" in " ".join(bad.output.split())
