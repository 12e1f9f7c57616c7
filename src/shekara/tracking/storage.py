"""Durable storage of fixes: the `FixSink` the gateways hand their fixes to.

`FixWriter.store(fixes)` returns only after the fixes are committed, so a gateway acknowledges
a fix to its device only once it is durable. Fixes of concurrent `store` calls (many devices,
many connections) are gathered into one transaction by writer threads:

* SQLite: one writer thread owns the only write connection (WAL, ``synchronous=FULL`` on that
  connection, so a commit survives a power cut and, a fortiori, a killed process);
* PostgreSQL: a few writer threads, each with its own connection, each batching whatever is
  queued (multi-row ``INSERT … ON CONFLICT DO NOTHING``).

A fix sent again by a device (its acknowledgement was lost) has the same primary key
(device, fix time, content hash) and is stored once. The same transaction upserts
``tracking_latest_positions`` (newest fix time wins, late black-box data never moves a device
back in time).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import structlog
from psycopg import errors
from psycopg.types.json import Json
from sqlalchemy import Connection, CursorResult, Engine, delete, func, text
from sqlalchemy.dialects import postgresql, sqlite

from shekara.telemetry.protocols.fix import Fix
from shekara.tracking.models import FixRow, LatestPosition

log = structlog.get_logger(__name__)

StoredCallback = Callable[[Sequence[Fix]], None]
"""Called in the writer thread with the fixes of each committed batch (e.g. the rule queue)."""


_NONE = -1.2345678901234567e300
"""Stands for a missing value in a fix key (``hash(None)`` differs between processes)."""


def fix_key(fix: Fix) -> int:
    """A 63-bit hash of what a fix says: the same report sent twice has the same key.

    A plain position (no alarm, no parameter) is hashed as a tuple of numbers, which CPython
    hashes the same way in every process (numbers are not salted, unlike text, and an integer
    hashes as the equal float); a fix with parameters (most fixes: inputs, odometer, event
    code…) goes through BLAKE2b over its JSON (orjson, keys sorted: a few hundred
    nanoseconds, where ``repr`` of the same values cost several microseconds)."""
    values: tuple[float | int | None, ...] = (
        fix.lat,
        fix.lon,
        fix.speed_kmh,
        fix.course_deg,
        fix.altitude_m,
        fix.hdop,
        fix.satellites,
        fix.valid + 2 * fix.blackbox,
    )
    if not fix.alarms and not fix.params:
        if None in values:
            values = tuple(_NONE if v is None else v for v in values)
        return hash(values) & 0x7FFF_FFFF_FFFF_FFFF
    content = orjson.dumps(
        (values, sorted(fix.alarms), fix.params), default=repr, option=_KEY_OPTIONS
    )
    digest = hashlib.blake2b(content, digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


_KEY_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def fix_row(fix: Fix, now: datetime | None = None) -> dict[str, Any]:
    """The `tracking_fixes` row of a fix (typed columns; alarms and other params as flags)."""
    flags: dict[str, Any] | None = None
    if fix.alarms or fix.params:
        flags = dict(fix.params)
        if fix.alarms:
            flags["alarms"] = sorted(fix.alarms)
    return {
        "device_id": uuid.UUID(fix.device_id),
        "fix_time": fix.fix_time,
        "fix_key": fix_key(fix),
        "received_at": fix.received_at or now or datetime.now(UTC),
        "lat": fix.lat,
        "lon": fix.lon,
        "speed": fix.speed_kmh,
        "course": fix.course_deg,
        "altitude": fix.altitude_m,
        "sats": fix.satellites,
        "hdop": fix.hdop,
        "valid": fix.valid,
        "blackbox": fix.blackbox,
        "protocol": fix.protocol[:20],
        "flags": flags,
    }


def _insert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def write_fixes(conn: Connection, fixes: Sequence[Fix]) -> int:
    """Insert fixes (idempotently) and upsert the latest positions, in the caller's
    transaction. Returns the number of fixes given."""
    _write(conn, fixes, returning=False)
    return len(fixes)


def new_fixes(conn: Connection, fixes: Sequence[Fix]) -> list[Fix]:
    """`write_fixes`, returning only the fixes that were not stored already (a redelivered
    message or a resent packet must not be evaluated twice)."""
    return _write(conn, fixes, returning=True)


_SQLITE_COLUMNS = (
    "device_id",
    "fix_time",
    "fix_key",
    "received_at",
    "lat",
    "lon",
    "speed",
    "course",
    "altitude",
    "sats",
    "hdop",
    "valid",
    "blackbox",
    "protocol",
    "flags",
)
_SQLITE_INSERT = (
    f"INSERT OR IGNORE INTO tracking_fixes ({', '.join(_SQLITE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _SQLITE_COLUMNS)})"
)


def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores (UTC, naive, microseconds)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_insert(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """The hot insert on SQLite, on the DBAPI cursor of the same connection and transaction
    (the same stored formats as the ORM's: hex UUID, naive UTC text times, JSON text); it
    skips SQLAlchemy's per-row parameter processing, a third of the write cost."""
    params = [
        (
            r["device_id"].hex,
            _sqlite_time(r["fix_time"]),
            r["fix_key"],
            _sqlite_time(r["received_at"]),
            r["lat"],
            r["lon"],
            r["speed"],
            r["course"],
            r["altitude"],
            r["sats"],
            r["hdop"],
            int(r["valid"]),
            int(r["blackbox"]),
            r["protocol"],
            None if r["flags"] is None else json.dumps(r["flags"]),
        )
        for r in rows
    ]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(_SQLITE_INSERT, params)
    finally:
        cursor.close()


_PG_STAGE = "tracking_fixes_in"
_PG_COLUMNS = ", ".join(_SQLITE_COLUMNS)
_PG_STAGE_CREATE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_PG_STAGE} "
    "(LIKE tracking_fixes INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)
