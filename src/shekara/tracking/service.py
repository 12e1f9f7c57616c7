"""Tracking services: devices, trips, alerts, positions, tracks and HTTP ingest.

Every read goes through :func:`shekara.policy.sharing.visible` and is written to the audit log;
every change is audited with its before and after. Only the owner agency changes a record.
Nothing here commits, except `ingest`, which must make fixes durable before it answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm, Role
from shekara.accounts.models import User
from shekara.accounts.security import hash_password, new_token, token_digest
from shekara.audit import service as audit
from shekara.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shekara.policy.sharing import Viewer, visible
from shekara.records.service import require, snapshot
from shekara.tracking.constants import DEVICE_CLASSES, AlertStatus, TripStatus
from shekara.tracking.models import Alert, Device, FixRow, LatestPosition, RuleState, Trip
from shekara.tracking.processor import RuleProcessor, WorldCache, claim_writer, process_batch
from shekara.tracking.rules import DeviceContext, ScreeningHook, green_corridor, state_from_json
from shekara.tracking.schemas import (
    AlertAssign,
    AlertClose,
    DeviceCreate,
    DeviceUpdate,
    IngestBody,
    TripClose,
    TripCreate,
    fixes_from_body,
)
from shekara.tracking.storage import write_fixes

DEVICE_MANAGERS = frozenset({Role.administrator, Role.duty_officer, Role.supervisor})
ALERT_HANDLERS = frozenset({Role.duty_officer, Role.supervisor})


# --- devices ----------------------------------------------------------------------------------


def _require_manager(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        require(viewer, Perm.read)
    assert viewer is not None
    if viewer.role not in DEVICE_MANAGERS:
        raise Forbidden(f"the role {viewer.role.value!r} may not manage tracking devices")
    return viewer


def device_scope(viewer: Viewer | None) -> ColumnElement[bool]:
    """Devices a viewer sees: the sharing policy's, plus an administrator's own agency's."""
    cond = visible(viewer, Device)
    if viewer is not None and viewer.can(Perm.admin):
        cond = or_(cond, Device.owner_agency_id == viewer.agency_id)
    return cond


def create_device(
    session: Session, viewer: Viewer | None, data: DeviceCreate
) -> tuple[Device, str | None]:
    v = _require_manager(viewer)
    if session.scalar(select(Device.id).where(Device.identifier == data.identifier)):
        raise Conflict("a device with this identifier is registered", field="identifier")
    period = data.report_period_s or DEVICE_CLASSES.get(data.device_class, (data.kind, 60))[1]
    token = new_token() if data.issue_token else None
    device = Device(
        kind=data.kind,
        identifier=data.identifier,
        label=data.label,
        protocol=data.protocol,
        password_hash=hash_password(data.password) if data.password else None,
        token_hash=token_digest(token) if token else None,
        device_class=data.device_class,
        report_period_s=period,
        vehicle_id=data.vehicle_id,
        patrol_name=data.patrol_name,
        sector_place_id=data.sector_place_id,
        distribution=data.distribution,
        owner_agency_id=v.agency_id,
        owner_country=v.country,
        created_by=v.user_id,
    )
    session.add(device)
    session.flush()
    audit.record(
        session,
        v,
        "create",
        "tracking_devices",
        record_id=device.id,
        owners=[device.owner_agency_id],
        after=_public(device),
    )
    return device, token


def _public(device: Device) -> dict[str, Any]:
    data = snapshot(device)
    data.pop("password_hash", None)
    data.pop("token_hash", None)
    return data


def _own_device(session: Session, viewer: Viewer, device_id: uuid.UUID) -> Device:
    device = session.scalar(select(Device).where(Device.id == device_id, device_scope(viewer)))
    if device is None:
        raise NotFound("device not found")
    if device.owner_agency_id != viewer.agency_id:
        raise Forbidden("only the owner agency changes a device")
    return device


def update_device(
    session: Session, viewer: Viewer | None, device_id: uuid.UUID, data: DeviceUpdate
) -> Device:
    v = _require_manager(viewer)
    device = _own_device(session, v, device_id)
    before = _public(device)
    changes = data.model_dump(exclude_unset=True)
    if "password" in changes:
        pw = changes.pop("password")
        device.password_hash = hash_password(pw) if pw else None
    for key, value in changes.items():
        setattr(device, key, value)
    session.flush()
    audit.record(
        session,
        v,
        "update",
        "tracking_devices",
        record_id=device.id,
        owners=[device.owner_agency_id],
        before=before,
        after=_public(device),
    )
    return device


