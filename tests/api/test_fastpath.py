"""The fast path for single-record reads answers exactly as the FastAPI route does.

A request with a query string goes through FastAPI (the fast path passes it on, and the route
ignores the unknown parameter), so each read is made twice, once each way, and the two answers
and audit entries must be the same: for every resource, for the owner, a user of the same
country, a partner, a foreign user, a hit/no-hit-only reader, a missing record, a bad token and
no token.
"""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Role
from shekara.accounts.models import ApiToken, User
from shekara.accounts.security import hash_password, token_digest
from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.api.app import create_app
from shekara.api.deps import Credentials, get_credentials
from shekara.audit.models import AuditEntry
from shekara.db.base import utcnow
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.records.registry import RESOURCES
from shekara.settings import Settings
from shekara.vocab.seed import seed_countries, seed_vocabularies
from tests.conftest import World, database_of_its_own
from tests.records.factories import create

READERS = ["kz-officer", "kz-analyst", "ru-analyst", "kg-officer", "kz-duty", None, "bad-token"]


def _headers(world: World, reader: str | None) -> dict[str, str]:
    if reader == "bad-token":
        return {"Authorization": "Bearer not-a-token"}
    return {**world.headers(reader), "X-Purpose": "shift check"}


def _entries(session: Session) -> list[tuple[Any, ...]]:
    rows = session.execute(
        select(
            AuditEntry.username,
            AuditEntry.action,
            AuditEntry.resource,
            AuditEntry.record_id,
            AuditEntry.owner_agency_id,
            AuditEntry.purpose,
            AuditEntry.ip,
        ).order_by(AuditEntry.seq)
    )
    return [tuple(r) for r in rows]


def _answer(client: TestClient, path: str, headers: dict[str, str]) -> tuple[Any, ...]:
    r = client.get(path, headers=headers)
    return (
        r.status_code,
        r.headers.get("content-type"),
        r.headers.get("www-authenticate"),
        "set-cookie" in r.headers,
        r.json(),
    )


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_fast_path_answers_and_audits_like_the_route(
    client: TestClient, world: World, session: Session, resource: str
) -> None:
    shared = create(
        client, world, "kz-officer", resource, distribution="partners", partner_countries=["RU"]
    )
    hit_only = create(client, world, "kz-officer", resource, distribution="all", hit_only=True)
    country = create(client, world, "kz-officer", resource, distribution="country")
    through_route: list[Credentials] = []

    @functools.wraps(get_credentials)  # FastAPI reads the headers it takes from the signature
    async def counted(*args: Any, **kwargs: Any) -> Credentials:
        creds = await get_credentials(*args, **kwargs)
        through_route.append(creds)
        return creds

    app: Any = client.app
    app.dependency_overrides[get_credentials] = counted
    statuses = set()
    for rid in (shared, hit_only, country, str(uuid.uuid4())):
        for reader in READERS:
            h = _headers(world, reader)
            before, routed = len(_entries(session)), len(through_route)
            fast = _answer(client, f"/api/v1/{resource}/{rid}", h)
            fast_audit = _entries(session)[before:]
            # a bearer token takes the fast path; no token goes to the route (and its 401)
            assert len(through_route) == routed + (reader is None)
            slow = _answer(client, f"/api/v1/{resource}/{rid}?via=route", h)
            assert len(through_route) == routed + 1 + (reader is None)
            slow_audit = _entries(session)[before + len(fast_audit) :]
            assert fast == slow, (resource, rid, reader)
            assert fast_audit == slow_audit, (resource, rid, reader)
            statuses.add(fast[0])
    # the comparison covered full reads, hit notices, not-found and unauthenticated answers
    assert statuses == {200, 401, 404}


