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


SECTION_GEOMETRIES = frozenset({"LineString", "MultiLineString", "Polygon", "MultiPolygon"})


def check_geometry(value: Any, field: str = "geometry") -> dict[str, Any]:
    """A GeoJSON geometry (a Feature or a one-feature collection is unwrapped), checked with
    shapely; raises ValidationFailed naming ``field`` and saying what is wrong."""

    def fail(message: str) -> ValidationFailed:
        return ValidationFailed([{"field": field, "message": message}])

    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        features = value.get("features") or []
        if len(features) != 1:
            raise fail(f"a FeatureCollection with {len(features)} features: give exactly one")
        value = features[0]
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or "type" not in value:
        raise fail("not a GeoJSON geometry (an object with 'type' and 'coordinates')")
    if value["type"] not in SECTION_GEOMETRIES:
        allowed = ", ".join(sorted(SECTION_GEOMETRIES))
        raise fail(f"a {value['type']!r} cannot be a border section: use one of {allowed}")
    try:
        geom = shape(value)
    except Exception as e:  # shapely raises several kinds
        raise fail(f"the coordinates do not make a {value['type']}: {e}") from e
    if geom.is_empty:
        raise fail("the geometry is empty")
    if not geom.is_valid:
        from shapely.validation import explain_validity  # type: ignore[import-untyped]

        raise fail(f"the shape is not valid: {explain_validity(geom)}")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise fail("coordinates must be longitude, latitude in degrees (lon first)")
    return dict(value)


class PlaceUpdate(BaseModel):
    """What an administrator changes on a place (the code and kind stay)."""

    name_en: str | None = Field(None, min_length=1, max_length=200)
    name_ru: str | None = Field(None, max_length=200)
    name_kk: str | None = Field(None, max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    checkpoint_kind: CheckpointKind | None = None
    impact_level: ImpactLevel | None = None
    geometry: dict[str, Any] | None = None


def update_place(
    session: Session, viewer: Viewer | None, place_id: uuid.UUID, data: PlaceUpdate
) -> PlacePublic:
    """Change a place's names, position, kind of checkpoint, impact level or geometry; audited."""
    viewer = require(viewer, Perm.admin)
    place = session.get(Place, place_id)
    if place is None:
        raise NotFound(f"no place {place_id}")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name_en") is None:
        changes.pop("name_en", None)
    lat, lon = changes.get("lat", place.lat), changes.get("lon", place.lon)
    if (lat is None) != (lon is None):
        raise ValidationFailed([{"field": "lat", "message": "give both lat and lon, or neither"}])
    if changes.get("geometry") is not None:
        changes["geometry"] = check_geometry(changes["geometry"])
    if place.kind == PlaceKind.checkpoint and "checkpoint_kind" in changes:
        if changes["checkpoint_kind"] is None:
            raise ValidationFailed(
                [{"field": "checkpoint_kind", "message": "a checkpoint needs checkpoint_kind"}]
            )
    before = PlacePublic.model_validate(place, from_attributes=True).model_dump(mode="json")
    before["geometry"] = place.geometry
    for key, value in changes.items():
        setattr(place, key, value)
    session.flush()
    after = PlacePublic.model_validate(place, from_attributes=True).model_dump(mode="json")
    after["geometry"] = place.geometry
    audit.record(
        session, viewer, "update", "places", record_id=place.id, before=before, after=after
    )
    return PlacePublic.model_validate(place, from_attributes=True)
