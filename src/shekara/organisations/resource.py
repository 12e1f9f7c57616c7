from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shekara.core.text import name_tokens, search_key
from shekara.incidents.models import Incident, Involvement
from shekara.organisations import schemas as s
from shekara.organisations.models import Membership, Organisation
from shekara.persons.models import Person
from shekara.policy.sharing import Viewer
from shekara.records.links import linked
from shekara.records.service import ensure_visible
from shekara.records.spec import ResourceSpec


def _members(session: Session, viewer: Viewer, obj: Any, members: list[s.MemberIn]) -> None:
    for i, m in enumerate(members):
        ensure_visible(session, viewer, Person, m.person_id, f"members[{i}].person_id")
    session.execute(delete(Membership).where(Membership.organisation_id == obj.id))
    session.add_all(
        Membership(
            organisation_id=obj.id, person_id=m.person_id, role=m.role, since=m.since, until=m.until
        )
        for m in members
    )


def _build(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    obj.search_key = search_key(obj.name)
    session.add(obj)
    session.flush()
    _members(session, viewer, obj, data.members)


def _patch(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    obj.search_key = search_key(obj.name)
    if data.members is not None:
        _members(session, viewer, obj, data.members)


def _extra(session: Session, viewer: Viewer, o: Any) -> dict[str, Any]:
    mem = dict(
        session.execute(
            select(Membership.person_id, Membership.role).where(Membership.organisation_id == o.id)
        ).all()
    )
    inv = dict(
        session.execute(
            select(Involvement.incident_id, Involvement.role).where(
                Involvement.organisation_id == o.id
            )
        ).all()
    )
    return {
        "members": linked(
            session,
            viewer,
            Person,
            "persons",
            lambda p: p.display_name,
            Person.id.in_(list(mem)),
            roles=mem,
        ),
        "incidents": linked(
            session,
            viewer,
            Incident,
            "incidents",
            lambda r: r.summary,
            Incident.id.in_(list(inv)),
            roles=inv,
        ),
    }


def _text(q: str) -> Any:
    from sqlalchemy import and_

    return and_(*[Organisation.search_key.like(f"%{t}%") for t in name_tokens(q)])


ORGANISATIONS = ResourceSpec(
    name="organisations",
    title="Organisations and criminal groups",
    model=Organisation,
    create_schema=s.OrganisationCreate,
    update_schema=s.OrganisationUpdate,
    public_schema=s.OrganisationPublic,
    label=lambda r: r.name,
    filters={"kind": (str, "company, criminal_group or other", lambda v: Organisation.kind == v)},
    text_search=_text,
    build=_build,
    patch=_patch,
    extra=_extra,
    custom_fields=frozenset({"members"}),
    create_example={"name": "Group 'Sever'", "kind": "criminal_group", "distribution": "country"},
)
