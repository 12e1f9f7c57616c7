"""The live tracking map's server side: viewport subscriptions over a WebSocket.

A console page opens ``/tracking/live`` (the web session authenticates it) and subscribes with
its viewport: ``{"type": "subscribe", "bbox": [west, south, east, north], "zoom": z}``. The
server answers with a snapshot of what lies in the viewport, then every ``interval`` seconds
(1 s) with one batched message of what changed there since the previous tick. Changes are read
from the latest-position table and the alerts table (so fixes stored by gateways in another
process show up too), never from the ingest pipeline's memory.

Per connection, :class:`LiveView` keeps the devices the viewer may see (the sharing policy's
:func:`~shekara.policy.sharing.visible`, refreshed every ``refresh_s``) and their latest
positions. A tick is one indexed range read of the positions received since the last tick (with a
small overlap, because a fix's ``received_at`` is set before its transaction commits), plus the
viewer's open alerts; the viewport filter, the diff against what the client holds and the
clustering run in memory. Above ``cap`` objects in view the server sends grid clusters (counts
and centroids per cell of about 80 screen pixels) instead of objects.

Every message that carries positions or alerts is audited (``list`` on ``tracking_positions`` or
``tracking_alerts`` with the ids sent); ticks that send nothing are not.

Messages (server → client), all JSON objects with an ``event``:

* ``hello``: ``interval``, ``cap``.
* ``snapshot`` / ``delta``: ``mode`` (``objects`` or ``clusters``), ``total`` (objects in view),
  ``now`` (server time, epoch s), ``devices`` (``[idx, id, kind, label, period_s, patrol,
  sector, trip]`` for devices not yet described to this client), ``objects`` (``[idx, lat, lon,
  course, speed, received (epoch s), valid]``, the last valid position), ``gone`` (idx no
  longer in view), ``clusters`` (``[lat, lon, count, alerted]``, the full list whenever it
  changed), ``alerts`` (changed open alerts), ``alerts_gone`` (ids of alerts closed or no
  longer visible).
* ``error``: ``errors`` (``field``, ``message``) for a bad subscription; the socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import and_, select
from sqlalchemy.orm import Session
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from shekara.accounts.constants import Perm
from shekara.accounts.models import User
from shekara.accounts.service import user_for_token, viewer_for
from shekara.audit import service as audit
from shekara.errors import NotFound, ValidationFailed
from shekara.places.models import Place
from shekara.policy.sharing import Viewer, visible
from shekara.records.service import require
from shekara.tracking import service
from shekara.tracking.constants import AlertStatus, TripStatus
from shekara.tracking.models import Alert, Device, LatestPosition, Trip
from shekara.vehicles.models import Vehicle

DEFAULT_INTERVAL_S = 1.0
DEFAULT_CAP = 5000
MAX_CAP = 20_000
CLUSTER_PX = 80
OVERLAP_S = 2.0
REFRESH_S = 15.0
ALERT_LIMIT = 300
STOP_KMH = 3.0

T = TypeVar("T")
BBox = tuple[float, float, float, float]


@dataclass
class DeviceMeta:
    idx: int
    id: uuid.UUID
    kind: str
    label: str
    period_s: int
    patrol: str
    sector: str
    owner: uuid.UUID

    def row(self, trip: str) -> list[Any]:
        return [
            self.idx,
            str(self.id),
            self.kind,
            self.label,
            self.period_s,
            self.patrol,
            self.sector,
            trip,
        ]


@dataclass
class Pos:
    lat: float | None
    lon: float | None
    course: float | None
    speed: float | None
    fix_ts: float
    received_at: datetime
    valid: bool

    def key(self) -> tuple[Any, ...]:
        return (self.fix_ts, self.lat, self.lon, self.valid, self.speed, self.course)


def _r(x: float | None, n: int) -> float | None:
    return None if x is None else round(x, n)


def parse_subscription(data: Any) -> tuple[BBox, int, int | None]:
    """A subscribe message's viewport; a clear error naming the field otherwise."""
    if not isinstance(data, dict):
        raise ValidationFailed([{"field": "type", "message": "a JSON object expected"}])
    raw = data.get("bbox")
    if isinstance(raw, str):
        raw = raw.split(",")
    try:
        w, s, e, n = (float(x) for x in raw)  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            [{"field": "bbox", "message": "four numbers expected: west, south, east, north"}]
        ) from exc
    if not all(math.isfinite(x) for x in (w, s, e, n)) or w > e or s > n:
        raise ValidationFailed(
            [{"field": "bbox", "message": "expected west <= east and south <= north"}]
        )
    box = (max(w, -180.0), max(s, -90.0), min(e, 180.0), min(n, 90.0))
    try:
        zoom = int(data.get("zoom", 6))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed([{"field": "zoom", "message": "a whole number expected"}]) from exc
    if not 0 <= zoom <= 22:
        raise ValidationFailed([{"field": "zoom", "message": "between 0 and 22"}])
    cap = data.get("cap")
    if cap is not None:
        if not isinstance(cap, int) or not 1 <= cap <= MAX_CAP:
            raise ValidationFailed([{"field": "cap", "message": f"between 1 and {MAX_CAP}"}])
    return box, zoom, cap


