from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.errors import NotFound
from shekara.places.models import Place
from shekara.policy.sharing import Viewer
from shekara.records.service import require


class PlacePublic(BaseModel):
    id: uuid.UUID
    code: str
    kind: str
    name_en: str
    name_ru: str
    name_kk: str
    country: str | None
    country2: str | None
    lat: float | None
    lon: float | None
    precision: str
    checkpoint_kind: str | None
    impact_level: str | None


def list_places(session: Session, viewer: Viewer | None, kind: str | None,
                country: str | None, limit: int, offset: int) -> list[PlacePublic]:
    """Reference places are visible to every signed-in user."""
    if viewer is None:
        require(viewer, Perm.read)
    stmt = select(Place)
    if kind:
        stmt = stmt.where(Place.kind == kind)
    if country:
        stmt = stmt.where((Place.country == country.upper()) | (Place.country2 == country.upper()))
    rows = session.execute(stmt.order_by(Place.code).limit(limit).offset(offset)).scalars()
    return [PlacePublic.model_validate(p, from_attributes=True) for p in rows]


def get_place(session: Session, viewer: Viewer | None, place_id: uuid.UUID) -> Place:
    if viewer is None:
        require(viewer, Perm.read)
    place = session.get(Place, place_id)
    if place is None:
        raise NotFound(f"no place {place_id}")
    return place


def geojson(session: Session, viewer: Viewer | None, kind: str | None) -> dict[str, Any]:
    if viewer is None:
        require(viewer, Perm.read)
    stmt = select(Place)
    if kind:
        stmt = stmt.where(Place.kind == kind)
    features = []
    for p in session.execute(stmt).scalars():
        geom = p.geometry or (
            {"type": "Point", "coordinates": [p.lon, p.lat]} if p.lat is not None else None
        )
        if geom is None:
            continue
        props = PlacePublic.model_validate(p, from_attributes=True).model_dump(mode="json")
        features.append({"type": "Feature", "id": str(p.id), "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": features}
