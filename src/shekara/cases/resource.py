from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from shekara.cases import schemas as s
from shekara.cases.models import Case, CaseEvent, CaseIncident
from shekara.db.base import utcnow
from shekara.incidents.models import Incident
from shekara.policy.sharing import Viewer
from shekara.records.links import linked
from shekara.records.service import ensure_visible
from shekara.records.spec import ResourceSpec


def _incidents(session: Session, viewer: Viewer, obj: Any, ids: list[uuid.UUID]) -> None:
    for i, inc in enumerate(ids):
        ensure_visible(session, viewer, Incident, inc, f"incident_ids[{i}]")
    session.execute(delete(CaseIncident).where(CaseIncident.case_id == obj.id))
    session.add_all(CaseIncident(case_id=obj.id, incident_id=i) for i in dict.fromkeys(ids))


def _build(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    obj.opened_at = utcnow()
    session.add(obj)
    session.flush()
    _incidents(session, viewer, obj, data.incident_ids)
    obj.events = [
        CaseEvent(
            kind="status", to_status="opened", user_id=viewer.user_id, to_agency_id=viewer.agency_id
        )
    ]


def _patch(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    if data.incident_ids is not None:
        _incidents(session, viewer, obj, data.incident_ids)


def _summary(session: Session, viewer: Viewer, c: Any) -> dict[str, Any]:
    return {
        "events": [s.CaseEventOut.model_validate(e, from_attributes=True) for e in c.events],
    }


def _extra(session: Session, viewer: Viewer, c: Any) -> dict[str, Any]:
    return {
        "incidents": linked(
            session,
            viewer,
            Incident,
            "incidents",
            lambda r: r.summary,
            Incident.id.in_(select(CaseIncident.incident_id).where(CaseIncident.case_id == c.id)),
        ),
    }


CASES = ResourceSpec(
    name="cases",
    title="Cases",
    model=Case,
    create_schema=s.CaseCreate,
    update_schema=s.CaseUpdate,
    public_schema=s.CasePublic,
    label=lambda r: f"{r.number} {r.title}",
    filters={
        "status": (str, "Case status", lambda v: Case.status == v),
        "number": (str, "Case number", lambda v: Case.number == v),
    },
    text_search=lambda q: Case.number.ilike(f"%{q}%") | Case.title.ilike(f"%{q}%"),
    order_by=lambda: Case.opened_at.desc(),
    build=_build,
    patch=_patch,
    summary=_summary,
    extra=_extra,
    load_options=lambda: [selectinload(Case.events)],
    custom_fields=frozenset({"incident_ids"}),
    create_example={
        "number": "KZ-BS-2024-0117",
        "title": "Heroin courier, Zhaisan",
        "distribution": "country",
    },
)