_PG_STAGE_CLEAR = f"DELETE FROM {_PG_STAGE}"
"""Empties the staging table for a second batch in the same transaction (the commit truncates
it anyway: a temporary table is never vacuumed)."""
_PG_INSERT_FIXES = (
    f"INSERT INTO tracking_fixes ({_PG_COLUMNS}) SELECT {_PG_COLUMNS} FROM {_PG_STAGE} "
    "ON CONFLICT DO NOTHING"
)
_PG_SET_LATEST = """
ON CONFLICT (device_id) DO UPDATE SET fix_time = excluded.fix_time,
    received_at = excluded.received_at, lat = excluded.lat, lon = excluded.lon,
    speed = excluded.speed, course = excluded.course, valid = excluded.valid,
    last_valid_lat = coalesce(excluded.last_valid_lat, t.last_valid_lat),
    last_valid_lon = coalesce(excluded.last_valid_lon, t.last_valid_lon)
WHERE t.fix_time < excluded.fix_time
"""
_PG_UPSERT_LATEST = (
    f"""
WITH newest AS (
    SELECT DISTINCT ON (device_id) device_id, fix_time, received_at, lat, lon, speed, course, valid
    FROM {_PG_STAGE} ORDER BY device_id, fix_time DESC
), newest_valid AS (
    SELECT DISTINCT ON (device_id) device_id, lat, lon FROM {_PG_STAGE}
    WHERE valid AND lat IS NOT NULL ORDER BY device_id, fix_time DESC
)
INSERT INTO tracking_latest_positions AS t (device_id, fix_time, received_at, lat, lon, speed,
    course, valid, last_valid_lat, last_valid_lon)
SELECT n.device_id, n.fix_time, n.received_at, n.lat, n.lon, n.speed, n.course, n.valid,
    v.lat, v.lon
FROM newest n LEFT JOIN newest_valid v ON v.device_id = n.device_id
ORDER BY n.device_id
"""
    + _PG_SET_LATEST
)


