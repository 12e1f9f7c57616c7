"""The rule processor: stored fixes in, alerts out (the service around the pure rules).

`build_world` reads what the rules need from the database: border strips (border sections
buffered by ``border_strip_m``), checkpoint zones, the corridors of open trips, patrol
sectors, and each device's context. `process_batch` runs the rules for a batch of fixes, in
fix-time order per device, and writes alerts and rule states in the caller's transaction.
`RuleProcessor` is the in-process worker fed by the `FixWriter` (or by a JetStream consumer,
see bus.py); it also runs the signal-lost sweep every ``sweep_s`` seconds.
"""

from __future__ import annotations

import gc
import os
import queue
import threading
import time
import uuid
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
import structlog
from psycopg.types.json import Json
from sqlalchemy import Table, bindparam, case, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from shekara.audit import service as audit
from shekara.db.base import new_id
from shekara.db.engine import session_scope
from shekara.places.constants import PlaceKind
from shekara.places.models import Place
from shekara.policy.constants import Distribution
from shekara.policy.models import ShareGrant
from shekara.telemetry.protocols.fix import Alarm, Fix
from shekara.tracking.constants import AlertStatus, DeviceKind, TripStatus
from shekara.tracking.geofence import FenceKind, Geofence, GeofenceIndex, Prefetched, line_coords
from shekara.tracking.models import Alert, Device, RuleState, Trip
from shekara.tracking.rules import (
    AlertEvent,
    DeviceContext,
    DeviceState,
    RuleConfig,
    evaluate,
    state_from_json,
    state_to_json,
    sweep,
)

log = structlog.get_logger(__name__)
ACTOR = "tracking-rules"


@dataclass(frozen=True)
class Sharing:
    record_id: uuid.UUID
    owner_agency_id: uuid.UUID
    owner_country: str
    distribution: Distribution


@dataclass
class RuleWorld:
    geo: GeofenceIndex
    contexts: dict[str, DeviceContext]
    sharing: dict[str, Sharing]
    """Whose an alert is: by trip id, else by device id."""
    version: tuple[Any, ...] = ()


@dataclass
class WorldSettings:
    border_strip_m: float = 5000.0
    checkpoint_radius_m: float = 3000.0


_FENCE_CACHE: dict[tuple[Any, ...], Geofence] = {}


def _cached(key: tuple[Any, ...], build: Callable[[], Geofence]) -> Geofence:
    fence = _FENCE_CACHE.get(key)
    if fence is None:
        fence = build()
        if len(_FENCE_CACHE) > 200_000:
            _FENCE_CACHE.clear()
        _FENCE_CACHE[key] = fence
    return fence


def world_version(session: Session) -> tuple[Any, ...]:
    """Changes when devices, trips or places change (cheap: three aggregates)."""
    parts: list[Any] = []
    for model in (Device, Trip, Place):
        parts.extend(session.execute(select(func.count(), func.max(model.updated_at))).one())
    return tuple(parts)


