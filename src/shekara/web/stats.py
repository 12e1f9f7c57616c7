"""Incidents by border section, for the dashboard, through the sharing policy (audited).

:func:`shekara.stats.service.summary` has no breakdown by border section; this is the same kind
of policy-filtered aggregate and could move there.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.incidents.models import Incident
from shekara.places.models import Place
from shekara.policy.sharing import Viewer, visible
from shekara.records.service import require


class SectionCount(BaseModel):
    code: str
    name_en: str
    name_ru: str
    name_kk: str
    impact_level: str | None
    count: int

    def name(self, locale: str) -> str:
        return str(getattr(self, f"name_{locale}", "") or self.name_en)


def incidents_by_border_section(
    session: Session,
    viewer: Viewer | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    country: str | None = None,
    limit: int = 10,
) -> list[SectionCount]:
    """The border sections with the most visible incidents, most first."""
    v = require(viewer, Perm.read)
    conds = [visible(v, Incident), Incident.border_section_id.isnot(None)]
    if since:
        conds.append(Incident.occurred_at >= since)
    if until:
        conds.append(Incident.occurred_at < until)
    if country:
        conds.append(Incident.owner_country == country.upper())
    n = func.count(Incident.id)
    rows = session.execute(
        select(Place.code, Place.name_en, Place.name_ru, Place.name_kk, Place.impact_level, n)
        .join(Place, Place.id == Incident.border_section_id)
        .where(*conds)
        .group_by(Place.code, Place.name_en, Place.name_ru, Place.name_kk, Place.impact_level)
        .order_by(n.desc(), Place.code)
        .limit(limit)
    ).all()
    audit.record(
        session,
        v,
        "stats",
        "incidents",
        query={"since": since, "until": until, "country": country, "by": "border_section"},
    )
    return [
        SectionCount(
            code=c,
            name_en=en,
            name_ru=ru or "",
            name_kk=kk or "",
            impact_level=getattr(lvl, "value", lvl),
            count=int(k),
        )
        for c, en, ru, kk, lvl, k in rows
    ]
