"""Aggregates always computed through the sharing policy, and audited like a search."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.cases.models import Case
from shekara.db.engine import get_backend
from shekara.incidents.models import Incident, Seizure
from shekara.policy.sharing import Viewer, visible
from shekara.records.service import require


class Bucket(BaseModel):
    key: str
    month: str | None = None
    count: int
    quantity: float | None = None
    unit: str | None = None


class Summary(BaseModel):
    incidents_by_category: list[Bucket]
    incidents_by_month: list[Bucket]
    seizures_by_commodity_month: list[Bucket]
    cases_by_status: list[Bucket]
    total_incidents: int


def _month(session: Session, col: Any) -> Any:
    if get_backend(session).name == "sqlite":
        return func.strftime("%Y-%m", col)
    return func.to_char(col, "YYYY-MM")


def summary(
    session: Session,
    viewer: Viewer | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    country: str | None = None,
) -> Summary:
    viewer = require(viewer, Perm.read)
    conds = [visible(viewer, Incident)]
    if since:
        conds.append(Incident.occurred_at >= since)
    if until:
        conds.append(Incident.occurred_at < until)
    if country:
        conds.append(Incident.owner_country == country.upper())
    month = _month(session, Incident.occurred_at)
    by_cat = session.execute(
        select(Incident.category, func.count())
        .where(*conds)
        .group_by(Incident.category)
        .order_by(func.count().desc())
    ).all()
    by_month = session.execute(
        select(month, func.count()).where(*conds).group_by(month).order_by(month)
    ).all()
    by_com = session.execute(
        select(
            Seizure.commodity,
            month,
            func.count(),
            func.sum(Seizure.normalised_quantity),
            Seizure.normalised_unit,
        )
        .join(Incident, Incident.id == Seizure.incident_id)
        .where(*conds)
        .group_by(Seizure.commodity, month, Seizure.normalised_unit)
        .order_by(month)
    ).all()
    by_status = session.execute(
        select(Case.status, func.count()).where(visible(viewer, Case)).group_by(Case.status)
    ).all()
    audit.record(
        session,
        viewer,
        "stats",
        "incidents",
        query={"since": since, "until": until, "country": country},
    )
    return Summary(
        incidents_by_category=[Bucket(key=k, count=n) for k, n in by_cat],
        incidents_by_month=[Bucket(key="incidents", month=m, count=n) for m, n in by_month],
        seizures_by_commodity_month=[
            Bucket(key=c, month=m, count=n, quantity=float(q or 0), unit=u)
            for c, m, n, q, u in by_com
        ],
        cases_by_status=[Bucket(key=str(getattr(s, "value", s)), count=n) for s, n in by_status],
        total_incidents=sum(n for _, n in by_cat),
    )
