from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, selectinload

from shekara.cases.models import Case, CaseIncident
from shekara.core.quantities import normalise
from shekara.errors import ValidationFailed
from shekara.incidents import schemas as s
from shekara.incidents.models import Incident, Involvement, Seizure
from shekara.organisations.models import Organisation
from shekara.persons.models import Person
from shekara.places.models import Place
from shekara.policy.sharing import Viewer
from shekara.records.links import linked_ids, linked_where
from shekara.records.schemas import LinkOut
from shekara.records.service import ensure_visible
from shekara.records.spec import ResourceSpec
from shekara.vehicles.models import Vehicle
from shekara.vocab.service import check_term


def _place(session: Session, place_id: uuid.UUID | None, field: str) -> Place | None:
    if place_id is None:
        return None
    place = session.get(Place, place_id)
    if place is None:
        raise ValidationFailed([{"field": field, "message": f"no such place {place_id}"}])
    return place


def _involvements(session: Session, viewer: Viewer, obj: Any, items: list[s.InvolvementIn]) -> None:
    rows = []
    for i, inv in enumerate(items):
        check_term(session, "involvement_role", inv.role, f"involvements[{i}].role")
        ensure_visible(session, viewer, Person, inv.person_id, f"involvements[{i}].person_id")
        ensure_visible(session, viewer, Vehicle, inv.vehicle_id, f"involvements[{i}].vehicle_id")
        ensure_visible(
            session, viewer, Organisation, inv.organisation_id, f"involvements[{i}].organisation_id"
        )
        rows.append(
            Involvement(
                person_id=inv.person_id,
                vehicle_id=inv.vehicle_id,
                organisation_id=inv.organisation_id,
                role=inv.role,
            )
        )
    obj.involvements = rows


def _seizures(session: Session, obj: Any, items: list[s.SeizureIn]) -> None:
    rows = []
    for i, sz in enumerate(items):
        f = f"seizures[{i}]"
        term = check_term(session, "commodity", sz.commodity, f"{f}.commodity")
        check_term(session, "concealment", sz.concealment, f"{f}.concealment")
        check_term(session, "detection", sz.detection, f"{f}.detection")
        _place(session, sz.origin_place_id, f"{f}.origin_place_id")
        _place(session, sz.destination_place_id, f"{f}.destination_place_id")
        qty, unit = normalise(sz.quantity, sz.unit, term.quantity_kind if term else None, f)
        rows.append(
            Seizure(
                **sz.model_dump(exclude={"transit_countries"}),
                transit_countries=[c.upper() for c in sz.transit_countries],
                normalised_quantity=qty,
                normalised_unit=unit,
            )
        )
    obj.seizures = rows


def _fill(session: Session, obj: Any) -> None:
    check_term(session, "threat_category", obj.category, "category")
    place = _place(session, obj.place_id, "place_id")
    _place(session, obj.border_section_id, "border_section_id")
    if place is not None and obj.lat is None and place.lat is not None:
        obj.lat, obj.lon = place.lat, place.lon


def _build(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    _fill(session, obj)
    _involvements(session, viewer, obj, data.involvements)
    _seizures(session, obj, data.seizures)


def _patch(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    _fill(session, obj)
    if data.involvements is not None:
        _involvements(session, viewer, obj, data.involvements)
    if data.seizures is not None:
        _seizures(session, obj, data.seizures)


def _summary(session: Session, viewer: Viewer, inc: Any) -> dict[str, Any]:
    place = session.get(Place, inc.place_id) if inc.place_id else None
    return {
        "place": LinkOut(id=place.id, type="places", label=place.name_en) if place else None,
        "seizures": [s.SeizureOut.model_validate(z, from_attributes=True) for z in inc.seizures],
    }


def _extra(session: Session, viewer: Viewer, inc: Any, *, in_case: bool = True) -> dict[str, Any]:
    """Links; ``in_case`` (selected with the incident on a detail read) is False when no case
    lists the incident: the usual incident then costs no case query."""
    roles_p = {i.person_id: i.role for i in inc.involvements if i.person_id}
    roles_v = {i.vehicle_id: i.role for i in inc.involvements if i.vehicle_id}
    roles_o = {i.organisation_id: i.role for i in inc.involvements if i.organisation_id}
    return {
        "persons": linked_ids(
            session, viewer, Person, "persons", lambda p: p.display_name, roles_p, roles=roles_p
        ),
        "vehicles": linked_ids(
            session, viewer, Vehicle, "vehicles", lambda v: v.plate, roles_v, roles=roles_v
        ),
        "organisations": linked_ids(
            session, viewer, Organisation, "organisations", lambda o: o.name, roles_o, roles=roles_o
        ),
        "cases": linked_where(
            session,
            viewer,
            Case,
            "cases",
            lambda c: f"{c.number} {c.title}",
            "of_incident",
            lambda: Case.id.in_(
                select(CaseIncident.case_id).where(CaseIncident.incident_id == bindparam("iid"))
            ),
            {"iid": inc.id},
        )
        if in_case
        else [],
    }


def _dt(v: str) -> datetime:
    d = datetime.fromisoformat(v)
    if d.tzinfo is None:
        raise ValueError("give a time zone, e.g. 2024-05-01T00:00:00Z")
    return d


INCIDENTS = ResourceSpec(
    name="incidents",
    title="Incidents and seizures",
    model=Incident,
    create_schema=s.IncidentCreate,
    update_schema=s.IncidentUpdate,
    public_schema=s.IncidentPublic,
    label=lambda r: r.summary,
    filters={
        "category": (str, "Threat category code", lambda v: Incident.category == v),
        "since": (
            datetime,
            "Occurred at or after (ISO 8601 with zone)",
            lambda v: Incident.occurred_at >= v,
        ),
        "until": (datetime, "Occurred before", lambda v: Incident.occurred_at < v),
        "place_id": (uuid.UUID, "Place", lambda v: Incident.place_id == v),
        "border_section_id": (
            uuid.UUID,
            "Border section",
            lambda v: Incident.border_section_id == v,
        ),
        "commodity": (
            str,
            "A seized commodity code",
            lambda v: Incident.id.in_(select(Seizure.incident_id).where(Seizure.commodity == v)),
        ),
        "owner_country": (
            str,
            "Country of the owner agency",
            lambda v: Incident.owner_country == v.upper(),
        ),
    },
    text_search=lambda q: Incident.summary.ilike(f"%{q}%") | (Incident.reference == q),
    order_by=lambda: Incident.occurred_at.desc(),
    build=_build,
    patch=_patch,
    summary=_summary,
    extra=_extra,
    load_options=lambda: [selectinload(Incident.seizures), selectinload(Incident.involvements)],
    detail_children=lambda: [Incident.seizures, Incident.involvements],
    detail_columns=lambda: {
        "in_case": exists().where(CaseIncident.incident_id == Incident.id),
    },
    custom_fields=frozenset({"involvements", "seizures"}),
    create_example={
        "category": "drug_trafficking",
        "occurred_at": "2024-05-14T06:30:00Z",
        "summary": "Heroin in a gas cylinder in the trunk of a car",
        "seizures": [
            {
                "commodity": "heroin",
                "quantity": "4.2",
                "unit": "kg",
                "concealment": "gas_cylinder",
                "detection": "dog",
            }
        ],
        "distribution": "country",
    },
)