_PG_UPSERT_LATEST_JSON = (
    """
INSERT INTO tracking_latest_positions AS t (device_id, fix_time, received_at, lat, lon, speed,
    course, valid, last_valid_lat, last_valid_lon)
SELECT * FROM json_to_recordset(%s::json) AS r(device_id uuid, fix_time timestamptz,
    received_at timestamptz, lat float8, lon float8, speed float8, course float8, valid bool,
    last_valid_lat float8, last_valid_lon float8)
ORDER BY 1
"""
    + _PG_SET_LATEST
)
"""The latest positions of a batch, computed by `_latest_rows`, sent as one JSON array
(orjson writes it in a few microseconds; a parameter array per column costs psycopg more
than the COPY of the fixes, and JSON numbers read back as the same doubles)."""
_PG_SAVEPOINT = "tracking_fixes_copy"
_PG_COPY_FIXES = f"COPY tracking_fixes ({_PG_COLUMNS}) FROM STDIN (FORMAT BINARY)"


_PG_TYPES = [
    "uuid",
    "timestamptz",
    "int8",
    "timestamptz",
    *["float8"] * 5,
    "int2",
    "float8",
    "bool",
    "bool",
    "varchar",
    "json",
]
"""The column types of `tracking_fixes`, in `_PG_COLUMNS` order, for the binary COPY."""


_UUIDS: dict[str, uuid.UUID] = {}
"""Device ids already parsed (`uuid.UUID(text)` costs a microsecond, per fix)."""


def _device_uuid(text: str) -> uuid.UUID:
    value = uuid.UUID(text)
    if len(_UUIDS) >= 200_000:
        _UUIDS.clear()
    _UUIDS[text] = value
    return value


def _opt(value: float | None) -> float | None:
    return None if value is None else float(value)


def _pg_write(conn: Connection, fixes: Sequence[Fix], *, returning: bool) -> list[Fix]:
    """PostgreSQL. Without ``returning`` (the `FixWriter`): COPY the batch straight into
    ``tracking_fixes``, then one statement upserts the latest positions (computed here, sent
    as arrays). A fix stored already (a device sent a packet again because its acknowledgement
    was lost) makes the COPY fail on the primary key: the batch then goes, from a savepoint,
    the way of ``returning``: COPY into a session-local staging table, then one statement
    inserts the new fixes (``ON CONFLICT DO NOTHING``) and one upserts the latest positions."""
    raw = conn.connection.driver_connection
    now = datetime.now(UTC)
    with raw.cursor() as cur:  # type: ignore[union-attr]
        if not returning:
            cur.execute(f"SAVEPOINT {_PG_SAVEPOINT}")
            try:
                _copy_fixes(cur, _PG_COPY_FIXES, fixes, now)
            except (errors.UniqueViolation, errors.DeadlockDetected):
                cur.execute(f"ROLLBACK TO SAVEPOINT {_PG_SAVEPOINT}")
            else:
                cur.execute(_PG_UPSERT_LATEST_JSON, (_latest_rows(fixes, now).decode(),))
                return []
        cur.execute(_PG_STAGE_CREATE)  # once per connection; then a catalog look-up
        copy_sql = f"COPY {_PG_STAGE} ({_PG_COLUMNS}) FROM STDIN (FORMAT BINARY)"
        keys = _copy_fixes(cur, copy_sql, fixes, now)
        fresh: list[Fix] = []
        if returning:
            cur.execute(_PG_INSERT_FIXES + " RETURNING device_id, fix_time, fix_key")
            inserted = set(cur.fetchall())
            fresh = _first_of_each(
                fixes, [(d, f.fix_time, k) for f, (d, k) in zip(fixes, keys, strict=True)], inserted
            )
            cur.execute(f"{_PG_UPSERT_LATEST}; {_PG_STAGE_CLEAR}")
        else:  # one round trip
            cur.execute(f"{_PG_INSERT_FIXES}; {_PG_UPSERT_LATEST}; {_PG_STAGE_CLEAR}")
    return fresh


