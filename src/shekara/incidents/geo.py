"""Incidents as GeoJSON, through the sharing policy and audited like a list.

One query for ``/api/v1/incidents.geojson`` and the console's map, so both answer the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.incidents.models import Incident, Seizure
from shekara.policy.sharing import Viewer, visible
from shekara.records.service import require

MAX_FEATURES = 5000


def incidents_geojson(
    session: Session,
    viewer: Viewer | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
    commodity: str | None = None,
    country: str | None = None,
    limit: int = MAX_FEATURES,
) -> dict[str, Any]:
    """Visible incidents with a position, newest first, as a FeatureCollection (audited)."""
    v = require(viewer, Perm.read)
    conds = [visible(v, Incident), Incident.lat.isnot(None)]
    if since:
        conds.append(Incident.occurred_at >= since)
    if until:
        conds.append(Incident.occurred_at < until)
    if category:
        conds.append(Incident.category == category)
    if commodity:
        conds.append(
            Incident.id.in_(select(Seizure.incident_id).where(Seizure.commodity == commodity))
        )
    if country:
        conds.append(Incident.owner_country == country.upper())
    rows = session.execute(
        select(
            Incident.id,
            Incident.owner_agency_id,
            Incident.lat,
            Incident.lon,
            Incident.category,
            Incident.occurred_at,
            Incident.summary,
            Incident.owner_country,
        )
        .where(*conds)
        .order_by(Incident.occurred_at.desc())
        .limit(limit)
    ).all()
    audit.record(
        session,
        v,
        "list",
        "incidents",
        query={
            "since": since,
            "until": until,
            "category": category,
            "commodity": commodity,
            "country": country,
            "geojson": True,
        },
        result_ids=[r.id for r in rows],
        owners=[r.owner_agency_id for r in rows],
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": str(r.id),
                "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                "properties": {
                    "category": r.category,
                    "occurred_at": r.occurred_at.isoformat(),
                    "summary": r.summary,
                    "owner_country": r.owner_country,
                    "url": f"/records/incidents/{r.id}",
                },
            }
            for r in rows
        ],
    }