def build_world(session: Session, settings: WorldSettings | None = None) -> RuleWorld:
    settings = settings or WorldSettings()
    fences: list[Geofence] = []
    for place in session.scalars(
        select(Place).where(Place.kind == PlaceKind.border_section, Place.geometry.is_not(None))
    ):
        try:
            lines = line_coords(place.geometry or {})
        except (ValueError, KeyError, TypeError):
            continue
        fences.append(
            _cached(
                ("border", place.id, place.updated_at, settings.border_strip_m),
                lambda lines=lines, pid=place.id: Geofence.from_lines(  # type: ignore[misc]
                    f"border:{pid}", FenceKind.border_strip, lines, settings.border_strip_m
                ),
            )
        )
    for pid, lat, lon in session.execute(
        select(Place.id, Place.lat, Place.lon).where(
            Place.kind == PlaceKind.checkpoint, Place.lat.is_not(None), Place.lon.is_not(None)
        )
    ):
        fences.append(
            Geofence.disc(
                f"checkpoint:{pid}",
                FenceKind.checkpoint_zone,
                float(lat or 0.0),
                float(lon or 0.0),
                settings.checkpoint_radius_m,
            )
        )
    contexts: dict[str, DeviceContext] = {}
    sharing: dict[str, Sharing] = {}
    sectors: set[uuid.UUID] = set()
    for d in session.scalars(select(Device).where(Device.active.is_(True))):
        key = str(d.id)
        sharing[key] = Sharing(d.id, d.owner_agency_id, d.owner_country, d.distribution)
        if d.sector_place_id is not None:
            sectors.add(d.sector_place_id)
        contexts[key] = DeviceContext(
            key,
            kind=d.kind,
            report_period_s=float(d.report_period_s),
            sector_fence=f"sector:{d.sector_place_id}" if d.sector_place_id else None,
            watch_border=d.kind in (DeviceKind.tracker, DeviceKind.seal),
        )
    if sectors:
        for place in session.scalars(select(Place).where(Place.id.in_(sectors))):
            if place.geometry and place.geometry.get("type") in ("Polygon", "MultiPolygon"):
                geometry = place.geometry
                fences.append(
                    _cached(
                        ("sector", place.id, place.updated_at),
                        lambda g=geometry, pid=place.id: Geofence.from_geojson(  # type: ignore[misc]
                            f"sector:{pid}", FenceKind.sector, g
                        ),
                    )
                )
    stop_places: dict[str, tuple[float, float]] = {}
    trips = list(session.scalars(select(Trip).where(Trip.status == TripStatus.open)))
    wanted = {p for t in trips for p in (t.allowed_stop_place_ids or [])}
    if wanted:
        ids = [uuid.UUID(p) for p in wanted]
        for pid, lat, lon in session.execute(
            select(Place.id, Place.lat, Place.lon).where(Place.id.in_(ids))
        ):
            if lat is not None and lon is not None:
                stop_places[str(pid)] = (lat, lon)
    for trip in trips:
        tkey = str(trip.id)
        try:
            lines = line_coords(trip.corridor)
        except (ValueError, KeyError, TypeError):
            lines = []
        if lines:
            fences.append(
                _cached(
                    ("trip", trip.id, trip.updated_at),
                    lambda lines=lines, t=trip: Geofence.from_lines(  # type: ignore[misc]
                        f"trip:{t.id}", FenceKind.corridor, lines, t.corridor_width_m / 2
                    ),
                )
            )
        sharing[tkey] = Sharing(
            trip.id, trip.owner_agency_id, trip.owner_country, trip.distribution
        )
        stops = tuple(
            (*stop_places[p], trip.stop_radius_m)
            for p in (trip.allowed_stop_place_ids or [])
            if p in stop_places
        )
        for dev in (trip.tracker_device_id, trip.seal_device_id):
            if dev is None or str(dev) not in contexts:
                continue
            base = contexts[str(dev)]
            contexts[str(dev)] = DeviceContext(
                base.device_id,
                kind=base.kind,
                report_period_s=base.report_period_s,
                trip_id=tkey,
                corridor_fence=f"trip:{trip.id}" if lines else None,
                allowed_stops=stops,
                sector_fence=base.sector_fence,
                watch_border=base.watch_border,
            )
    return RuleWorld(GeofenceIndex(fences), contexts, sharing)


class WorldCache:
    """The rule world, rebuilt when devices, trips or places changed (checked every
    ``check_s`` seconds)."""

    def __init__(self, settings: WorldSettings | None = None, check_s: float = 2.0):
        self.settings = settings or WorldSettings()
        self.check_s = check_s
        self._world: RuleWorld | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session) -> RuleWorld:
        with self._lock:
            now = time.monotonic()
            if self._world is not None and now - self._checked < self.check_s:
                return self._world
            version = world_version(session)
            if self._world is None or self._world.version != version:
                world = build_world(session, self.settings)
                world.version = version
                self._world = world
                gc.collect()
                gc.freeze()  # tens of thousands of long-lived geometries: never scan them again
                log.info("tracking.world_built", fences=len(world.geo), pieces=world.geo.pieces)
            self._checked = now
            return self._world

    def invalidate(self) -> None:
        with self._lock:
            self._checked = 0.0


