from __future__ import annotations

from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from shekara.core.text import identifier_key
from shekara.crossings.models import Crossing
from shekara.incidents.models import Incident, Involvement
from shekara.policy.sharing import Viewer
from shekara.records.links import candidates, linked
from shekara.records.spec import ResourceSpec
from shekara.vehicles import schemas as s
from shekara.vehicles.models import Vehicle
from shekara.vocab.service import check_term


def _build(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    check_term(session, "vehicle_kind", obj.kind, "kind")
    obj.plate_key = identifier_key(obj.plate)
    obj.vin = obj.vin.upper()
    if obj.country:
        obj.country = obj.country.upper()


def _extra(session: Session, viewer: Viewer, v: Any) -> dict[str, Any]:
    c = candidates(
        session,
        {
            "incidents": select(Involvement.incident_id, Involvement.role).where(
                Involvement.vehicle_id == v.id
            ),
            "crossings": select(Crossing.id, literal("")).where(Crossing.vehicle_id == v.id),
        },
    )
    return {
        "incidents": linked(
            session,
            viewer,
            Incident,
            "incidents",
            lambda r: r.summary,
            Incident.id.in_(list(c["incidents"])),
            roles=c["incidents"],
        ),
        "crossings": linked(
            session,
            viewer,
            Crossing,
            "crossings",
            lambda r: f"{r.direction} {r.crossed_at:%Y-%m-%d %H:%M}",
            Crossing.id.in_(list(c["crossings"])),
        ),
    }


VEHICLES = ResourceSpec(
    name="vehicles",
    title="Vehicles",
    model=Vehicle,
    create_schema=s.VehicleCreate,
    update_schema=s.VehicleUpdate,
    public_schema=s.VehiclePublic,
    label=lambda r: f"{r.plate} {r.make} {r.model}".strip(),
    filters={
        "plate": (
            str,
            "Plate in any writing (Cyrillic/Latin look-alikes, spaces)",
            lambda v: Vehicle.plate_key == identifier_key(v),
        ),
        "vin": (str, "VIN", lambda v: Vehicle.vin == v.upper()),
        "country": (str, "Registration country", lambda v: Vehicle.country == v.upper()),
        "kind": (str, "Vehicle kind", lambda v: Vehicle.kind == v),
    },
    text_search=lambda q: (
        Vehicle.plate_key.like(f"{identifier_key(q)}%") | (Vehicle.vin == q.upper())
    ),
    build=_build,
    patch=_build,
    extra=_extra,
    create_example={"plate": "123ABC02", "country": "KZ", "kind": "truck", "make": "MAN"},
)