def _copy_fixes(
    cur: Any, sql: str, fixes: Sequence[Fix], now: datetime
) -> list[tuple[uuid.UUID, int]]:
    """Binary COPY of the fixes' rows (``sql`` names the table); returns their keys."""
    keys: list[tuple[uuid.UUID, int]] = []
    with cur.copy(sql) as copy:
        copy.set_types(_PG_TYPES)
        for f in fixes:
            device = _UUIDS.get(f.device_id)
            if device is None:
                device = _device_uuid(f.device_id)
            key = fix_key(f)
            keys.append((device, key))
            flags: Json | None = None
            if f.alarms or f.params:
                extra: dict[str, Any] = dict(f.params)
                if f.alarms:
                    extra["alarms"] = sorted(f.alarms)
                flags = Json(extra, dumps=orjson.dumps)
            copy.write_row(
                (
                    device,
                    f.fix_time,
                    key,
                    f.received_at or now,
                    _opt(f.lat),
                    _opt(f.lon),
                    _opt(f.speed_kmh),
                    _opt(f.course_deg),
                    _opt(f.altitude_m),
                    f.satellites,
                    _opt(f.hdop),
                    bool(f.valid),
                    bool(f.blackbox),
                    f.protocol[:20],
                    flags,
                )
            )
    return keys


def _latest_rows(fixes: Sequence[Fix], now: datetime) -> bytes:
    """Each device's newest fix of the batch (and newest valid position), as the JSON rows
    of `_PG_UPSERT_LATEST_JSON`."""
    newest: dict[str, Fix] = {}
    newest_valid: dict[str, Fix] = {}
    for f in fixes:
        device = f.device_id
        seen = newest.get(device)
        if seen is None or f.fix_time > seen.fix_time:
            newest[device] = f
        if f.valid and f.lat is not None:
            seen = newest_valid.get(device)
            if seen is None or f.fix_time > seen.fix_time:
                newest_valid[device] = f
    rows = []
    for device, f in newest.items():
        v = newest_valid.get(device)
        rows.append(
            {
                "device_id": device,
                "fix_time": f.fix_time,
                "received_at": f.received_at or now,
                "lat": f.lat,
                "lon": f.lon,
                "speed": f.speed_kmh,
                "course": f.course_deg,
                "valid": bool(f.valid),
                "last_valid_lat": None if v is None else v.lat,
                "last_valid_lon": None if v is None else v.lon,
            }
        )
    return orjson.dumps(rows)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _first_of_each(
    fixes: Sequence[Fix], keys: Sequence[tuple[Any, ...]], inserted: set[Any]
) -> list[Fix]:
    """The fixes this statement inserted, each once: a fix delivered twice in one batch (a
    redelivered message next to its first delivery) is new only the first time."""
    fresh = []
    for f, k in zip(fixes, keys, strict=True):
        if k in inserted:
            inserted.discard(k)
            fresh.append(f)
    return fresh