# --- states and alerts ---------------------------------------------------------------------


def claim_writer(session: Session) -> None:
    """SQLite: take the write lock first. A transaction that reads and then writes cannot wait
    for the lock (another writer committed since its snapshot: SQLITE_BUSY at once); one that
    starts with a write waits for it (busy timeout)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE tracking_rule_states SET device_id = device_id WHERE 0"))


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def load_states(session: Session, device_ids: Iterable[str]) -> dict[str, DeviceState]:
    ids = [uuid.UUID(d) for d in device_ids]
    out: dict[str, DeviceState] = {}
    for i in range(0, len(ids), 500):
        for row in session.execute(
            select(RuleState.device_id, RuleState.state).where(
                RuleState.device_id.in_(ids[i : i + 500])
            )
        ):
            out[str(row.device_id)] = state_from_json(row.state)
    return out


_STATE_COLUMNS = "device_id, state, last_fix_time, last_seen_at, silent_alerted, updated_at"
_PG_STATES = """
CREATE TEMP TABLE IF NOT EXISTS tracking_rule_states_in (LIKE tracking_rule_states)
    ON COMMIT DELETE ROWS;
"""
_PG_STATES_UPSERT = f"""
INSERT INTO tracking_rule_states ({_STATE_COLUMNS})
SELECT {_STATE_COLUMNS} FROM tracking_rule_states_in ORDER BY device_id
ON CONFLICT (device_id) DO UPDATE SET state = excluded.state,
    last_fix_time = excluded.last_fix_time, last_seen_at = excluded.last_seen_at,
    silent_alerted = excluded.silent_alerted, updated_at = excluded.updated_at
"""


def save_states(session: Session, states: dict[str, DeviceState]) -> None:
    if not states:
        return
    now = datetime.now(UTC)
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # COPY and one set-based upsert
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(_PG_STATES)
            copy_sql = f"COPY tracking_rule_states_in ({_STATE_COLUMNS}) FROM STDIN (FORMAT BINARY)"
            with cur.copy(copy_sql) as cp:
                cp.set_types(["uuid", "json", "timestamptz", "timestamptz", "bool", "timestamptz"])
                for k, st in states.items():
                    cp.write_row(
                        (
                            uuid.UUID(k),
                            Json(state_to_json(st), dumps=orjson.dumps),
                            st.live.last_time,
                            st.last_seen,
                            st.signal_alerted,
                            now,
                        )
                    )
            cur.execute(f"{_PG_STATES_UPSERT}; DELETE FROM tracking_rule_states_in")
        return
    rows = [
        {
            "device_id": uuid.UUID(k),
            "state": state_to_json(s),
            "last_fix_time": s.live.last_time,
            "last_seen_at": s.last_seen,
            "silent_alerted": s.signal_alerted,
            "updated_at": now,
        }
        for k, s in sorted(states.items())
    ]
    stmt = _insert(session)(RuleState.__table__)
    ex = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[RuleState.__table__.c.device_id],
        set_={
            "state": ex.state,
            "last_fix_time": ex.last_fix_time,
            "last_seen_at": ex.last_seen_at,
            "silent_alerted": ex.silent_alerted,
            "updated_at": ex.updated_at,
        },
    )
    conn.execute(stmt, rows)


@dataclass(frozen=True)
class RecordedAlert:
    """An alert a batch opened (``new``) or folded an event into."""

    id: uuid.UUID
    device_id: uuid.UUID
    kind: str
    trip_id: uuid.UUID | None
    late: bool
    new: bool


def _fold_statement() -> Any:
    a = Alert.__table__.c
    first = bindparam("b_first", type_=a.first_fix_time.type)
    last = bindparam("b_last", type_=a.last_fix_time.type)
    return (
        update(Alert)
        .where(a.id == bindparam("b_id", type_=a.id.type))
        .values(
            occurrences=a.occurrences + bindparam("b_n"),
            last_fix_time=case((a.last_fix_time < last, last), else_=a.last_fix_time),
            first_fix_time=case((a.first_fix_time > first, first), else_=a.first_fix_time),
        )
    )


_INSERT_ALERT = insert(cast(Table, Alert.__table__))


_PG_FOLD = """
UPDATE tracking_alerts AS a SET occurrences = a.occurrences + r.n,
    last_fix_time = greatest(a.last_fix_time, r.last),
    first_fix_time = least(a.first_fix_time, r.first)