@dataclass
class LiveView:
    """What one subscriber holds; :meth:`subscribe` and :meth:`tick` build its messages."""

    viewer: Viewer
    cap: int = DEFAULT_CAP
    overlap_s: float = OVERLAP_S
    refresh_s: float = REFRESH_S
    devices: dict[uuid.UUID, DeviceMeta] = field(default_factory=dict)
    positions: dict[uuid.UUID, Pos] = field(default_factory=dict)
    trips: dict[uuid.UUID, str] = field(default_factory=dict)
    cursor: datetime | None = None
    bbox: BBox | None = None
    zoom: int = 6
    mode: str = "objects"
    sent: dict[uuid.UUID, Pos] = field(default_factory=dict)
    """What the client holds: the position object last sent (replaced, never mutated)."""
    described: set[uuid.UUID] = field(default_factory=set)
    clusters_sent: list[list[Any]] = field(default_factory=list)
    alerts_sent: dict[uuid.UUID, tuple[Any, ...]] = field(default_factory=dict)
    alerted: dict[uuid.UUID, str] = field(default_factory=dict)
    refreshed_at: float = 0.0
    viewer_locale: str = "en"
    _next_idx: int = 0
    _unloaded: set[uuid.UUID] = field(default_factory=set)
    _stamps: dict[uuid.UUID, datetime] = field(default_factory=dict)
    _raw: dict[uuid.UUID, tuple[Any, ...]] = field(default_factory=dict)

    # --- reading ---------------------------------------------------------------------------

    def refresh_devices(self, session: Session) -> set[uuid.UUID]:
        """(Re)load the devices the viewer may see; returns those no longer visible.

        One narrow query (id, last change) over the visible devices; the details are read
        only for devices that are new to this view or changed since."""
        cond = and_(visible(self.viewer, Device), Device.active.is_(True))
        conn = session.connection()  # Core rows: no ORM layer over thousands of rows
        stamps = dict(conn.execute(select(Device.id, Device.updated_at).where(cond)).all())
        stale = [d for d, at in stamps.items() if self._stamps.get(d) != at]
        cols = (
            Device.id,
            Device.kind,
            Device.label,
            Device.identifier,
            Device.report_period_s,
            Device.patrol_name,
            Device.sector_place_id,
            Device.owner_agency_id,
        )
        rows: list[Any] = []
        if len(stale) == len(stamps):
            rows = list(conn.execute(select(*cols).where(cond)).all())
        else:
            for i in range(0, len(stale), 500):
                part = stale[i : i + 500]
                rows += conn.execute(select(*cols).where(cond, Device.id.in_(part))).all()
        sector_ids = {r.sector_place_id for r in rows} - {None}
        sectors = (
            {
                p.id: p.name(self.viewer_locale)
                for p in session.scalars(select(Place).where(Place.id.in_(sector_ids)))
            }
            if sector_ids
            else {}
        )
        for r in rows:
            meta = self.devices.get(r.id)
            if meta is None:
                self._unloaded.add(r.id)
                meta = DeviceMeta(self._next_idx, r.id, "", "", 60, "", "", r.owner_agency_id)
                self._next_idx += 1
                self.devices[r.id] = meta
            else:
                self.described.discard(r.id)  # changed: describe it to the client again
            meta.kind = str(getattr(r.kind, "value", r.kind))
            meta.label = r.label or r.identifier
            meta.period_s = int(r.report_period_s or 60)
            meta.patrol = r.patrol_name or ""
            meta.sector = sectors.get(r.sector_place_id, "") if r.sector_place_id else ""
            meta.owner = r.owner_agency_id
        self._stamps = stamps
        seen = set(stamps)
        gone = set(self.devices) - seen
        for d in gone:
            del self.devices[d]
            self.positions.pop(d, None)
            self._raw.pop(d, None)
            self._unloaded.discard(d)
        self.trips = {
            r.tracker_device_id: r.reference or str(r.id)
            for r in session.execute(
                select(Trip.id, Trip.reference, Trip.tracker_device_id).where(
                    Trip.status == TripStatus.open, visible(self.viewer, Trip)
                )
            )
        }
        self.refreshed_at = time.monotonic()
        return gone

    _COLS = (
        LatestPosition.device_id,
        LatestPosition.fix_time,
        LatestPosition.received_at,
        LatestPosition.last_valid_lat,
        LatestPosition.last_valid_lon,
        LatestPosition.speed,
        LatestPosition.course,
        LatestPosition.valid,
    )

    def _take(self, rows: Any, changed: set[uuid.UUID]) -> None:
        cursor = self.cursor
        raw = self._raw
        for row in rows:
            dev, fix_time, received, lat, lon, speed, course, valid = row
            if cursor is None or received > cursor:
                cursor = received
            if dev not in self.devices:
                continue
            values = (fix_time, received, lat, lon, speed, course, valid)
            if raw.get(dev) == values:  # read again in the overlap: unchanged
                continue
            raw[dev] = values
            pos = Pos(
                _r(lat, 5), _r(lon, 5), _r(course, 0), _r(speed, 1), fix_time.timestamp(),
                received, bool(valid),
            )  # fmt: skip
            old = self.positions.get(dev)
            if old is None or old.key() != pos.key():
                self.positions[dev] = pos
                changed.add(dev)
        self.cursor = cursor

    def read_positions(self, session: Session) -> set[uuid.UUID]:
        """Positions received since the last read (and every position of devices that just
        became visible); returns the visible devices whose position changed."""
        changed: set[uuid.UUID] = set()
        conn = session.connection()
        if self._unloaded:
            q = select(*self._COLS).join(Device, Device.id == LatestPosition.device_id)
            q = q.where(visible(self.viewer, Device), Device.active.is_(True))
            if len(self._unloaded) < len(self.devices):
                new = sorted(self._unloaded)
                for i in range(0, len(new), 500):
                    self._take(
                        conn.execute(q.where(LatestPosition.device_id.in_(new[i : i + 500]))),
                        changed,
                    )
            else:
                self._take(conn.execute(q), changed)
            self._unloaded.clear()
        if self.cursor is not None:
            since = self.cursor - timedelta(seconds=self.overlap_s)
            self._take(
                conn.execute(select(*self._COLS).where(LatestPosition.received_at > since)),
                changed,
            )
        return changed

    def read_alerts(self, session: Session) -> tuple[list[dict[str, Any]], list[str]]:
        """The viewer's open alerts that changed since the last read, and those now gone."""
        rows = session.execute(
            select(
                Alert.id,
                Alert.device_id,
                Alert.kind,
                Alert.severity,
                Alert.status,
                Alert.occurrences,
                Alert.assignee_id,
                Alert.last_fix_time,
                Alert.raised_at,
                Alert.lat,
                Alert.lon,
                Alert.late,
                Alert.owner_agency_id,
            )
            .where(visible(self.viewer, Alert), Alert.status != AlertStatus.closed)
            .order_by(Alert.raised_at.desc())
            .limit(ALERT_LIMIT)
        ).all()
        changed: list[dict[str, Any]] = []
        now: dict[uuid.UUID, tuple[Any, ...]] = {}
        alerted: dict[uuid.UUID, str] = {}
        rank = {"info": 0, "warning": 1, "critical": 2}
        for r in rows:
            severity = str(getattr(r.severity, "value", r.severity))
            status = str(getattr(r.status, "value", r.status))
            fp = (status, r.occurrences, r.assignee_id, r.last_fix_time)
            now[r.id] = fp
            if not r.late and rank[severity] >= rank.get(alerted.get(r.device_id, ""), -1):
                alerted[r.device_id] = severity
            if self.alerts_sent.get(r.id) != fp:
                changed.append(
                    {
                        "id": str(r.id),
                        "device_id": str(r.device_id),
                        "kind": str(getattr(r.kind, "value", r.kind)),
                        "severity": severity,
                        "status": status,
                        "occurrences": r.occurrences,
                        "assigned": r.assignee_id is not None,
                        "raised_at": r.raised_at.isoformat(),
                        "last_fix_time": r.last_fix_time.isoformat(),
                        "lat": r.lat,
                        "lon": r.lon,
                        "late": r.late,
                        "owner": str(r.owner_agency_id),
                    }
                )
        gone = [str(a) for a in self.alerts_sent if a not in now]
        self.alerts_sent = now
        self.alerted = alerted
        return changed, gone

    # --- building messages -----------------------------------------------------------------

    def in_view(self) -> list[uuid.UUID]:
        if self.bbox is None:
            return []
        w, s, e, n = self.bbox
        return [
            d
            for d, p in self.positions.items()
            if p.lat is not None and p.lon is not None and w <= p.lon <= e and s <= p.lat <= n
        ]

    def clusters(self, ids: list[uuid.UUID]) -> list[list[Any]]:
        cell = CLUSTER_PX * 360.0 / (256 * 2**self.zoom)
        cells: dict[tuple[int, int], list[float]] = {}
        for d in ids:
            p = self.positions[d]
            assert p.lat is not None and p.lon is not None
            key = (math.floor(p.lon / cell), math.floor(p.lat / cell))
            c = cells.get(key)
            if c is None:
                c = cells[key] = [0.0, 0.0, 0, 0]
            c[0] += p.lat
            c[1] += p.lon
            c[2] += 1
            c[3] += 1 if d in self.alerted else 0
        return sorted(
            [round(c[0] / c[2], 4), round(c[1] / c[2], 4), int(c[2]), int(c[3])]
            for c in cells.values()
        )

    def _object(self, d: uuid.UUID) -> list[Any]:
        p = self.positions[d]
        received = int(p.received_at.timestamp())
        return [self.devices[d].idx, p.lat, p.lon, p.course, p.speed, received, int(p.valid)]

    def build(self, session: Session, event: str, changed: set[uuid.UUID]) -> dict[str, Any]:
        """The message for the current view: everything on a snapshot, else what changed."""
        ids = self.in_view()
        msg: dict[str, Any] = {
            "event": event,
            "now": int(time.time()),
            "total": len(ids),
            "cap": self.cap,
        }
        fresh = event == "snapshot"
        if len(ids) > self.cap:
            # Too many objects in view: grid clusters instead (the client drops its objects).
            msg["mode"] = "clusters"
            clusters = self.clusters(ids)
            shown: list[uuid.UUID] = []
            if fresh or self.mode != "clusters" or clusters != self.clusters_sent:
                msg["clusters"] = clusters
                shown = (
                    ids if fresh or self.mode != "clusters" else [d for d in ids if d in changed]
                )
            self.sent = {}
            self.clusters_sent = clusters
            self.mode = "clusters"
        else:
            msg["mode"] = "objects"
            view = set(ids)
            if fresh or self.mode != "objects":
                self.sent = {}
            left = [d for d in self.sent if d not in view]
            msg["gone"] = [self.devices[d].idx for d in left if d in self.devices]
            for d in left:
                del self.sent[d]
            positions, sent = self.positions, self.sent
            shown = [d for d in ids if sent.get(d) is not positions[d]]
            new_meta = [d for d in shown if d not in self.described]
            msg["devices"] = [self.devices[d].row(self.trips.get(d, "")) for d in new_meta]
            self.described.update(new_meta)
            msg["objects"] = [self._object(d) for d in shown]
            for d in shown:
                sent[d] = positions[d]
            self.clusters_sent = []
            self.mode = "objects"
        if shown:
            audit.record(
                session,
                self.viewer,
                "list",
                "tracking_positions",
                query={"live": event, "bbox": list(self.bbox or ()), "zoom": self.zoom},
                result_ids=shown,
                owners=[self.devices[d].owner for d in shown],
            )
        return msg

    def _with_alerts(self, session: Session, msg: dict[str, Any]) -> dict[str, Any]:
        changed, gone = self.read_alerts(session)
        if changed:
            audit.record(
                session,
                self.viewer,
                "list",
                "tracking_alerts",
                query={"live": msg["event"], "status": "active"},
                result_ids=[uuid.UUID(a["id"]) for a in changed],
                owners=[uuid.UUID(a["owner"]) for a in changed],
            )
        msg["alerts"] = changed
        msg["alerts_gone"] = gone
        return msg

    def subscribe(
        self, session: Session, bbox: BBox, zoom: int, cap: int | None = None
    ) -> dict[str, Any]:
        """A new viewport: the full picture of it."""
        if not self.devices or time.monotonic() - self.refreshed_at > self.refresh_s:
            self.refresh_devices(session)
        self.read_positions(session)
        self.bbox, self.zoom = bbox, zoom
        if cap is not None:
            self.cap = cap
        self.alerts_sent = {}
        msg = self.build(session, "snapshot", set())
        return self._with_alerts(session, msg)

    def tick(self, session: Session) -> dict[str, Any] | None:
        """What changed in the viewport since the last tick; None when nothing did."""
        if self.bbox is None:
            return None
        gone_idx: list[int] = []
        if time.monotonic() - self.refreshed_at > self.refresh_s:
            before = {d: m.idx for d, m in self.devices.items()}
            for d in self.refresh_devices(session):  # no longer visible to this viewer
                if self.sent.pop(d, None) is not None:
                    gone_idx.append(before[d])
        changed = self.read_positions(session)
        msg = self.build(session, "delta", changed)
        if msg["mode"] == "objects":
            msg["gone"] = sorted(set(msg["gone"]) | set(gone_idx))
        msg = self._with_alerts(session, msg)
        if not (
            msg.get("objects")
            or msg.get("gone")
            or "clusters" in msg
            or msg["alerts"]
            or msg["alerts_gone"]
        ):
            return None
        return msg


