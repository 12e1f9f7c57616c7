from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field, model_validator
from shapely.geometry import shape  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.agencies.models import Country
from shekara.audit import service as audit
from shekara.errors import Conflict, NotFound, ValidationFailed
from shekara.places.constants import CheckpointKind, ImpactLevel, PlaceKind, Precision
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


def list_places(
    session: Session,
    viewer: Viewer | None,
    kind: str | None,
    country: str | None,
    limit: int,
    offset: int,
) -> list[PlacePublic]:
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


class PlaceIn(BaseModel):
    code: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9:_.-]+$")
    kind: PlaceKind
    name_en: str = Field(min_length=1, max_length=200)
    name_ru: str = Field("", max_length=200)
    name_kk: str = Field("", max_length=200)
    country: str | None = Field(None, min_length=2, max_length=2)
    country2: str | None = Field(None, min_length=2, max_length=2)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    precision: Precision = Precision.approximate
    checkpoint_kind: CheckpointKind | None = None
    impact_level: ImpactLevel | None = None
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON geometry (border sections)")

    @model_validator(mode="after")
    def _consistent(self) -> PlaceIn:
        if self.kind == PlaceKind.checkpoint and (not self.country or not self.country2):
            raise ValueError("a checkpoint needs country and country2 (the two sides)")
        if self.kind == PlaceKind.checkpoint and self.checkpoint_kind is None:
            raise ValueError("a checkpoint needs checkpoint_kind")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        if self.geometry is not None:
            try:
                geom = shape(self.geometry)
            except Exception as e:  # shapely raises several kinds
                raise ValueError(f"geometry is not valid GeoJSON: {e}") from e
            if not geom.is_valid:
                raise ValueError("geometry is not a valid shape")
        return self


def create_place(session: Session, viewer: Viewer | None, data: PlaceIn) -> PlacePublic:
    viewer = require(viewer, Perm.admin)
    if session.execute(select(Place).where(Place.code == data.code)).first():
        raise Conflict(f"place code {data.code!r} is taken", field="code")
    values = data.model_dump()
    for key in ("country", "country2"):
        if values[key]:
            values[key] = values[key].upper()
            if session.get(Country, values[key]) is None:
                raise ValidationFailed(
                    [{"field": key, "message": f"unknown country {data.country}"}]
                )
    place = Place(**values)
    session.add(place)
    session.flush()
    audit.record(
        session, viewer, "create", "places", record_id=place.id, after=data.model_dump(mode="json")
    )
    return PlacePublic.model_validate(place, from_attributes=True)
