"""GeoJSON for the map: incidents through the sharing policy (audited), places, the basemap.

The map's incidents are :func:`map_incidents`: the filters of
:func:`shekara.incidents.geo.incidents_geojson` (the API's ``/api/v1/incidents.geojson``, same
policy condition and same audit entry), but only the columns the map draws, serialised by the C
JSON encoder and gzip-compressed at a moderate level here (the middleware's level 9 cost more
than the query). On the demo dataset this took the page's data from ~100 ms to ~45 ms of CPU.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.incidents.models import Incident, Seizure
from shekara.policy.sharing import Viewer, visible
from shekara.records.service import require

MAX_FEATURES = 5000
DETAIL_MAX = 300  # incidents sent one by one (the list beside the map shows as many)
CELL_DEGREES = 0.5  # older incidents are counted in cells of this size
GZIP_LEVEL = 5  # ~6 ms for 500 KiB against ~55 ms at 9, for a few per cent more bytes
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


@lru_cache(maxsize=1)
def basemap_bytes() -> bytes:
    """The shipped offline basemap (country outlines), as stored."""
    return (files("shekara.refdata") / "data" / "basemap.geojson").read_bytes()


@dataclass(frozen=True)
class MapFilters:
    since: datetime | None = None
    until: datetime | None = None
    category: str | None = None
    commodity: str | None = None
    country: str | None = None


def _conditions(v: Viewer, f: MapFilters) -> list[Any]:
    conds: list[Any] = [visible(v, Incident), Incident.lat.isnot(None)]
    if f.since:
        conds.append(Incident.occurred_at >= f.since)
    if f.until:
        conds.append(Incident.occurred_at < f.until)
    if f.category:
        conds.append(Incident.category == f.category)
    if f.commodity:
        conds.append(
            Incident.id.in_(select(Seizure.incident_id).where(Seizure.commodity == f.commodity))
        )
    if f.country:
        conds.append(Incident.owner_country == f.country.upper())
    return conds


def map_incidents(
    session: Session,
    viewer: Viewer | None,
    f: MapFilters,
    limit: int = MAX_FEATURES,
    detail: int = DETAIL_MAX,
) -> bytes:
    """Visible incidents with a position, newest first, as GeoJSON bytes (audited as a list).

    The newest ``detail`` incidents are features of their own, with what the markers, their
    pop-ups and the list beside the map show (id, position, category, time, summary; the
    record's address is built from the id). Older ones, up to ``limit`` in all, are grouped
    by ``CELL_DEGREES`` cells into features with only a count and a mean position
    (``properties.count``): the map stays readable and the answer small whatever the
    filters; narrowing the dates shows each one.
    """
    v = require(viewer, Perm.read)
    conds = _conditions(v, f)
    order = (Incident.occurred_at.desc(), Incident.id.desc())
    rows = session.execute(
        select(
            Incident.id,
            Incident.owner_agency_id,
            Incident.lat,
            Incident.lon,
            Incident.category,
            Incident.occurred_at,
            Incident.summary,
        )
        .where(*conds)
        .order_by(*order)
        .limit(min(detail, limit))
    ).all()
    cells: dict[tuple[int, int], list[float]] = {}
    if len(rows) == detail and limit > detail:
        older = session.execute(
            select(Incident.lat, Incident.lon)
            .where(*conds)
            .order_by(*order)
            .offset(detail)
            .limit(limit - detail)
        ).all()
        for lat, lon in older:
            if lat is None or lon is None:
                continue
            key = (int((lon + 180) // CELL_DEGREES), int((lat + 90) // CELL_DEGREES))
            acc = cells.setdefault(key, [0.0, 0.0, 0.0])
            acc[0] += 1
            acc[1] += lat
            acc[2] += lon
    grouped = int(sum(c[0] for c in cells.values()))
    audit.record(
        session,
        v,
        "list",
        "incidents",
        query={
            "since": f.since,
            "until": f.until,
            "category": f.category,
            "commodity": f.commodity,
            "country": f.country,
            "geojson": True,
            "grouped": grouped,  # older incidents sent only as counts per cell
        },
        result_ids=[r.id for r in rows],
        owners=[r.owner_agency_id for r in rows],
    )
    cell_features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "id": f"cell-{x}-{y}",
            "geometry": {
                "type": "Point",
                "coordinates": [round(c[2] / c[0], 4), round(c[1] / c[0], 4)],
            },
            "properties": {"count": int(c[0])},
        }
        for (x, y), c in sorted(cells.items())
    ]
    features: list[dict[str, Any]] = cell_features + [  # cells first: drawn under the rest
        {
            "type": "Feature",
            "id": str(r.id),
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {
                "category": r.category,
                "occurred_at": r.occurred_at.isoformat(),
                "summary": r.summary,
            },
        }
        for r in rows
    ]
    return _encode({"type": "FeatureCollection", "features": features, "grouped": grouped}).encode()


def gzip_bytes(body: bytes) -> bytes:
    z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return z.compress(body) + z.flush()
