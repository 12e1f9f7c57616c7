"""The live tracking map: objects, alerts to handle, object details and track replay.

Thin handlers over :mod:`shekara.tracking.service` and :mod:`shekara.tracking.live`; the socket
``/tracking/live`` is authenticated by the web session and filtered by the same sharing policy.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, WebSocket
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.api.deps import SessionDep, SettingsDep
from shekara.errors import AppError, NotFound, ValidationFailed
from shekara.policy.sharing import Viewer
from shekara.records.service import require
from shekara.tracking import live, service
from shekara.tracking.schemas import AlertAssign, AlertClose
from shekara.web.i18n import N_
from shekara.web.rendering import render
from shekara.web.security import CheckedForm, SignedIn, locale_of

router = APIRouter(prefix="/tracking")

ALERT_KINDS = {
    "corridor_exit": N_("Left the corridor"),
    "unauthorised_stop": N_("Stop outside the allowed places"),
    "signal_lost": N_("Signal lost"),
    "tamper": N_("Tampering"),
    "seal_broken": N_("Seal broken"),
    "seal_alarm": N_("Seal alarm"),
    "battery_low": N_("Battery low"),
    "power_cut": N_("Power cut"),
    "border_strip": N_("In the border strip away from a checkpoint"),
    "sector_exit": N_("Left the assigned sector"),
    "sos": N_("SOS"),
    "gnss_fault": N_("Satellite positioning fault (jamming?)"),
}
SEVERITIES = {"info": N_("Information"), "warning": N_("Warning"), "critical": N_("Critical")}
ALERT_STATUSES = {
    "open": N_("Open"),
    "acknowledged": N_("Acknowledged"),
    "assigned": N_("Assigned"),
    "closed": N_("Closed"),
}
DEVICE_KINDS = {
    "tracker": N_("Truck tracker"),
    "seal": N_("Electronic seal"),
    "patrol": N_("Patrol"),
    "uav": N_("UAV"),
}
OBJECT_STATUSES = {
    "alert": N_("Alert"),
    "silent": N_("Silent"),
    "moving": N_("Moving"),
    "stopped": N_("Stopped"),
}
ACTIONS = ("acknowledge", "assign", "close")


GREEN_REASONS = {
    "no fix received during the trip": N_("No fix was received during the trip."),
    "screening stopped the vehicle": N_("Screening stopped the vehicle."),
}


def green_reasons(reasons: list[str], gettext: Any) -> list[str]:
    """The rules' reasons (English) in the user's language."""
    out = []
    for r in reasons:
        if r in GREEN_REASONS:
            out.append(gettext(GREEN_REASONS[r]))
        elif r.startswith("open alerts: "):
            kinds = [gettext(ALERT_KINDS.get(k, k)) for k in r[13:].split(", ")]
            out.append(gettext(N_("Open alerts: %(kinds)s"), kinds=", ".join(kinds)))
        elif r.startswith("tracker silent for "):
            nums = [int(x) for x in r.replace("(", " ").split() if x.isdigit()]
            if len(nums) == 2:
                out.append(
                    gettext(
                        N_("The tracker was silent for %(gap)s s (the limit is %(limit)s s)."),
                        gap=nums[0],
                        limit=nums[1],
                    )
                )
            else:
                out.append(r)
        else:
            out.append(r)
    return out


def _labels() -> dict[str, Any]:
    return {
        "green_reasons": green_reasons,
        "kinds": ALERT_KINDS,
        "severities": SEVERITIES,
        "statuses": ALERT_STATUSES,
        "device_kinds": DEVICE_KINDS,
        "object_statuses": OBJECT_STATUSES,
    }


def _alerts_context(session: Session, viewer: Viewer) -> dict[str, Any]:
    alerts, total = service.list_alerts(session, viewer, status="active", limit=100)
    ids = {a.device_id for a in alerts}
    devices = live.device_labels(session, viewer, ids) if ids else {}
    return {
        "alerts": alerts,
        "alerts_total": total,
        "alert_devices": devices,
        "can_handle": viewer.role in service.ALERT_HANDLERS,
        "users": live.assignable_users(session, viewer),
        **_labels(),
    }


@router.get("")
def tracking_page(
    request: Request, session: SessionDep, viewer: SignedIn, settings: SettingsDep
) -> Response:
    v = require(viewer, Perm.read)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return render(
        request,
        "tracking/page.html",
        {
            **_alerts_context(session, v),
            "tile_url": settings.tile_url,
            "replay_start": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "replay_end": (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
            "errors": {},
            "failed_alert": None,
        },
        viewer=v,
        session=session,
    )


@router.websocket("/live")
async def live_socket(ws: WebSocket) -> None:
    """Live positions and alerts of the viewport (see :mod:`shekara.tracking.live`)."""
    state = ws.app.state
    await live.serve(
        ws,
        getattr(state, "live_interval_s", live.DEFAULT_INTERVAL_S),
        getattr(state, "live_refresh_s", live.REFRESH_S),
    )


@router.get("/alerts")
def alerts_panel(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    """The open alerts (the page's side panel, re-read when the socket reports a change)."""
    v = require(viewer, Perm.read)
    return render(
        request,
        "tracking/alerts.html",
        {**_alerts_context(session, v), "errors": {}, "failed_alert": None},
        viewer=v,
        session=session,
    )


@router.post("/alerts/{alert_id}/{action}")
def handle_alert(
    request: Request,
    alert_id: uuid.UUID,
    action: str,
    form: CheckedForm,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    """Acknowledge, assign or close (with a note) an alert; the answer is the panel again."""
    v = require(viewer, Perm.read)
    if action not in ACTIONS:
        raise NotFound("no such action")
    errors: dict[str, str] = {}
    try:
        if action == "acknowledge":
            service.acknowledge_alert(session, v, alert_id)
        elif action == "assign":
            try:
                data = AlertAssign.model_validate(
                    {"assignee_id": str(form.get("assignee_id") or "")}
                )
            except ValidationError as e:
                raise ValidationFailed(
                    [{"field": "assignee_id", "message": "choose a user of your agency"}]
                ) from e
            service.assign_alert(session, v, alert_id, data)
        elif action == "close":
            try:
                note = AlertClose(note=str(form.get("note") or "").strip())
            except ValidationError as e:
                raise ValidationFailed(
                    [{"field": "note", "message": "write what was done (1 to 2,000 characters)"}]
                ) from e
            service.close_alert(session, v, alert_id, note)
    except ValidationFailed as e:
        session.rollback()
        errors = {
            str(err.get("field", "")): _field_message(err.get("field", "")) for err in e.errors
        }
    fragment = request.headers.get("x-requested-with") == "fetch"
    if not errors and not fragment:
        return RedirectResponse("/tracking", status_code=303)
    context = {
        **_alerts_context(session, v),
        "errors": errors,
        "failed_alert": str(alert_id) if errors else None,
    }
    status = 422 if errors else 200
    if fragment:
        return render(
            request, "tracking/alerts.html", context, viewer=v, session=session, status_code=status
        )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    context.update(
        tile_url=request.app.state.settings.tile_url,
        replay_start=(now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        replay_end=(now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
    )
    return render(
        request, "tracking/page.html", context, viewer=v, session=session, status_code=status
    )


def _field_message(field: str) -> str:
    if field == "note":
        return N_("Write what was done before closing the alert.")
    if field == "assignee_id":
        return N_("Choose a user of your agency.")
    return N_("The request could not be handled.")


@router.get("/objects/{device_id}")
def object_panel(
    request: Request, device_id: uuid.UUID, session: SessionDep, viewer: SignedIn
) -> Response:
    """One object's details: device, vehicle and trip, last fix, status, green corridor."""
    v = require(viewer, Perm.read)
    details = live.object_details(session, v, device_id, locale_of(request))
    return render(
        request,
        "tracking/object.html",
        {**details, **_labels()},
        viewer=v,
        session=session,
    )


@router.get("/objects/{device_id}/track")
def object_track(
    device_id: uuid.UUID,
    session: SessionDep,
    viewer: SignedIn,
    start: Annotated[datetime | None, Query()] = None,
    end: Annotated[datetime | None, Query()] = None,
) -> Any:
    """The stored fixes of one object for replay (invalid and black-box ones marked)."""
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end is not None and end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    if start is not None and end is not None and start > end:
        return JSONResponse(
            {"errors": [{"field": "start", "message": "the start must be before the end"}]},
            status_code=422,
        )
    try:
        body = service.track(session, viewer, device_id, start=start, end=end, limit=20_000)
    except AppError as e:
        return JSONResponse(e.to_dict(), status_code=e.status)
    return JSONResponse(body)
