from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.agencies.models import Agency
from shekara.crossings import schemas as s
from shekara.crossings.models import Crossing
from shekara.errors import ValidationFailed
from shekara.persons.models import Document, Person
from shekara.places.constants import PlaceKind
from shekara.places.models import Place
from shekara.policy.sharing import Viewer
from shekara.records.links import one_link
from shekara.records.schemas import LinkOut
from shekara.records.service import ensure_visible
from shekara.records.spec import ResourceSpec
from shekara.vehicles.models import Vehicle
from shekara.vocab.service import check_term


def _build(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    cp = session.get(Place, data.checkpoint_id)
    if cp is None or cp.kind != PlaceKind.checkpoint:
        raise ValidationFailed([{"field": "checkpoint_id", "message": "no such checkpoint"}])
    ensure_visible(session, viewer, Person, data.person_id, "person_id")
    ensure_visible(session, viewer, Vehicle, data.vehicle_id, "vehicle_id")
    ensure_visible(session, viewer, Document, data.document_id, "document_id")
    if data.person_id is None and data.vehicle_id is None:
        raise ValidationFailed([{"field": "person_id", "message": "give a person or a vehicle"}])
    check_term(session, "crossing_result", data.result, "result")
    if data.inspecting_agency:
        ag = session.execute(
            select(Agency).where(Agency.code == data.inspecting_agency)
        ).scalar_one_or_none()
        if ag is None:
            raise ValidationFailed([{"field": "inspecting_agency", "message": "unknown agency"}])
        obj.inspecting_agency_id = ag.id
    else:
        obj.inspecting_agency_id = viewer.agency_id
    served = {c.upper() for c in data.inspected_for} or {viewer.country}
    allowed = {c for c in (cp.country, cp.country2) if c}
    if not served <= allowed:
        raise ValidationFailed(
            [
                {
                    "field": "inspected_for",
                    "message": f"this checkpoint serves {sorted(allowed)} only",
                }
            ]
        )
    obj.inspected_for = sorted(served)


def _extra(session: Session, viewer: Viewer, c: Any) -> dict[str, Any]:
    cp = session.get(Place, c.checkpoint_id)
    return {
        "checkpoint": LinkOut(id=cp.id, type="places", label=cp.name_en) if cp else None,
        "person": one_link(
            session, viewer, Person, "persons", lambda p: p.display_name, c.person_id
        ),
        "vehicle": one_link(session, viewer, Vehicle, "vehicles", lambda v: v.plate, c.vehicle_id),
    }


CROSSINGS = ResourceSpec(
    name="crossings",
    title="Border crossings",
    model=Crossing,
    create_schema=s.CrossingCreate,
    update_schema=s.CrossingUpdate,
    public_schema=s.CrossingPublic,
    label=lambda r: f"{r.direction} {r.crossed_at:%Y-%m-%d %H:%M}",
    filters={
        "checkpoint_id": (str, "Checkpoint", lambda v: Crossing.checkpoint_id == _u(v)),
        "person_id": (str, "Person", lambda v: Crossing.person_id == _u(v)),
        "vehicle_id": (str, "Vehicle", lambda v: Crossing.vehicle_id == _u(v)),
        "direction": (str, "entry or exit", lambda v: Crossing.direction == v),
    },
    order_by=lambda: Crossing.crossed_at.desc(),
    build=_build,
    extra=_extra,
    custom_fields=frozenset({"inspecting_agency", "inspected_for"}),
)


def _u(v: str) -> Any:
    import uuid

    return uuid.UUID(str(v))