# --- object details (the map's side panel) -----------------------------------------------------


def object_status(pos: LatestPosition | None, period_s: int, alerts: list[Alert]) -> str:
    """``alert``, ``silent`` (no fix for two reporting periods), ``moving`` or ``stopped``."""
    if any(not a.late for a in alerts):
        return "alert"
    if pos is None or (datetime.now(UTC) - pos.received_at).total_seconds() > 2 * period_s:
        return "silent"
    return "moving" if (pos.speed or 0) >= STOP_KMH else "stopped"


def object_details(
    session: Session, viewer: Viewer | None, device_id: uuid.UUID, locale: str = "en"
) -> dict[str, Any]:
    """Everything the side panel shows about one object, through the sharing policy; every
    read is audited by the service it comes from."""
    v = require(viewer, Perm.read)
    device = session.scalar(select(Device).where(Device.id == device_id, visible(v, Device)))
    if device is None:
        raise NotFound("device not found")
    device = service.get_device(session, v, device_id)
    pos = session.get(LatestPosition, device.id)
    alerts, _ = service.list_alerts(session, v, status="active", device_id=device.id, limit=20)
    trip = session.scalar(
        select(Trip)
        .where(
            Trip.status == TripStatus.open,
            (Trip.tracker_device_id == device.id) | (Trip.seal_device_id == device.id),
            visible(v, Trip),
        )
        .order_by(Trip.opened_at.desc())
        .limit(1)
    )
    green: tuple[bool, list[str]] | None = None
    if trip is not None:
        trip = service.get_trip(session, v, trip.id)
        if trip.tracker_device_id == device.id:
            green = service.trip_green_corridor(session, v, trip.id)
    vehicle_id = device.vehicle_id or (trip.vehicle_id if trip is not None else None)
    vehicle = None
    if vehicle_id is not None:
        vehicle = session.scalar(
            select(Vehicle).where(Vehicle.id == vehicle_id, visible(v, Vehicle))
        )
        if vehicle is not None:
            audit.record(
                session, v, "read", "vehicles", record_id=vehicle.id,
                owners=[vehicle.owner_agency_id],
            )  # fmt: skip
    sector = session.get(Place, device.sector_place_id) if device.sector_place_id else None
    return {
        "device": device,
        "position": pos,
        "status": object_status(pos, device.report_period_s, alerts),
        "alerts": alerts,
        "trip": trip,
        "green": green,
        "vehicle": vehicle,
        "sector": sector.name(locale) if sector is not None else "",
    }


