"""Reference places from ``shekara.refdata``: checkpoints, cities, regions and border sections.

Loaded into the ``places`` table idempotently (rows whose code exists are left alone). Place ids
are UUID5 of the code, so the same place has the same id in every deployment that loads it.
Codes: checkpoints and regions keep their reference id (``kurmangazy``, ``kz-aktobe``), cities
their GeoNames id (``gn-1526384``), border sections get a ``bs-`` prefix (``bs-kz-ru-all``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from importlib.resources import files
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from shekara.agencies.models import Country
from shekara.db.base import utcnow
from shekara.places.constants import CheckpointKind, ImpactLevel, PlaceKind, Precision
from shekara.places.models import Place

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
    path = files("shekara.refdata") / "data" / name
    try:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    return data


def _names(row: dict[str, Any]) -> tuple[str, str, str]:
    names = row.get("names") or {}
    en = str(names.get("en") or row.get("id"))
    return en[:200], str(names.get("ru") or "")[:200], str(names.get("kk") or "")[:200]


def _base(code: str, kind: PlaceKind, row: dict[str, Any]) -> dict[str, Any]:
    en, ru, kk = _names(row)
    now = utcnow()
    return {
        "id": place_id(code), "code": code, "kind": kind, "name_en": en, "name_ru": ru,
        "name_kk": kk, "country": row.get("country"), "country2": None,
        "lat": row.get("lat"), "lon": row.get("lon"),
        "precision": _PRECISION.get(str(row.get("precision")), Precision.approximate),
        "checkpoint_kind": None, "impact_level": None, "geometry": None, "parent_id": None,
        "population": row.get("population"), "created_at": now, "updated_at": now,
    }


def region_rows() -> Iterator[dict[str, Any]]:
    for r in (read_refdata("regions.json") or {}).get("regions", []):
        yield _base(r["id"], PlaceKind.region, r)


def city_rows(region_codes: set[str]) -> Iterator[dict[str, Any]]:
    for c in (read_refdata("cities.json") or {}).get("cities", []):
        row = _base(c["id"], PlaceKind.city, c)
        if c.get("region") in region_codes:
            row["parent_id"] = place_id(c["region"])
        yield row


def checkpoint_rows() -> Iterator[dict[str, Any]]:
    for c in (read_refdata("checkpoints.json") or {}).get("checkpoints", []):
        row = _base(c["id"], PlaceKind.checkpoint, c)
        others = [x for x in c.get("countries", []) if x != c["country"]]
        row["country2"] = others[0] if others else None
        kind = c.get("kind")
        row["checkpoint_kind"] = kind if kind in _CHECKPOINT_KINDS else CheckpointKind.road
        yield row


def section_geometry(lines: list[list[list[float]]]) -> dict[str, Any]:
    """GeoJSON (lon, lat order) of a border section given as polylines of [lat, lon]."""
    coords = [[[lon, lat] for lat, lon in line] for line in lines]
    if len(coords) == 1:
        return {"type": "LineString", "coordinates": coords[0]}
    return {"type": "MultiLineString", "coordinates": coords}


def border_section_rows() -> Iterator[dict[str, Any]]:
    for s in (read_refdata("border_sections.json") or {}).get("sections", []):
        code = f"bs-{s['id']}"
        countries = list(s.get("countries") or [])
        row = _base(code, PlaceKind.border_section, {**s, "country": None})
        row["country"] = countries[0] if countries else None
        row["country2"] = countries[1] if len(countries) > 1 else None
        lines = s.get("lines") or []
        if lines:
            row["geometry"] = section_geometry(lines)
            longest = max(lines, key=len)
            row["lat"], row["lon"] = longest[len(longest) // 2]
        level = s.get("impact_level")
        row["impact_level"] = level if level in _IMPACT else None
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
