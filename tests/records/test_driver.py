"""Statements of the hot paths run through PostgreSQL's driver (:mod:`shekara.db.driver`) give
the rows SQLAlchemy gives, and the viewer behind a token is the same on every path."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shekara.accounts.models import User
from shekara.accounts.service import viewer_for, viewer_for_token
from shekara.audit.models import AuditEntry
from shekara.audit.service import record as audit_record
from shekara.db.driver import pg_rows
from shekara.persons.models import Person
from shekara.policy.sharing import visible
from shekara.records.registry import RESOURCES
from shekara.records.service import create_record
from tests.conftest import USERS, WORLD, ViewerFactory

postgres_only = pytest.mark.postgres_only


def _people(session: Session, viewer: ViewerFactory) -> None:
    spec = RESOURCES["persons"]
    for owner, sharing in [
        ("kz-officer", {"distribution": "agency"}),
        ("kz-officer", {"distribution": "country"}),
        ("kz-officer", {"distribution": "partners", "partner_countries": ["RU"]}),
        ("ru-officer", {"distribution": "all"}),
        ("ru-officer", {"distribution": "all", "hit_only": True}),
        ("kg-officer", {"distribution": "agency"}),
    ]:
        data = spec.create_schema.model_validate(
            {"names": [{"full_name": "Нұрғалиев Ерлан"}], "birth_year": 1984, **sharing}
        )
        create_record(session, viewer(owner), spec, data)
    session.flush()


@postgres_only
def test_policy_statements_give_the_same_rows_through_the_driver(
    session: Session, viewer: ViewerFactory
) -> None:
    _people(session, viewer)
    conn = session.connection()
    seen = set()
    for username in USERS:
        v = viewer(username)
        stmt = select(Person.id, Person.display_name, Person.hit_only).where(
            visible(v, Person, include_hit_only=True), Person.birth_year == bindparam("year")
        )
        core = sorted(conn.execute(stmt, {"year": 1984}).all())
        driver = sorted(pg_rows(conn, stmt, {"year": 1984}))
        assert driver == [tuple(r) for r in core], username
        assert pg_rows(conn, stmt, {"year": 1985}) == []
        seen.add(len(driver))
    # the audiences differ: the comparison covered more than one answer
    assert len(seen) > 2


@postgres_only
def test_a_caller_list_parameter_is_refused(session: Session) -> None:
    stmt = select(Person.id).where(Person.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="expanding"):
        pg_rows(session.connection(), stmt, {"ids": []})


@pytest.mark.parametrize("username", sorted(USERS))
def test_the_viewer_behind_a_token_is_the_viewer_of_the_user(
    session: Session, username: str
) -> None:
    user = session.get(User, WORLD.users[username])
    assert user is not None
    by_token = viewer_for_token(session, WORLD.tokens[username], "10.0.0.1", "case 12")
    assert by_token == viewer_for(session, user, "10.0.0.1", "case 12")
    assert viewer_for_token(session, "not-a-token") is None


def test_a_read_entry_is_written_whole(session: Session, viewer: ViewerFactory) -> None:
    """The read's audit entry (through the driver on PostgreSQL) holds what the entry of any
    other action holds, with no JSON values."""
    v = viewer("kz-analyst")
    rid, owner = WORLD.users["kz-officer"], WORLD.agencies["KZ-BS"]
    audit_record(session, v, "read", "persons", record_id=rid, owners=[owner])
    e = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
    assert (e.user_id, e.username, e.agency_id, e.action, e.resource) == (
        v.user_id, "kz-analyst", v.agency_id, "read", "persons",
    )  # fmt: skip
    assert (e.record_id, e.owner_agency_id, e.ip, e.purpose) == (rid, owner, v.ip, v.purpose)
    assert (e.query, e.result_ids, e.before, e.after) == (None, None, None, None)
    assert e.at.tzinfo is not None