def device_labels(
    session: Session, viewer: Viewer | None, ids: set[uuid.UUID]
) -> dict[uuid.UUID, Device]:
    """The devices among ``ids`` the viewer may see (to name the devices of listed alerts)."""
    v = require(viewer, Perm.read)
    return {
        d.id: d
        for d in session.scalars(select(Device).where(Device.id.in_(ids), visible(v, Device)))
    }


def assignable_users(session: Session, viewer: Viewer | None) -> list[tuple[uuid.UUID, str]]:
    """Active users of the viewer's agency (an alert is assigned within the owner agency)."""
    v = require(viewer, Perm.read)
    if v.role not in service.ALERT_HANDLERS:
        return []
    rows = session.execute(
        select(User.id, User.display_name, User.username)
        .where(User.agency_id == v.agency_id, User.active.is_(True))
        .order_by(User.display_name)
    ).all()
    return [(r.id, r.display_name or r.username) for r in rows]


# --- the socket --------------------------------------------------------------------------------


async def _run(ws: WebSocket, fn: Callable[[Session], T]) -> T:
    """One unit of work in a worker thread (committed: the audit entries are kept)."""

    def work() -> T:
        with ws.app.state.sessionmaker() as session:
            out = fn(session)
            session.commit()
            return out

    return await anyio.to_thread.run_sync(work)


