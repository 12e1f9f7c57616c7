"""Tracking API (under /api/v1/tracking): thin handlers over tracking.service."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from sqlalchemy.orm import Session

from shekara.accounts.service import user_for_token, viewer_for
from shekara.api.deps import SessionDep, ViewerDep, get_session
from shekara.errors import AppError
from shekara.records.schemas import Page
from shekara.tracking import service
from shekara.tracking.processor import WorldCache
from shekara.tracking.schemas import (
    AlertAssign,
    AlertClose,
    AlertPublic,
    DeviceCreate,
    DeviceCreated,
    DevicePublic,
    DeviceUpdate,
    GreenCorridor,
    IngestBody,
    IngestResult,
    TripClose,
    TripCreate,
    TripPublic,
)

router = APIRouter(prefix="/tracking", tags=["tracking"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


def _world(request: Request) -> WorldCache:
    world: WorldCache | None = getattr(request.app.state, "tracking_world", None)
    if world is None:
        world = WorldCache()
        request.app.state.tracking_world = world
    return world


# --- devices ----------------------------------------------------------------------------------


@router.post("/devices", status_code=201)
def create_device(data: DeviceCreate, session: SessionDep, viewer: ViewerDep) -> DeviceCreated:
    """Register a device (administrators, duty officers, supervisors of the owner agency)."""
    device, token = service.create_device(session, viewer, data)
    return DeviceCreated.model_validate(
        {**DevicePublic.model_validate(device).model_dump(), "token": token}
    )


@router.get("/devices")
def list_devices(
    session: SessionDep,
    viewer: ViewerDep,
    kind: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[DevicePublic]:
    rows, total = service.list_devices(session, viewer, kind=kind, limit=limit, offset=offset)
    return Page(
        items=[DevicePublic.model_validate(d) for d in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/devices/{device_id}")
def get_device(device_id: uuid.UUID, session: SessionDep, viewer: ViewerDep) -> DevicePublic:
    return DevicePublic.model_validate(service.get_device(session, viewer, device_id))


@router.patch("/devices/{device_id}")
def update_device(
    device_id: uuid.UUID, data: DeviceUpdate, session: SessionDep, viewer: ViewerDep
) -> DevicePublic:
    return DevicePublic.model_validate(service.update_device(session, viewer, device_id, data))


@router.delete("/devices/{device_id}", status_code=204)
def delete_device(device_id: uuid.UUID, session: SessionDep, viewer: ViewerDep) -> Response:
    """Retire a device (kept, with its fixes and alerts, as evidence)."""
    service.deactivate_device(session, viewer, device_id)
    return Response(status_code=204)


@router.get("/devices/{device_id}/track")
def device_track(
    device_id: uuid.UUID,
    session: SessionDep,
    viewer: ViewerDep,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 10_000,
) -> dict[str, Any]:
    """Track history for replay: every fix in the window, invalid and black-box ones too."""
    return service.track(session, viewer, device_id, start=start, end=end, limit=limit)


# --- trips ------------------------------------------------------------------------------------


@router.post("/trips", status_code=201)
def open_trip(data: TripCreate, session: SessionDep, viewer: ViewerDep) -> TripPublic:
    return TripPublic.model_validate(service.open_trip(session, viewer, data))


@router.get("/trips")
def list_trips(
    session: SessionDep,
    viewer: ViewerDep,
    status: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[TripPublic]:
    rows, total = service.list_trips(session, viewer, status=status, limit=limit, offset=offset)
    return Page(
        items=[TripPublic.model_validate(t) for t in rows], total=total, limit=limit, offset=offset
    )


@router.get("/trips/{trip_id}")
def get_trip(trip_id: uuid.UUID, session: SessionDep, viewer: ViewerDep) -> TripPublic:
    return TripPublic.model_validate(service.get_trip(session, viewer, trip_id))


@router.post("/trips/{trip_id}/close")
def close_trip(
    trip_id: uuid.UUID, data: TripClose, session: SessionDep, viewer: ViewerDep
) -> TripPublic:
    return TripPublic.model_validate(service.close_trip(session, viewer, trip_id, data))


@router.get("/trips/{trip_id}/green-corridor")
def green_corridor(trip_id: uuid.UUID, session: SessionDep, viewer: ViewerDep) -> GreenCorridor:
    """Eligible only if the tracker was healthy for the whole trip and no alert is open."""
    eligible, reasons = service.trip_green_corridor(session, viewer, trip_id)
    return GreenCorridor(trip_id=trip_id, eligible=eligible, reasons=reasons)


# --- alerts -----------------------------------------------------------------------------------


@router.get("/alerts")
def list_alerts(
    session: SessionDep,
    viewer: ViewerDep,
    status: Annotated[
        str | None, Query(description="open, acknowledged, assigned, closed or active")
    ] = None,
    kind: str | None = None,
    device_id: uuid.UUID | None = None,
    trip_id: uuid.UUID | None = None,
    include_late: bool = True,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[AlertPublic]:
    rows, total = service.list_alerts(
        session,
        viewer,
        status=status,
        kind=kind,
        device_id=device_id,
        trip_id=trip_id,
        include_late=include_late,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[AlertPublic.model_validate(a) for a in rows], total=total, limit=limit, offset=offset
    )


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(alert_id: uuid.UUID, session: SessionDep, viewer: ViewerDep) -> AlertPublic:
    return AlertPublic.model_validate(service.acknowledge_alert(session, viewer, alert_id))


@router.post("/alerts/{alert_id}/assign")
def assign_alert(
    alert_id: uuid.UUID, data: AlertAssign, session: SessionDep, viewer: ViewerDep
) -> AlertPublic:
    return AlertPublic.model_validate(service.assign_alert(session, viewer, alert_id, data))


@router.post("/alerts/{alert_id}/close")
def close_alert(
    alert_id: uuid.UUID, data: AlertClose, session: SessionDep, viewer: ViewerDep
) -> AlertPublic:
    return AlertPublic.model_validate(service.close_alert(session, viewer, alert_id, data))


# --- positions, ingest, live ------------------------------------------------------------------


@router.get("/positions")
def positions(
    session: SessionDep,
    viewer: ViewerDep,
    bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")] = None,
    kind: str | None = None,
    since: datetime | None = None,
) -> dict[str, Any]:
    """Latest position of every device the viewer may see, as GeoJSON."""
    return service.latest_positions(
        session, viewer, bbox=service.parse_bbox(bbox), kind=kind, since=since
    )


@router.post("/ingest")
def ingest(
    body: IngestBody,
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    x_device_token: Annotated[str | None, Header()] = None,
) -> IngestResult:
    """Trackers post fixes as JSON with their device token (`Authorization: Bearer <token>`
    or `X-Device-Token`). The answer comes after the fixes are committed."""
    token = x_device_token
    if token is None and authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    stored, alerts = service.ingest(session, token, body, _world(request))
    return IngestResult(stored=stored, alerts=alerts)


@contextlib.contextmanager
def _ws_session(ws: WebSocket) -> Iterator[Session]:
    """A unit of work for the socket (honours the app's session override, as tests use)."""
    provider = ws.app.dependency_overrides.get(get_session)
    if provider is not None:
        gen = provider()
        session = next(gen)
        try:
            yield session
        finally:
            next(gen, None)
        return
    session = ws.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _ws_viewer(ws: WebSocket, session: Session, token: str | None) -> Any:
    if token is None and "session" in ws.scope:
        token = ws.session.get("token")
    if not token:
        return None
    user = user_for_token(session, token)
    if user is None:
        return None
    client = ws.client.host if ws.client else ""
    return viewer_for(session, user, client, "live map")


@router.websocket("/live")
async def live(
    ws: WebSocket, bbox: str | None = None, token: str | None = None, interval: float = 1.0
) -> None:
    """Live positions: a snapshot of the viewport, then every second the devices that moved
    inside it. Send ``{"bbox": "min_lon,min_lat,max_lon,max_lat"}`` to move the viewport.
    Authenticate with ``?token=`` (or the web session)."""
    await ws.accept()
    interval = min(max(interval, 0.2), 10.0)
    try:
        with _ws_session(ws) as session:
            viewer = _ws_viewer(ws, session, token)
            box = service.parse_bbox(bbox)
            snap = service.latest_positions(session, viewer, bbox=box)
    except AppError as e:
        await ws.send_json(e.to_dict())
        await ws.close(code=4401 if e.status == 401 else 4403)
        return
    await ws.send_json({**snap, "event": "snapshot"})
    cursor = datetime.fromisoformat(snap["cursor"]) if snap["cursor"] else None
    while True:
        try:
            text = await asyncio.wait_for(ws.receive_text(), interval)
            try:
                box = service.parse_bbox(json.loads(text).get("bbox"))
            except (AppError, ValueError, AttributeError):
                continue
            with _ws_session(ws) as session:
                snap = service.latest_positions(session, viewer, bbox=box)
            await ws.send_json({**snap, "event": "snapshot"})
            continue
        except TimeoutError:
            pass
        except WebSocketDisconnect:
            return
        with _ws_session(ws) as session:
            delta = service.latest_positions(session, viewer, bbox=box, since=cursor)
        if delta["features"]:
            cursor = datetime.fromisoformat(delta["cursor"])
            await ws.send_json({**delta, "event": "delta"})