def deactivate_device(session: Session, viewer: Viewer | None, device_id: uuid.UUID) -> None:
    """Devices are never deleted (their fixes and alerts are evidence): they are retired."""
    v = _require_manager(viewer)
    device = _own_device(session, v, device_id)
    before = _public(device)
    device.active = False
    device.token_hash = None
    session.flush()
    audit.record(
        session,
        v,
        "delete",
        "tracking_devices",
        record_id=device.id,
        owners=[device.owner_agency_id],
        before=before,
        after=_public(device),
    )


def list_devices(
    session: Session,
    viewer: Viewer | None,
    *,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Device], int]:
    if viewer is None or not (viewer.can(Perm.read) or viewer.can(Perm.admin)):
        require(viewer, Perm.read)
    cond = device_scope(viewer)
    if kind:
        cond = and_(cond, Device.kind == kind)
    total = session.scalar(select(func.count()).select_from(Device).where(cond)) or 0
    rows = list(
        session.scalars(
            select(Device).where(cond).order_by(Device.identifier).limit(limit).offset(offset)
        )
    )
    audit.record(
        session,
        viewer,
        "list",
        "tracking_devices",
        query={"kind": kind},
        result_ids=[d.id for d in rows],
        owners=[d.owner_agency_id for d in rows],
    )
    return rows, total


def get_device(session: Session, viewer: Viewer | None, device_id: uuid.UUID) -> Device:
    if viewer is None or not (viewer.can(Perm.read) or viewer.can(Perm.admin)):
        require(viewer, Perm.read)
    device = session.scalar(select(Device).where(Device.id == device_id, device_scope(viewer)))
    if device is None:
        raise NotFound("device not found")
    audit.record(
        session,
        viewer,
        "read",
        "tracking_devices",
        record_id=device.id,
        owners=[device.owner_agency_id],
    )
    return device


# --- trips ------------------------------------------------------------------------------------


def _visible_device(session: Session, viewer: Viewer, device_id: uuid.UUID, field: str) -> Device:
    device = session.scalar(select(Device).where(Device.id == device_id, visible(viewer, Device)))
    if device is None:
        raise ValidationFailed([{"field": field, "message": "no such device"}])
    return device


def open_trip(session: Session, viewer: Viewer | None, data: TripCreate) -> Trip:
    """A customs officer opens a transit: truck, tracker, seal, corridor, stops, deadline."""
    v = require(viewer, Perm.write)
    _visible_device(session, v, data.tracker_device_id, "tracker_device_id")
    if data.seal_device_id is not None:
        _visible_device(session, v, data.seal_device_id, "seal_device_id")
    busy = session.scalar(
        select(Trip.id).where(
            Trip.status == TripStatus.open,
            or_(
                Trip.tracker_device_id == data.tracker_device_id,
                Trip.seal_device_id == data.tracker_device_id,
            ),
        )
    )
    if busy:
        raise Conflict("this tracker is already on an open trip", field="tracker_device_id")
    trip = Trip(
        reference=data.reference,
        vehicle_id=data.vehicle_id,
        tracker_device_id=data.tracker_device_id,
        seal_device_id=data.seal_device_id,
        corridor=data.corridor,
        corridor_width_m=data.corridor_width_m,
        allowed_stop_place_ids=[str(p) for p in data.allowed_stop_place_ids],
        stop_radius_m=data.stop_radius_m,
        departure_place_id=data.departure_place_id,
        destination_place_id=data.destination_place_id,
        deadline=data.deadline,
        distribution=data.distribution,
        owner_agency_id=v.agency_id,
        owner_country=v.country,
        created_by=v.user_id,
    )
    session.add(trip)
    session.flush()
    audit.record(
        session,
        v,
        "create",
        "tracking_trips",
        record_id=trip.id,
        owners=[v.agency_id],
        after=snapshot(trip),
    )
    return trip


def _trip(session: Session, viewer: Viewer, trip_id: uuid.UUID) -> Trip:
    trip = session.scalar(select(Trip).where(Trip.id == trip_id, visible(viewer, Trip)))
    if trip is None:
        raise NotFound("trip not found")
    return trip