def _same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if not origin:
        return True  # not a browser; the session cookie still decides
    host = ws.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


def _authenticate(ws: WebSocket, session: Session) -> tuple[Viewer | None, str]:
    settings = ws.app.state.settings
    sess = ws.session if "session" in ws.scope else {}
    token = sess.get("token")
    seen = sess.get("seen")
    lang = str(sess.get("lang") or "en")
    if not token or not isinstance(seen, int):
        return None, lang
    if time.time() - seen > settings.session_idle_minutes * 60:
        return None, lang
    user = user_for_token(session, token)
    if user is None:
        return None, lang
    client = ws.client.host if ws.client else ""
    purpose = sess.get("purpose") if isinstance(sess.get("purpose"), str) else ""
    return viewer_for(session, user, client, purpose or "live map"), lang


def _subscribe(
    view: LiveView, box: BBox, zoom: int, cap: int | None, session: Session
) -> dict[str, Any]:
    return view.subscribe(session, box, zoom, cap)


async def serve(
    ws: WebSocket, interval: float = DEFAULT_INTERVAL_S, refresh_s: float = REFRESH_S
) -> None:
    """Serve one live-map socket until the client leaves or its session ends."""
    if not _same_origin(ws):
        await ws.close(code=4403)
        return
    await ws.accept()
    viewer, lang = await _run(ws, lambda s: _authenticate(ws, s))
    if viewer is None or not viewer.can(Perm.read):
        await ws.send_json(
            {"event": "error", "errors": [{"field": "session", "message": "sign in again"}]}
        )
        await ws.close(code=4401)
        return
    token = str(ws.session.get("token"))
    view = LiveView(viewer, refresh_s=refresh_s)
    view.viewer_locale = lang
    await ws.send_json({"event": "hello", "interval": interval, "cap": view.cap})
    next_tick = time.monotonic() + interval
    try:
        while True:
            try:
                text = await asyncio.wait_for(
                    ws.receive_text(), max(0.0, next_tick - time.monotonic())
                )
            except TimeoutError:
                next_tick = time.monotonic() + interval
                if view.bbox is None:
                    continue
                if time.monotonic() - view.refreshed_at > view.refresh_s:
                    alive = await _run(ws, lambda s: user_for_token(s, token) is not None)
                    if not alive:
                        await ws.close(code=4401)
                        return
                msg = await _run(ws, view.tick)
                if msg is not None:
                    await ws.send_text(json.dumps(msg, separators=(",", ":")))
                continue
            try:
                box, zoom, cap = parse_subscription(json.loads(text))
            except ValueError:
                err = {"field": "message", "message": "JSON expected"}
                await ws.send_json({"event": "error", "errors": [err]})
                continue
            except ValidationFailed as e:
                await ws.send_json({"event": "error", **e.to_dict()})
                continue
            msg = await _run(ws, functools.partial(_subscribe, view, box, zoom, cap))
            await ws.send_text(json.dumps(msg, separators=(",", ":")))
            next_tick = time.monotonic() + interval
    except WebSocketDisconnect:
        return
    finally:
        if ws.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close()
