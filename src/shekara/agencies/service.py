from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.agencies.models import Agency, Country
from shekara.agencies.schemas import AgencyCreate, AgencyPublic, CountryPublic
from shekara.audit import service as audit
from shekara.errors import Conflict, ValidationFailed
from shekara.policy.sharing import Viewer
from shekara.records.service import require


def create_agency(session: Session, data: AgencyCreate) -> Agency:
    country = session.get(Country, data.country.upper())
    if country is None:
        raise ValidationFailed(
            [{"field": "country", "message": f"unknown country {data.country!r}"}]
        )
    if session.execute(select(Agency).where(Agency.code == data.code)).first():
        raise Conflict(f"agency code {data.code!r} is taken", field="code")
    agency = Agency(**data.model_dump(exclude={"country"}), country=country.code)
    session.add(agency)
    session.flush()
    return agency


def admin_create_agency(
    session: Session, viewer: Viewer | None, data: AgencyCreate
) -> AgencyPublic:
    viewer = require(viewer, Perm.admin)
    agency = create_agency(session, data)
    audit.record(
        session,
        viewer,
        "create",
        "agencies",
        record_id=agency.id,
        after=data.model_dump(mode="json"),
    )
    return AgencyPublic.model_validate(agency, from_attributes=True)


def list_agencies(session: Session, viewer: Viewer | None) -> list[AgencyPublic]:
    """The directory of agencies (who to contact) is visible to every signed-in user."""
    if viewer is None:
        require(viewer, Perm.read)
    rows = session.execute(select(Agency).order_by(Agency.country, Agency.code)).scalars()
    return [AgencyPublic.model_validate(a, from_attributes=True) for a in rows]


def list_countries(session: Session) -> list[CountryPublic]:
    rows = session.execute(select(Country).order_by(Country.code)).scalars()
    return [CountryPublic.model_validate(c, from_attributes=True) for c in rows]