def get_trip(session: Session, viewer: Viewer | None, trip_id: uuid.UUID) -> Trip:
    v = require(viewer, Perm.read)
    trip = _trip(session, v, trip_id)
    audit.record(
        session, v, "read", "tracking_trips", record_id=trip.id, owners=[trip.owner_agency_id]
    )
    return trip


def list_trips(
    session: Session,
    viewer: Viewer | None,
    *,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Trip], int]:
    v = require(viewer, Perm.read)
    cond = visible(v, Trip)
    if status:
        cond = and_(cond, Trip.status == status)
    total = session.scalar(select(func.count()).select_from(Trip).where(cond)) or 0
    rows = list(
        session.scalars(
            select(Trip).where(cond).order_by(Trip.opened_at.desc()).limit(limit).offset(offset)
        )
    )
    audit.record(
        session,
        v,
        "list",
        "tracking_trips",
        query={"status": status},
        result_ids=[t.id for t in rows],
        owners=[t.owner_agency_id for t in rows],
    )
    return rows, total


def close_trip(
    session: Session, viewer: Viewer | None, trip_id: uuid.UUID, data: TripClose
) -> Trip:
    v = require(viewer, Perm.write)
    trip = _trip(session, v, trip_id)
    if trip.owner_agency_id != v.agency_id:
        raise Forbidden("only the owner agency closes a trip")
    if trip.status != TripStatus.open:
        raise Conflict("the trip is not open")
    before = snapshot(trip)
    trip.status = TripStatus.cancelled if data.cancelled else TripStatus.closed
    trip.closed_at = datetime.now(UTC)
    trip.closing_note = data.note
    session.flush()
    audit.record(
        session,
        v,
        "update",
        "tracking_trips",
        record_id=trip.id,
        owners=[trip.owner_agency_id],
        before=before,
        after=snapshot(trip),
    )
    return trip


def trip_green_corridor(
    session: Session,
    viewer: Viewer | None,
    trip_id: uuid.UUID,
    screening: ScreeningHook = lambda: True,
) -> tuple[bool, list[str]]:
    """Whether the truck may take the green corridor at the checkpoint (see rules)."""
    v = require(viewer, Perm.read)
    trip = _trip(session, v, trip_id)
    device = session.get(Device, trip.tracker_device_id)
    assert device is not None
    row = session.get(RuleState, trip.tracker_device_id)
    state = state_from_json(row.state if row else None)
    if state.trip_id != str(trip.id):
        state = state_from_json(None)
    kinds = session.scalars(
        select(Alert.kind).where(Alert.trip_id == trip.id, Alert.status != AlertStatus.closed)
    ).all()
    ctx = DeviceContext(str(device.id), kind=device.kind, report_period_s=device.report_period_s)
    result = green_corridor(state, ctx, [str(k) for k in kinds], screening)
    audit.record(
        session,
        v,
        "read",
        "tracking_trips",
        record_id=trip.id,
        owners=[trip.owner_agency_id],
        query={"green_corridor": result.eligible},
    )
    return result.eligible, list(result.reasons)


# --- alerts -----------------------------------------------------------------------------------


def list_alerts(
    session: Session,
    viewer: Viewer | None,
    *,
    status: str | None = None,
    kind: str | None = None,
    device_id: uuid.UUID | None = None,
    trip_id: uuid.UUID | None = None,
    include_late: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Alert], int]:
    v = require(viewer, Perm.read)
    cond = visible(v, Alert)
    if status == "active":
        cond = and_(cond, Alert.status != AlertStatus.closed)
    elif status:
        cond = and_(cond, Alert.status == status)
    if kind:
        cond = and_(cond, Alert.kind == kind)
    if device_id:
        cond = and_(cond, Alert.device_id == device_id)
    if trip_id:
        cond = and_(cond, Alert.trip_id == trip_id)
    if not include_late:
        cond = and_(cond, Alert.late.is_(False))
    total = session.scalar(select(func.count()).select_from(Alert).where(cond)) or 0
    rows = list(
        session.scalars(
            select(Alert).where(cond).order_by(Alert.raised_at.desc()).limit(limit).offset(offset)
        )
    )
    audit.record(
        session,
        v,
        "list",
        "tracking_alerts",
        query={"status": status, "kind": kind, "device_id": device_id, "trip_id": trip_id},
        result_ids=[a.id for a in rows],
        owners=[a.owner_agency_id for a in rows],
    )
    return rows, total