def test_fast_path_leaves_other_requests_to_the_route(client: TestClient, world: World) -> None:
    rid = create(client, world, "kz-officer", "persons", distribution="country")
    h = world.headers("kz-analyst")
    # not the canonical form of an id: FastAPI validates (and names the field)
    r = client.get("/api/v1/persons/not-a-uuid", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "record_id"
    # the same id in upper case reaches the same record either way
    upper = client.get(f"/api/v1/persons/{rid.upper()}", headers=h)
    assert upper.status_code == 200 and upper.json()["id"] == rid
    # other methods go to their routes
    assert client.delete(f"/api/v1/persons/{rid}", headers=h).status_code == 403
    assert client.get(f"/api/v1/persons/{rid}", headers=h).status_code == 200
    # a path under a resource that is not a record read
    assert client.get("/api/v1/places/geojson", headers=h).status_code == 200


def test_a_read_in_its_own_session_commits_its_audit_entry(
    tmp_path: Path, settings: Settings
) -> None:
    """Without the tests' shared session: the read runs in the server's own session (on
    PostgreSQL, statement by statement, with no BEGIN or COMMIT) and its audit entry is
    committed by the time the answer arrives; a hidden record writes nothing."""
    with database_of_its_own("shekara_test_fastpath", tmp_path / "reads.db") as url:
        engine = make_engine(settings, url)
        try:
            upgrade(engine)
            tokens: dict[str, str] = {}
            with Session(engine) as s:
                seed_countries(s, ["KZ", "RU"])
                seed_vocabularies(s)
                for code, country in (("KZ-BS", "KZ"), ("RU-FSB-PS", "RU")):
                    agency = Agency(code=code, name=code, country=country, kind=AgencyKind.border)
                    s.add(agency)
                    s.flush()
                    user = User(
                        username=code.lower(),
                        display_name=code,
                        agency_id=agency.id,
                        role=Role.officer,
                        password_hash=hash_password("correct-horse-battery"),
                    )
                    s.add(user)
                    s.flush()
                    tokens[code] = f"token-{code}"
                    s.add(
                        ApiToken(
                            user_id=user.id,
                            token_hash=token_digest(tokens[code]),
                            created_at=utcnow(),
                            expires_at=utcnow() + timedelta(hours=1),
                        )
                    )
                s.commit()
            kz = {"Authorization": f"Bearer {tokens['KZ-BS']}"}
            ru = {"Authorization": f"Bearer {tokens['RU-FSB-PS']}"}
            with TestClient(create_app(settings, engine)) as c:
                r = c.post(
                    "/api/v1/persons",
                    json={"names": [{"full_name": "Нұрғалиев Ерлан"}], "distribution": "agency"},
                    headers=kz,
                )
                assert r.status_code == 201, r.text
                rid = r.json()["id"]
                statements: list[str] = []
                trace = (tmp_path / "libpq.trace").open("w")

                def seen(_conn: Any, _cur: Any, stmt: str, *_a: Any) -> None:
                    statements.append(stmt)

                def out(dbapi: Any, *_a: Any) -> None:
                    # on PostgreSQL, what goes over the wire (libpq's trace): statements run
                    # through the driver too, and the transaction state after each
                    if engine.dialect.name == "postgresql":
                        dbapi.pgconn.trace(trace.fileno())

                def back(dbapi: Any, *_a: Any) -> None:
                    if engine.dialect.name == "postgresql":
                        dbapi.pgconn.untrace()

                event.listen(engine, "before_cursor_execute", seen)
                event.listen(engine.pool, "checkout", out)
                event.listen(engine.pool, "checkin", back)
                try:
                    assert c.get(f"/api/v1/persons/{rid}", headers=kz).status_code == 200
                    assert c.get(f"/api/v1/persons/{rid}", headers=ru).status_code == 404
                finally:
                    event.remove(engine, "before_cursor_execute", seen)
                    event.remove(engine.pool, "checkout", out)
                    event.remove(engine.pool, "checkin", back)
                    trace.close()
                if engine.dialect.name == "postgresql":
                    wire = (tmp_path / "libpq.trace").read_text().splitlines()
                    sent = [w for w in wire if "\tF\t" in w and ("Parse" in w or "Query" in w)]
                    ready = [w.rsplit(None, 1)[-1] for w in wire if "ReadyForQuery" in w]
                    # the token, the record, its links, the audit entry: every statement on
                    # its own (idle after each: no transaction), no BEGIN, no COMMIT
                    assert len(ready) >= 4 and set(ready) == {"I"}, wire
                    assert not [w for w in sent if "BEGIN" in w or "COMMIT" in w], sent
                    assert any("INSERT INTO audit_log" in w for w in sent), sent
                else:
                    assert statements
            with Session(engine) as s:
                reads = s.execute(
                    select(AuditEntry.username, func.count())
                    .where(AuditEntry.action == "read")
                    .group_by(AuditEntry.username)
                ).all()
            assert reads == [("kz-bs", 1)]
        finally:
            engine.dispose()