FROM (SELECT * FROM json_to_recordset(%s::json)
    AS j(id uuid, n int, first timestamptz, last timestamptz) ORDER BY id) AS r
WHERE a.id = r.id
"""
"""`_fold_statement` for a whole batch on PostgreSQL: the folded events as one JSON array."""


def record_alerts(
    session: Session, world: RuleWorld, events: Sequence[tuple[str, AlertEvent]]
) -> list[RecordedAlert]:
    """Open an alert per event, or fold it into the open alert of the same device, trip and
    kind (occurrences, first and last fix time). Late (black-box) events have their own alerts.
    Set-based: one query for the open alerts, one UPDATE statement for all the folded events
    of the batch, one flush for the new alerts."""
    if not events:
        return []
    a = Alert.__table__.c
    device_ids = sorted({uuid.UUID(d) for d, _ in events})
    open_alerts: dict[tuple[Any, ...], RecordedAlert] = {}
    for i in range(0, len(device_ids), 1000):
        for row in session.execute(
            select(a.id, a.device_id, a.kind, a.trip_id, a.late).where(
                a.device_id.in_(device_ids[i : i + 1000]), a.status != AlertStatus.closed
            )
        ):
            key = (str(row.device_id), str(row.kind), str(row.trip_id or ""), bool(row.late))
            open_alerts[key] = RecordedAlert(
                row.id, row.device_id, str(row.kind), row.trip_id, bool(row.late), False
            )
    folded: dict[uuid.UUID, list[Any]] = {}  # id -> [count, first, last]
    touched: list[RecordedAlert] = []
    created: dict[uuid.UUID, dict[str, Any]] = {}  # id -> row, opened by this batch
    for device_id, ev in events:
        key = (device_id, str(ev.kind), ev.trip_id or "", ev.late)
        existing = open_alerts.get(key)
        if existing is not None:
            if existing.new:  # opened earlier in this batch: not written yet
                opened = created[existing.id]
                opened["occurrences"] += 1
                opened["last_fix_time"] = max(opened["last_fix_time"], ev.fix_time)
                opened["first_fix_time"] = min(opened["first_fix_time"], ev.fix_time)
            else:
                agg = folded.setdefault(existing.id, [0, ev.fix_time, ev.fix_time])
                agg[0] += 1
                agg[1] = min(agg[1], ev.fix_time)
                agg[2] = max(agg[2], ev.fix_time)
            touched.append(existing)
            continue
        owner = world.sharing.get(ev.trip_id or "") or world.sharing.get(device_id)
        if owner is None:
            continue
        alert_id = new_id()
        trip_id = uuid.UUID(ev.trip_id) if ev.trip_id else None
        created[alert_id] = {
            "id": alert_id,
            "kind": ev.kind,
            "severity": ev.severity,
            "device_id": uuid.UUID(device_id),
            "trip_id": trip_id,
            "first_fix_time": ev.fix_time,
            "last_fix_time": ev.fix_time,
            "lat": ev.lat,
            "lon": ev.lon,
            "occurrences": 1,
            "message": ev.message[:500],
            "detail": dict(ev.detail),
            "late": ev.late,
            "owner_agency_id": owner.owner_agency_id,
            "owner_country": owner.owner_country,
            "distribution": owner.distribution,
        }
        ref = RecordedAlert(alert_id, uuid.UUID(device_id), str(ev.kind), trip_id, ev.late, True)
        open_alerts[key] = ref
        touched.append(ref)
    if folded:
        conn = session.connection()
        if conn.dialect.name == "postgresql":  # one statement, not one per alert
            rows = [
                {"id": k, "n": n, "first": first, "last": last}
                for k, (n, first, last) in sorted(folded.items())
            ]
            conn.exec_driver_sql(_PG_FOLD, (orjson.dumps(rows).decode(),))
        else:
            conn.execute(
                _fold_statement(),
                [
                    {"b_id": k, "b_n": n, "b_first": first, "b_last": last}
                    for k, (n, first, last) in sorted(folded.items())
                ],
            )
    if not created:
        return touched
    rows = list(created.values())
    session.connection().execute(_INSERT_ALERT, rows)  # multi-row, column defaults applied
    grants: list[dict[str, Any]] = []
    for new in rows:
        if new["distribution"] != Distribution.partners:
            continue
        owner = world.sharing.get(str(new["trip_id"] or "")) or world.sharing[str(new["device_id"])]
        for g in session.scalars(select(ShareGrant).where(ShareGrant.record_id == owner.record_id)):
            grants.append(
                {
                    "record_id": new["id"],
                    "partner_country": g.partner_country,
                    "partner_agency_id": g.partner_agency_id,
                }
            )
    if grants:
        session.add_all(ShareGrant(**g) for g in grants)
        session.flush()
    audit.record_many(
        session,
        "create",
        "tracking_alerts",
        [
            (new["id"], new["owner_agency_id"], {"kind": new["kind"], "late": new["late"]})
            for new in rows
        ],
        actor=ACTOR,
    )
    return touched


@dataclass
class BatchResult:
    alerts: list[RecordedAlert] = field(default_factory=list)
    events: list[tuple[str, AlertEvent]] = field(default_factory=list)


def evaluate_fixes(
    session: Session | None,
    world: RuleWorld,
    fixes: Sequence[Fix],
    *,
    now: datetime | None = None,
    config: RuleConfig | None = None,
    states: dict[str, DeviceState] | None = None,
) -> tuple[list[tuple[str, AlertEvent]], dict[str, DeviceState]]:
    """Run the rules over fixes (grouped by device, in fix-time order), in memory. Reads the
    states missing from ``states`` (a cache, read and updated); writes nothing."""
    config = config or RuleConfig()
    now = now or datetime.now(UTC)
    by_device: dict[str, list[Fix]] = defaultdict(list)
    for f in fixes:
        if f.device_id in world.contexts:
            by_device[f.device_id].append(f)
    cache = states if states is not None else {}
    missing = [d for d in by_device if d not in cache]
    if missing:
        loaded = load_states(session, missing) if session is not None else {}
        for d in missing:
            cache[d] = loaded.get(d, DeviceState())
    events: list[tuple[str, AlertEvent]] = []
    changed: dict[str, DeviceState] = {}
    for items in by_device.values():
        items.sort(key=lambda f: f.fix_time)
    geo = _prefetch(world, by_device, cache, config)
    for device_id, items in by_device.items():
        ctx = world.contexts[device_id]
        state = cache[device_id]
        for f in items:
            state, evs = evaluate(state, f, ctx, geo, now, config)
            events.extend((device_id, e) for e in evs)
        cache[device_id] = changed[device_id] = state
    return events, changed


def _prefetch(
    world: RuleWorld,
    by_device: dict[str, list[Fix]],
    states: dict[str, DeviceState],
    config: RuleConfig,
) -> Prefetched:
    """The geofence answers a batch will ask for (points of usable fixes, and segments from
    each device's previous position), in two vectorised index searches."""
    points: list[tuple[float, float]] = []
    own: list[tuple[str, ...]] = []
    segments: list[tuple[float, float, float, float]] = []
    for device_id, items in by_device.items():
        ctx = world.contexts[device_id]
        mine = tuple(f for f in (ctx.corridor_fence, ctx.sector_fence) if f is not None)
        live = states[device_id].live
        prev = (live.last_lat, live.last_lon) if live.last_lat is not None else None
        for f in items:
            if f.lat is None or f.lon is None or not f.valid:
                continue
            if f.hdop is not None and f.hdop > config.max_hdop:
                continue
            points.append((f.lat, f.lon))
            own.append(mine)
            if prev is not None and prev[0] is not None and prev[1] is not None:
                segments.append((prev[0], prev[1], f.lat, f.lon))
            prev = (f.lat, f.lon)
    return world.geo.prefetch(points, segments, own)


def process_batch(
    session: Session,
    world: RuleWorld,
    fixes: Sequence[Fix],
    *,
    now: datetime | None = None,
    config: RuleConfig | None = None,
    states: dict[str, DeviceState] | None = None,
) -> BatchResult:
    """`evaluate_fixes`, then store the states and alerts in the caller's transaction."""
    events, changed = evaluate_fixes(session, world, fixes, now=now, config=config, states=states)
    save_states(session, changed)
    alerts = record_alerts(session, world, events)
    return BatchResult(alerts, events)


def sweep_batch(
    session: Session,
    world: RuleWorld,
    *,
    now: datetime | None = None,
    config: RuleConfig | None = None,
    states: dict[str, DeviceState] | None = None,
) -> BatchResult:
    """Signal-lost sweep over devices that went quiet (one indexed query)."""
    config = config or RuleConfig()
    now = now or datetime.now(UTC)
    shortest = min((c.report_period_s for c in world.contexts.values()), default=60.0)
    cutoff = now - timedelta(seconds=config.signal_periods * shortest)
    rows = session.execute(
        select(RuleState.device_id, RuleState.state).where(
            RuleState.silent_alerted.is_(False), RuleState.last_seen_at < cutoff
        )
    ).all()
    events: list[tuple[str, AlertEvent]] = []
    changed: dict[str, DeviceState] = {}
    for row in rows:
        key = str(row.device_id)
        ctx = world.contexts.get(key)
        if ctx is None:
            continue
        state = (states or {}).get(key) or state_from_json(row.state)
        new, evs = sweep(state, ctx, now, config)
        if evs:
            changed[key] = new
            if states is not None:
                states[key] = new
            events.extend((key, e) for e in evs)
    save_states(session, changed)
    return BatchResult(record_alerts(session, world, events), events)


AlertCallback = Callable[[Sequence[tuple[str, AlertEvent]], Sequence[Fix]], None]


class RuleProcessor:
    """Worker thread: `submit(fixes)` queues stored fixes; each round processes what arrived
    within ``linger_s`` of the first in one batch; the signal-lost sweep runs every
    ``sweep_s``."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        config: RuleConfig | None = None,
        world: WorldCache | None = None,
        sweep_s: float = 5.0,
        max_batch: int = 5_000,
        linger_s: float = 0.1,
        on_events: AlertCallback | None = None,
    ):
        self.factory = factory
        self.config = config or RuleConfig()
        self.world = world or WorldCache()
        self.sweep_s = sweep_s
        self.max_batch = max_batch
        self.linger_s = linger_s
        """How long a round waits for more fixes after the first: fewer, larger transactions
        for at most this much added latency."""
        self.on_events = on_events
        self.states: dict[str, DeviceState] = {}
        self._queue: queue.Queue[Sequence[Fix] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._last_sweep = time.monotonic()
        self.processed = 0

    def start(self) -> RuleProcessor:
        self._thread = threading.Thread(target=self._run, name="rule-processor", daemon=True)
        self._thread.start()
        return self

    def submit(self, fixes: Sequence[Fix]) -> None:
        self._queue.put(fixes)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def pending(self) -> int:
        return self._queue.qsize()

    def _take(self) -> tuple[list[Fix], bool]:
        fixes: list[Fix] = []
        try:
            first = self._queue.get(timeout=min(1.0, self.sweep_s))
        except queue.Empty:
            return fixes, False
        if first is None:
            return fixes, True
        fixes.extend(first)
        deadline = time.monotonic() + self.linger_s
        while len(fixes) < self.max_batch:
            try:
                wait = deadline - time.monotonic()
                nxt = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if nxt is None:
                self._queue.put(None)
                break
            fixes.extend(nxt)
        return fixes, False

    def _run(self) -> None:
        while True:
            fixes, stop = self._take()
            if stop:
                return
            try:
                self.run_once(fixes)
            except Exception:
                log.exception("tracking.rules_failed", fixes=len(fixes))
                self.states.clear()  # the transaction rolled back: reload from the database

    def run_once(self, fixes: Sequence[Fix], now: datetime | None = None) -> BatchResult:
        """Evaluate in memory (a read transaction), then write states and alerts in a short
        write transaction: on SQLite the fix writer waits for the lock only that long."""
        result = BatchResult()
        with session_scope(self.factory) as s:  # reads only, then the lock is released
            world = self.world.get(s)
            missing = list(
                {f.device_id for f in fixes if f.device_id in world.contexts} - set(self.states)
            )
            if missing:
                loaded = load_states(s, missing)
                for d in missing:
                    self.states[d] = loaded.get(d, DeviceState())
        events, changed = evaluate_fixes(  # in memory, no transaction open
            None, world, fixes, now=now, config=self.config, states=self.states
        )
        with session_scope(self.factory) as s:
            claim_writer(s)
            save_states(s, changed)
            result = BatchResult(record_alerts(s, world, events), events)
            if time.monotonic() - self._last_sweep >= self.sweep_s or now is not None:
                self._last_sweep = time.monotonic()
                swept = sweep_batch(s, world, now=now, config=self.config, states=self.states)
                result.alerts.extend(swept.alerts)
                result.events.extend(swept.events)
        self.processed += len(fixes)
        if self.on_events is not None:
            self.on_events(result.events, fixes)
        return result


# --- the rule processor in a process of its own ---------------------------------------------


_NAN = float("nan")


def pack_fixes(fixes: Sequence[Fix]) -> tuple[Any, ...]:
    """Fixes as columns (numbers and times in one array of doubles, the rare alarms and
    parameters by index): a batch pickles to another process at the cost of a few copies.

    A time travels as its POSIX timestamp: a double carries today's times to a fraction of a
    microsecond (its spacing is 0.24 µs until 2038, 0.48 µs until 2242) and
    ``datetime.fromtimestamp`` rounds to the nearest microsecond, so every time comes back
    exactly; `datetime.timestamp` costs a quarter of integer microsecond arithmetic."""
    floats = array("d")
    ints = array("q")
    devices: list[str] = []
    protocols: list[str] = []
    extra: dict[int, tuple[tuple[str, ...], Any]] = {}
    nan = _NAN
    last_received: datetime | None = None
    received_ts = nan
    for i, f in enumerate(fixes):
        devices.append(f.device_id)
        protocols.append(f.protocol)
        received = f.received_at
        if received is not last_received:  # the fixes of a packet share one
            last_received = received
            received_ts = nan if received is None else received.timestamp()
        floats.extend(
            (
                f.fix_time.timestamp(),
                received_ts,
                nan if f.lat is None else f.lat,
                nan if f.lon is None else f.lon,
                nan if f.speed_kmh is None else f.speed_kmh,
                nan if f.course_deg is None else f.course_deg,
                nan if f.altitude_m is None else f.altitude_m,
                nan if f.hdop is None else f.hdop,
            )
        )
        sats = -1 if f.satellites is None else f.satellites
        ints.append(4 * sats + f.valid + 2 * f.blackbox)
        if f.alarms or f.params:
            alarms = tuple(map(str, f.alarms)) if f.alarms else ()
            extra[i] = (alarms, f.params if type(f.params) is dict else dict(f.params))
    return (devices, protocols, floats.tobytes(), ints.tobytes(), extra)


def unpack_fixes(packed: tuple[Any, ...]) -> list[Fix]:
    devices, protocols, float_bytes, int_bytes, extra = packed
    floats = array("d")
    floats.frombytes(float_bytes)
    ints = array("q")
    ints.frombytes(int_bytes)
    from_ts = datetime.fromtimestamp
    out = []
    last_ts = _NAN
    received: datetime | None = None
    no_alarms: frozenset[Alarm] = frozenset()
    for i, device in enumerate(devices):
        fix_ts, received_ts, lat, lon, speed, course, alt, hdop = floats[8 * i : 8 * i + 8]
        if received_ts != last_ts:
            last_ts = received_ts
            received = None if received_ts != received_ts else from_ts(received_ts, UTC)
        packed_int = ints[i]
        sats = packed_int >> 2
        alarms, params = extra.get(i, ((), None))
        out.append(
            Fix(
                device,
                from_ts(fix_ts, UTC),
                None if lat != lat else lat,
                None if lon != lon else lon,
                bool(packed_int & 1),
                None if speed != speed else speed,
                None if course != course else course,
                None if alt != alt else alt,
                None if sats < 0 else sats,
                None if hdop != hdop else hdop,
                bool(packed_int & 2),
                received,
                protocols[i],
                frozenset(Alarm(a) for a in alarms) if alarms else no_alarms,
                {} if params is None else params,
            )
        )
    return out


class RuleProcess:
    """The `RuleProcessor` in a child process, so that the rules run on another core than the
    gateways and the writer (one Python interpreter runs one thread at a time).

    `submit(fixes)` (the `FixWriter`'s ``on_stored``) hands the committed fixes over a pipe.
    The child evaluates them exactly as the in-process processor does: in fix-time order per
    device, states and alerts in its own transactions. It ends when the parent closes it or
    dies. ``on_events`` must be picklable (it runs in the child)."""

    def __init__(
        self,
        database_url: str,
        *,
        sweep_s: float = 5.0,
        check_s: float = 2.0,
        on_events: AlertCallback | None = None,
    ):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._queue: Any = ctx.Queue()
        self._processed: Any = ctx.Value("q", 0)
        self._cpu: Any = ctx.Value("d", 0.0)
        self._ready: Any = ctx.Event()
        self._process = ctx.Process(
            target=_rule_process_main,
            args=(database_url, self._queue, self._processed, os.getpid(), sweep_s, check_s),
            kwargs={"on_events": on_events, "ready": self._ready, "cpu": self._cpu},
            name="shekara-rules",
            daemon=True,
        )

    def start(self, wait_s: float = 0.0) -> RuleProcess:
        """Start the child; with ``wait_s``, wait that long for it to have built the rule
        world (the first fixes are then not held up by the build)."""
        self._process.start()
        if wait_s:
            self._ready.wait(wait_s)
        return self

    def submit(self, fixes: Sequence[Fix]) -> None:
        self._queue.put(pack_fixes(fixes))

    @property
    def processed(self) -> int:
        return int(self._processed.value)

    @property
    def cpu_s(self) -> float:
        """CPU seconds the child used (updated ten times a second)."""
        return float(self._cpu.value)

    def close(self, timeout: float = 30.0) -> None:
        if self._process.is_alive():
            self._queue.put(None)
            self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
        self._queue.close()


def _rule_process_main(
    database_url: str,
    inbox: Any,
    processed: Any,
    parent: int,
    sweep_s: float,
    check_s: float,
    on_events: AlertCallback | None = None,
    ready: Any = None,
    cpu: Any = None,
) -> None:
    from shekara.db.engine import make_engine, make_sessionmaker
    from shekara.logs import configure_logging
    from shekara.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    engine = make_engine(settings, database_url or None)
    factory = make_sessionmaker(engine)
    world = WorldCache(check_s=check_s)
    with factory() as s:
        world.get(s)
    processor = RuleProcessor(factory, world=world, sweep_s=sweep_s, on_events=on_events).start()
    if cpu is not None:
        cpu.value = time.process_time()
    if ready is not None:
        ready.set()
    try:
        while True:
            processed.value = processor.processed
            if cpu is not None:
                cpu.value = time.process_time()
            try:
                rows = inbox.get(timeout=0.1)
            except queue.Empty:
                if os.getppid() != parent:  # the parent is gone (killed): stop
                    return
                continue
            except (EOFError, OSError):
                return
            if rows is None:
                return
            processor.submit(unpack_fixes(rows))
    finally:
        processor.close()
        processed.value = processor.processed
        engine.dispose()