def _handled_alert(session: Session, viewer: Viewer | None, alert_id: uuid.UUID) -> Alert:
    v = require(viewer, Perm.read)
    alert = session.scalar(select(Alert).where(Alert.id == alert_id, visible(v, Alert)))
    if alert is None:
        raise NotFound("alert not found")
    if v.role not in ALERT_HANDLERS or alert.owner_agency_id != v.agency_id:
        raise Forbidden("only the owner agency's duty officers and supervisors handle an alert")
    if alert.status == AlertStatus.closed:
        raise Conflict("the alert is closed")
    return alert


def _audit_alert(
    session: Session, viewer: Viewer | None, alert: Alert, before: dict[str, Any]
) -> None:
    audit.record(
        session,
        viewer,
        "update",
        "tracking_alerts",
        record_id=alert.id,
        owners=[alert.owner_agency_id],
        before=before,
        after=snapshot(alert),
    )


def acknowledge_alert(session: Session, viewer: Viewer | None, alert_id: uuid.UUID) -> Alert:
    alert = _handled_alert(session, viewer, alert_id)
    assert viewer is not None
    before = snapshot(alert)
    if alert.status == AlertStatus.open:
        alert.status = AlertStatus.acknowledged
    alert.acknowledged_by = viewer.user_id
    alert.acknowledged_at = datetime.now(UTC)
    session.flush()
    _audit_alert(session, viewer, alert, before)
    return alert


def assign_alert(
    session: Session, viewer: Viewer | None, alert_id: uuid.UUID, data: AlertAssign
) -> Alert:
    alert = _handled_alert(session, viewer, alert_id)
    user = session.get(User, data.assignee_id)
    if user is None or not user.active or user.agency_id != alert.owner_agency_id:
        raise ValidationFailed(
            [{"field": "assignee_id", "message": "no such user in the owner agency"}]
        )
    before = snapshot(alert)
    alert.assignee_id = user.id
    alert.status = AlertStatus.assigned
    if alert.acknowledged_at is None and viewer is not None:
        alert.acknowledged_by, alert.acknowledged_at = viewer.user_id, datetime.now(UTC)
    session.flush()
    _audit_alert(session, viewer, alert, before)
    return alert


def close_alert(
    session: Session, viewer: Viewer | None, alert_id: uuid.UUID, data: AlertClose
) -> Alert:
    alert = _handled_alert(session, viewer, alert_id)
    assert viewer is not None
    before = snapshot(alert)
    alert.status = AlertStatus.closed
    alert.closed_by = viewer.user_id
    alert.closed_at = datetime.now(UTC)
    alert.closing_note = data.note
    session.flush()
    _audit_alert(session, viewer, alert, before)
    return alert


# --- positions and tracks ---------------------------------------------------------------------

BBox = tuple[float, float, float, float]


def parse_bbox(text: str | None) -> BBox | None:
    """``min_lon,min_lat,max_lon,max_lat``."""
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError as e:
        raise ValidationFailed([{"field": "bbox", "message": "four numbers expected"}]) from e
    if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
        raise ValidationFailed(
            [{"field": "bbox", "message": "expected min_lon,min_lat,max_lon,max_lat"}]
        )
    return parts[0], parts[1], parts[2], parts[3]


def _feature(device: Device, pos: LatestPosition) -> dict[str, Any]:
    lat, lon = pos.last_valid_lat, pos.last_valid_lon  # an invalid fix keeps the last place
    return {
        "type": "Feature",
        "id": str(device.id),
        "geometry": None
        if lat is None or lon is None
        else {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "device_id": str(device.id),
            "kind": device.kind.value,
            "label": device.label or device.identifier,
            "patrol_name": device.patrol_name,
            "sector_place_id": str(device.sector_place_id) if device.sector_place_id else None,
            "fix_time": pos.fix_time.isoformat(),
            "received_at": pos.received_at.isoformat(),
            "speed": pos.speed,
            "course": pos.course,
            "valid": pos.valid,
        },
    }


