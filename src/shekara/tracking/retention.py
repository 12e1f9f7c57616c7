"""Retention and downsampling of stored fixes (``shekara tracking retention``).

Three ages, from the settings (docs/settings.md):

* younger than ``tracking_raw_days``: every fix is kept as received;
* older: the track is thinned to one fix per device per ``tracking_thin_seconds`` (the first
  of each interval), keeping every fix that carries an alarm or an event code, so a thinned
  track still shows where the seal was opened or the SOS pressed;
* older than ``tracking_keep_days``: deleted. On PostgreSQL a monthly partition that lies
  wholly before the limit is dropped (no row-by-row delete, no table bloat); the rest (the
  default partition, the partition the limit falls in) is deleted row by row.

Thinning works day by day (UTC), one transaction per day, and reports its progress. Its
intervals start at midnight, so running it again, or on a day that was partly thinned before,
keeps the same fix of each interval: the job is idempotent. A dry run counts what would be
thinned, deleted and dropped and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import Connection, Engine, TextClause, bindparam, func, select, text

from shekara.tracking.models import FixRow

log = structlog.get_logger(__name__)

Progress = Callable[[str, int, int], None]
"""``progress(day, fixes_in_scope, fixes_thinned)`` after each day."""


@dataclass(frozen=True)
class RetentionPolicy:
    raw_days: int = 30
    """Keep every fix this many days; 0 never thins."""
    thin_seconds: int = 60
    """Past ``raw_days``, one fix per device per this many seconds; 0 never thins."""
    keep_days: int = 0
    """Delete fixes older than this; 0 keeps them for ever."""

    def __post_init__(self) -> None:
        for name in ("raw_days", "thin_seconds", "keep_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.keep_days and self.raw_days and self.keep_days < self.raw_days:
            raise ValueError("keep_days must not be shorter than raw_days")


@dataclass
class RetentionReport:
    dry_run: bool
    partitions_dropped: list[str] = field(default_factory=list)
    fixes_in_dropped_partitions: int = 0
    fixes_expired: int = 0
    """Deleted row by row for being older than keep_days (counted, in a dry run)."""
    fixes_thinned: int = 0
    days_thinned: int = 0


def _event_sql(dialect: str) -> str:
    """True for a fix that carries an alarm or an event code (never thinned)."""
    if dialect == "postgresql":
        return "(flags IS NOT NULL AND (flags::jsonb ? 'alarms' OR flags::jsonb ? 'event_code'))"
    return (
        "(flags IS NOT NULL AND (json_extract(flags, '$.alarms') IS NOT NULL "
        "OR json_extract(flags, '$.event_code') IS NOT NULL))"
    )


def _thin_candidates(dialect: str) -> str:
    """The fixes of one day that are not the first of their device's interval."""
    if dialect == "postgresql":
        bucket = "floor(extract(epoch FROM fix_time - :start) / :seconds)"
        key = "device_id, fix_time, fix_key"
    else:
        bucket = "(CAST(strftime('%s', fix_time) AS INTEGER) - :start_epoch) / :seconds"
        key = "rowid"
    return (
        f"SELECT {key} FROM (SELECT {key}, row_number() OVER (PARTITION BY device_id, {bucket} "
        "ORDER BY fix_time, fix_key) AS rn FROM tracking_fixes "
        f"WHERE fix_time >= :start AND fix_time < :end AND NOT {_event_sql(dialect)}) AS ranked "
        "WHERE rn > 1"
    )


def _params(sql: str) -> TextClause:
    """The statement, its datetime parameters typed like the column (SQLite stores text)."""
    ftype = FixRow.__table__.c.fix_time.type
    stmt = text(sql)
    names = {"start", "end", "cutoff"} & set(stmt.compile().params)
    return stmt.bindparams(*(bindparam(n, type_=ftype) for n in sorted(names)))