def _write(conn: Connection, fixes: Sequence[Fix], *, returning: bool) -> list[Fix]:
    if not fixes:
        return []
    if conn.dialect.name == "postgresql":
        return _pg_write(conn, fixes, returning=returning)
    now = datetime.now(UTC)
    rows = [fix_row(f, now) for f in fixes]
    ins = _insert(conn)
    stmt = ins(FixRow).on_conflict_do_nothing()
    fresh: list[Fix] = []
    if returning:
        fc = FixRow.__table__.c
        result = conn.execute(stmt.returning(fc.device_id, fc.fix_time, fc.fix_key), rows)
        inserted = {(r.device_id, _aware(r.fix_time), r.fix_key) for r in result}
        fresh = _first_of_each(
            fixes, [(r["device_id"], r["fix_time"], r["fix_key"]) for r in rows], inserted
        )
    else:
        _sqlite_insert(conn, rows)
    newest: dict[uuid.UUID, dict[str, Any]] = {}
    newest_valid: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        cur = newest.get(row["device_id"])
        if cur is None or row["fix_time"] > cur["fix_time"]:
            newest[row["device_id"]] = row
        if row["valid"] and row["lat"] is not None:
            cur = newest_valid.get(row["device_id"])
            if cur is None or row["fix_time"] > cur["fix_time"]:
                newest_valid[row["device_id"]] = row
    latest = [
        {
            "device_id": r["device_id"],
            "fix_time": r["fix_time"],
            "received_at": r["received_at"],
            "lat": r["lat"],
            "lon": r["lon"],
            "speed": r["speed"],
            "course": r["course"],
            "valid": r["valid"],
            "last_valid_lat": newest_valid[d]["lat"] if d in newest_valid else None,
            "last_valid_lon": newest_valid[d]["lon"] if d in newest_valid else None,
        }
        for d, r in sorted(newest.items())  # a fixed order: no deadlocks between writers
    ]
    stmt = ins(LatestPosition)
    t = LatestPosition.__table__
    ex = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.device_id],
        set_={
            "fix_time": ex.fix_time,
            "received_at": ex.received_at,
            "lat": ex.lat,
            "lon": ex.lon,
            "speed": ex.speed,
            "course": ex.course,
            "valid": ex.valid,
            "last_valid_lat": func.coalesce(ex.last_valid_lat, t.c.last_valid_lat),
            "last_valid_lon": func.coalesce(ex.last_valid_lon, t.c.last_valid_lon),
        },
        where=t.c.fix_time < ex.fix_time,
    )
    conn.execute(stmt, latest)
    return fresh


@dataclass
class _Job:
    fixes: Sequence[Fix]
    future: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop


_STOP = object()
_NAP_S = 0.005
"""How often a lingering writer looks at its queue."""