def latest_positions(
    session: Session,
    viewer: Viewer | None,
    *,
    bbox: BBox | None = None,
    since: datetime | None = None,
    kind: str | None = None,
    limit: int = 20_000,
) -> dict[str, Any]:
    """Latest positions of the devices the viewer may see, as a GeoJSON FeatureCollection
    (``since``: only those received after it, for live deltas)."""
    v = require(viewer, Perm.read)
    q = (
        select(Device, LatestPosition)
        .join(LatestPosition, LatestPosition.device_id == Device.id)
        .where(visible(v, Device), Device.active.is_(True))
    )
    if kind:
        q = q.where(Device.kind == kind)
    if since is not None:
        q = q.where(LatestPosition.received_at > since)
    if bbox is not None:
        q = q.where(
            LatestPosition.last_valid_lon >= bbox[0],
            LatestPosition.last_valid_lat >= bbox[1],
            LatestPosition.last_valid_lon <= bbox[2],
            LatestPosition.last_valid_lat <= bbox[3],
        )
    rows = session.execute(q.order_by(LatestPosition.received_at).limit(limit)).all()
    features = [_feature(d, p) for d, p in rows]
    cursor = max((p.received_at for _, p in rows), default=since)
    if rows or since is None:  # an empty live poll reveals nothing: not audited
        audit.record(
            session,
            v,
            "list",
            "tracking_positions",
            query={"bbox": list(bbox) if bbox else None, "kind": kind, "since": since},
            result_ids=[d.id for d, _ in rows],
            owners=[d.owner_agency_id for d, _ in rows],
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "cursor": cursor.isoformat() if cursor else None,
    }


def track(
    session: Session,
    viewer: Viewer | None,
    device_id: uuid.UUID,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 10_000,
) -> dict[str, Any]:
    """A device's fixes in a time window, in fix-time order (replay), every flag kept."""
    v = require(viewer, Perm.read)
    device = session.scalar(select(Device).where(Device.id == device_id, visible(v, Device)))
    if device is None:
        raise NotFound("device not found")
    q = select(FixRow).where(FixRow.device_id == device_id)
    if start is not None:
        q = q.where(FixRow.fix_time >= start)
    if end is not None:
        q = q.where(FixRow.fix_time <= end)
    rows = session.scalars(q.order_by(FixRow.fix_time).limit(limit)).all()
    audit.record(
        session,
        v,
        "read",
        "tracking_tracks",
        record_id=device.id,
        owners=[device.owner_agency_id],
        query={"start": start, "end": end},
    )
    return {
        "device_id": str(device.id),
        "fixes": [
            {
                "fix_time": r.fix_time.isoformat(),
                "received_at": r.received_at.isoformat(),
                "lat": r.lat,
                "lon": r.lon,
                "speed": r.speed,
                "course": r.course,
                "altitude": r.altitude,
                "sats": r.sats,
                "hdop": r.hdop,
                "valid": r.valid,
                "blackbox": r.blackbox,
                "late": (r.received_at - r.fix_time).total_seconds() > 600,
                "flags": r.flags or {},
            }
            for r in rows
        ],
    }


# --- HTTP ingest ------------------------------------------------------------------------------


def device_for_token(session: Session, token: str | None) -> Device:
    from shekara.errors import NotAuthenticated

    if not token:
        raise NotAuthenticated("device token required")
    device = session.scalar(
        select(Device).where(Device.token_hash == token_digest(token), Device.active.is_(True))
    )
    if device is None:
        raise NotAuthenticated("unknown device token")
    return device


def ingest(
    session: Session,
    token: str | None,
    body: IngestBody,
    world: WorldCache,
    processor: RuleProcessor | None = None,
) -> tuple[int, int]:
    """Store a device's fixes (committed before answering), then run the rules on them."""
    device = device_for_token(session, token)
    if device.protocol not in ("any", "http"):
        raise Forbidden("this device is not registered for HTTP ingest")
    fixes = fixes_from_body(str(device.id), body, "http")
    write_fixes(session.connection(), fixes)
    session.commit()
    if processor is not None:
        processor.submit(fixes)
        return len(fixes), 0
    claim_writer(session)
    result = process_batch(session, world.get(session), fixes)
    session.commit()
    return len(fixes), len(result.alerts)


def active_alert_kinds(session: Session, trip_ids: Sequence[uuid.UUID]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for trip_id, kind in session.execute(
        select(Alert.trip_id, Alert.kind).where(
            Alert.trip_id.in_(trip_ids), Alert.status != AlertStatus.closed
        )
    ):
        out.setdefault(str(trip_id), []).append(str(kind))
    return out
