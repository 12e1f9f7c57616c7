"""Reference places from ``shekara.refdata`` (through its typed loaders): checkpoints, cities,
regions and border sections.

Loaded into the ``places`` table idempotently (rows whose code exists are left alone). Place ids
are UUID5 of the code, so the same place has the same id in every deployment that loads it.
Codes: checkpoints and regions keep their reference id (``kurmangazy``, ``kz-aktobe``), cities
their GeoNames id (``gn-1526384``), border sections get a ``bs-`` prefix (``bs-kz-ru-all``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from shekara.agencies.models import Country
from shekara.db.base import utcnow
from shekara.places.constants import CheckpointKind, ImpactLevel, PlaceKind, Precision
from shekara.places.models import Place
from shekara.refdata import loaders as refdata

PLACE_NAMESPACE = uuid.UUID("6b1f4a52-5d0c-4c53-9a57-53484b415241")
_PRECISION = {"exact": Precision.exact, "approximate": Precision.approximate,
              "settlement": Precision.settlement, "rough": Precision.approximate}
_CHECKPOINT_KINDS = {k.value for k in CheckpointKind}
_IMPACT = {k.value for k in ImpactLevel}
PLACES = cast(Table, Place.__table__)


def place_id(code: str) -> uuid.UUID:
    """The stable id of a reference place."""
    return uuid.uuid5(PLACE_NAMESPACE, code)


def read_refdata(name: str) -> dict[str, Any] | None:
    """One JSON file of ``shekara/refdata/data``, or None when it is not there."""
    try:
        data: dict[str, Any] = refdata.read_json(name)
    except FileNotFoundError:
        return None
    return data


def _base(code: str, kind: PlaceKind, names: refdata.Names, country: str | None,
          lat: float | None, lon: float | None, precision: str,
          population: int | None = None) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": place_id(code), "code": code, "kind": kind, "name_en": names.en[:200],
        "name_ru": names.ru[:200], "name_kk": names.kk[:200], "country": country,
        "country2": None, "lat": lat, "lon": lon,
        "precision": _PRECISION.get(precision, Precision.approximate),
        "checkpoint_kind": None, "impact_level": None, "geometry": None, "parent_id": None,
        "population": population, "created_at": now, "updated_at": now,
    }


def region_rows() -> Iterator[dict[str, Any]]:
    for r in refdata.load_regions():
        yield _base(r.id, PlaceKind.region, r.names, r.country, r.lat, r.lon, r.precision)


def city_rows(region_codes: set[str]) -> Iterator[dict[str, Any]]:
    for c in refdata.load_cities():
        row = _base(c.id, PlaceKind.city, c.names, c.country, c.lat, c.lon, c.precision,
                    c.population)
        if c.region in region_codes:
            row["parent_id"] = place_id(c.region)
        yield row


def checkpoint_rows() -> Iterator[dict[str, Any]]:
    for c in refdata.load_checkpoints():
        row = _base(c.id, PlaceKind.checkpoint, c.names, c.country, c.lat, c.lon, c.precision)
        others = [x for x in c.countries if x != c.country]
        row["country2"] = others[0] if others else None
        row["checkpoint_kind"] = c.kind if c.kind in _CHECKPOINT_KINDS else CheckpointKind.road
        yield row


def section_geometry(lines: Sequence[Sequence[Sequence[float]]]) -> dict[str, Any]:
    """GeoJSON (lon, lat order) of a border section given as polylines of [lat, lon]."""
    coords = [[[lon, lat] for lat, lon in line] for line in lines]
    if len(coords) == 1:
        return {"type": "LineString", "coordinates": coords[0]}
    return {"type": "MultiLineString", "coordinates": coords}


def border_section_rows() -> Iterator[dict[str, Any]]:
    for s in refdata.load_border_sections():
        code = f"bs-{s.id}"
        row = _base(code, PlaceKind.border_section, s.names, s.countries[0], None, None,
                    s.precision)
        row["country2"] = s.countries[1]
        if s.lines:
            row["geometry"] = section_geometry(s.lines)
            longest = max(s.lines, key=len)
            row["lat"], row["lon"] = longest[len(longest) // 2]
        row["impact_level"] = s.impact_level if s.impact_level in _IMPACT else None
        yield row


def load_places(session: Session, batch: int = 2000) -> int:
    """Insert the reference places that are missing; returns how many were added."""
    existing = set(session.execute(select(Place.code)).scalars())
    countries = set(session.execute(select(Country.code)).scalars())
    regions = list(region_rows())
    region_codes = {r["code"] for r in regions}
    rows: list[dict[str, Any]] = []
    added = 0
    # Regions first: cities point to them.
    for source in (regions, checkpoint_rows(), border_section_rows(), city_rows(region_codes)):
        for row in source:
            if row["code"] in existing:
                continue
            if row["country"] is not None and row["country"] not in countries:
                continue
            if row["country2"] is not None and row["country2"] not in countries:
                row["country2"] = None
            existing.add(row["code"])
            rows.append(row)
            if len(rows) >= batch:
                session.execute(insert(PLACES), rows)
                added += len(rows)
                rows = []
        if rows:
            session.execute(insert(PLACES), rows)
            added += len(rows)
            rows = []
    return added