class FixWriter:
    """The durable `FixSink`: batches concurrent `store` calls into few transactions.

    ``threads`` defaults to 1 on SQLite (its single writer) and 4 on PostgreSQL.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        threads: int | None = None,
        max_batch: int = 5000,
        linger_s: float = 0.02,
        on_stored: StoredCallback | None = None,
    ):
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.threads = 1 if self.is_sqlite else (threads or 2)
        self.max_batch = max_batch
        self.linger_s = linger_s
        """How long a batch waits for more fixes after the first (a commit costs an fsync)."""
        self.on_stored = on_stored
        self._queue: queue.Queue[_Job | object] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self.batches = 0
        self.stored = 0

    def start(self) -> FixWriter:
        for i in range(self.threads):
            worker = threading.Thread(target=self._run, name=f"fix-writer-{i}", daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def close(self) -> None:
        for _ in self._workers:
            self._queue.put(_STOP)
        for worker in self._workers:
            worker.join(timeout=30)
        self._workers.clear()

    async def store(self, fixes: Sequence[Fix]) -> None:
        """Return once `fixes` are committed; raise if they could not be."""
        if not fixes:
            return
        if not self._workers:
            raise RuntimeError("FixWriter not started")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Job(fixes, future, loop))
        await future

    def _take(self) -> list[_Job] | None:
        """The first queued job, then what else is queued within ``linger_s`` (up to
        ``max_batch`` fixes). The thread lingers in short naps and drains the queue after
        each, rather than waking for every packet: each wake-up takes the GIL from the event
        loop, and thousands of packets a second arrive."""
        first = self._queue.get()
        if first is _STOP:
            return None
        assert isinstance(first, _Job)
        jobs = [first]
        count = len(first.fixes)
        deadline = time.monotonic() + self.linger_s
        while True:
            while count < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    self._queue.put(_STOP)  # handled on the next round
                    return jobs
                assert isinstance(nxt, _Job)
                jobs.append(nxt)
                count += len(nxt.fixes)
            wait = deadline - time.monotonic()
            if count >= self.max_batch or wait <= 0:
                return jobs
            time.sleep(min(wait, _NAP_S))

    def _run(self) -> None:
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                    "PRAGMA synchronous=FULL"
                )
            while True:
                jobs = self._take()
                if jobs is None:
                    return
                fixes = [f for job in jobs for f in job.fixes]
                try:
                    with conn.begin():
                        write_fixes(conn, fixes)
                except Exception as exc:
                    log.exception("tracking.store_failed", fixes=len(fixes))
                    for loop, futures in _by_loop(jobs).items():
                        loop.call_soon_threadsafe(_fail_all, futures, exc)
                    continue
                self.batches += 1
                self.stored += len(fixes)
                # one wake-up of each event loop for the whole batch, not one per packet
                for loop, futures in _by_loop(jobs).items():
                    loop.call_soon_threadsafe(_done_all, futures)
                if self.on_stored is not None:
                    try:
                        self.on_stored(fixes)
                    except Exception:
                        log.exception("tracking.on_stored_failed")


def _by_loop(jobs: Sequence[_Job]) -> dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]]:
    out: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for job in jobs:
        out.setdefault(job.loop, []).append(job.future)
    return out


def _done_all(futures: Sequence[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


def _fail_all(futures: Sequence[asyncio.Future[None]], exc: BaseException) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(exc)


def ensure_partitions(engine: Engine, months_ahead: int = 3, now: datetime | None = None) -> int:
    """PostgreSQL: create the monthly partitions of ``tracking_fixes`` up to ``months_ahead``
    (no-op on SQLite). Run at startup and daily; returns how many were created."""
    if engine.dialect.name != "postgresql":
        return 0
    now = now or datetime.now(UTC)
    created = 0
    year, month = now.year, now.month
    with engine.begin() as conn:
        for _ in range(months_ahead + 1):
            nxt = (year + 1, 1) if month == 12 else (year, month + 1)
            name = f"tracking_partitions.tracking_fixes_{year:04d}_{month:02d}"
            exists = conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar()
            if exists is None:
                conn.execute(
                    text(
                        f"CREATE TABLE {name} PARTITION OF tracking_fixes FOR VALUES FROM "
                        f"('{year:04d}-{month:02d}-01 00:00+00') "
                        f"TO ('{nxt[0]:04d}-{nxt[1]:02d}-01 00:00+00')"
                    )
                )
                created += 1
            year, month = nxt
    return created


def apply_retention(engine: Engine, keep_days: int, now: datetime | None = None) -> int:
    """Delete fixes older than ``keep_days`` (on PostgreSQL, whole monthly partitions older
    than the limit are dropped first, which costs nothing). Returns rows deleted."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    dropped = 0
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = conn.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'tracking_fixes'"
                )
            ).scalars()
            for name in names:
                parts = name.rsplit("_", 2)
                if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
                    continue
                y, m = int(parts[1]), int(parts[2])
                end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
                if end <= cutoff:
                    conn.execute(text(f"DROP TABLE tracking_partitions.{name}"))
                    dropped += 1
        result = conn.execute(delete(FixRow).where(FixRow.fix_time < cutoff))
    log.info("tracking.retention", cutoff=cutoff.isoformat(), partitions_dropped=dropped)
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0


def iter_chunks(items: Sequence[Fix], size: int) -> Iterable[Sequence[Fix]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def wait_idle(writer: FixWriter, timeout: float = 10.0) -> None:
    """Block until the writer's queue is empty (tests, benchmarks)."""
    deadline = time.monotonic() + timeout
    while not writer._queue.empty() and time.monotonic() < deadline:
        time.sleep(0.01)