def thin_day(
    conn: Connection, start: datetime, end: datetime, seconds: int, *, dry_run: bool
) -> tuple[int, int]:
    """Thin the fixes in [start, end) (start at a midnight); returns (in scope, thinned)."""
    dialect = conn.dialect.name
    params = {"start": start, "end": end, "seconds": seconds, "start_epoch": int(start.timestamp())}
    scope_sql = "SELECT count(*) FROM tracking_fixes WHERE fix_time >= :start AND fix_time < :end"
    in_scope = int(conn.execute(_params(scope_sql), params).scalar_one())
    if not in_scope:
        return 0, 0
    candidates = _thin_candidates(dialect)
    if dry_run:
        sql = f"SELECT count(*) FROM ({candidates}) AS c"
        return in_scope, int(conn.execute(_params(sql), params).scalar_one())
    if dialect == "postgresql":
        sql = (
            f"DELETE FROM tracking_fixes f USING ({candidates}) AS c "
            "WHERE f.fix_time >= :start AND f.fix_time < :end AND f.device_id = c.device_id "
            "AND f.fix_time = c.fix_time AND f.fix_key = c.fix_key"
        )
    else:
        sql = f"DELETE FROM tracking_fixes WHERE rowid IN ({candidates})"
    result = conn.execute(_params(sql), params)
    return in_scope, int(result.rowcount or 0)


def _partitions(conn: Connection) -> list[tuple[str, datetime]]:
    """Monthly partitions of tracking_fixes (PostgreSQL) with the end of their range."""
    out = []
    for name in conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'tracking_fixes' "
            "ORDER BY c.relname"
        )
    ).scalars():
        parts = name.rsplit("_", 2)
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        y, m = int(parts[1]), int(parts[2])
        out.append((name, datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC)))
    return out


def run_retention(
    engine: Engine,
    policy: RetentionPolicy,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RetentionReport:
    """Apply the policy (see the module's docstring); returns what was (or would be) done."""
    now = now or datetime.now(UTC)
    report = RetentionReport(dry_run=dry_run)
    keep_cutoff = now - timedelta(days=policy.keep_days) if policy.keep_days else None
    if keep_cutoff is not None:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                for name, end in _partitions(conn):
                    if end > keep_cutoff:
                        continue
                    rows = conn.execute(
                        text(f'SELECT count(*) FROM tracking_partitions."{name}"')
                    ).scalar_one()
                    report.partitions_dropped.append(name)
                    report.fixes_in_dropped_partitions += int(rows)
                    if not dry_run:
                        conn.execute(
                            text(
                                f"ALTER TABLE tracking_fixes DETACH PARTITION "
                                f'tracking_partitions."{name}"'
                            )
                        )
                        conn.execute(text(f'DROP TABLE tracking_partitions."{name}"'))
            cutoff_sql = "FROM tracking_fixes WHERE fix_time < :cutoff"
            if dry_run:  # the rows of the partitions that would be dropped are counted there
                report.fixes_expired = (
                    int(
                        conn.execute(
                            _params(f"SELECT count(*) {cutoff_sql}"), {"cutoff": keep_cutoff}
                        ).scalar_one()
                    )
                    - report.fixes_in_dropped_partitions
                )
            else:
                result = conn.execute(
                    _params(f"DELETE {cutoff_sql}"),
                    {"cutoff": keep_cutoff},
                )
                report.fixes_expired = int(result.rowcount or 0)
    if policy.raw_days and policy.thin_seconds:
        raw_cutoff = now - timedelta(days=policy.raw_days)
        with engine.connect() as conn:
            query = select(func.min(FixRow.fix_time))
            if keep_cutoff is not None:
                query = query.where(FixRow.fix_time >= keep_cutoff)
            oldest = conn.execute(query).scalar()
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            day = oldest.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            while day < raw_cutoff:
                end = min(day + timedelta(days=1), raw_cutoff)
                with engine.begin() as conn:
                    scope, thinned = thin_day(conn, day, end, policy.thin_seconds, dry_run=dry_run)
                if scope:
                    report.days_thinned += 1
                    report.fixes_thinned += thinned
                    if progress is not None:
                        progress(day.date().isoformat(), scope, thinned)
                day += timedelta(days=1)
    log.info(
        "tracking.retention",
        dry_run=dry_run,
        partitions_dropped=len(report.partitions_dropped),
        expired=report.fixes_expired,
        thinned=report.fixes_thinned,
    )
    return report
