"""Record reads over HTTP (detail, list, search): authentication by token or web session cookie,
the purpose header, errors and the audit entry, as the handlers' single unit of work keeps them."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.audit.models import AuditEntry
from tests.conftest import World
from tests.records.factories import create
from tests.web.helpers import login


def _entries(session: Session, action: str, resource: str) -> list[AuditEntry]:
    return list(
        session.execute(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.resource == resource)
            .order_by(AuditEntry.seq)
        ).scalars()
    )


def test_detail_read_is_audited_with_purpose(
    client: TestClient, world: World, session: Session
) -> None:
    rid = create(client, world, "kz-officer", "incidents", distribution="country")
    h = {**world.headers("kz-analyst"), "X-Purpose": "case 2024/17 " + "x" * 400}
    r = client.get(f"/api/v1/incidents/{rid}", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["id"] == rid and body["type"] == "incidents" and body["editable"] is False
    assert body["seizures"][0]["commodity"] == "heroin"
    (entry,) = _entries(session, "read", "incidents")
    assert entry.username == "kz-analyst" and str(entry.record_id) == rid
    assert entry.purpose.startswith("case 2024/17 ") and len(entry.purpose) == 300
    assert entry.ip == "testclient"


def test_invisible_and_missing_records_answer_alike_and_are_not_audited(
    client: TestClient, world: World, session: Session
) -> None:
    rid = create(client, world, "kz-officer", "persons", distribution="agency")
    h = world.headers("ru-analyst")
    hidden = client.get(f"/api/v1/persons/{rid}", headers=h)
    missing = client.get(f"/api/v1/persons/{uuid.uuid4()}", headers=h)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["errors"][0]["code"] == missing.json()["errors"][0]["code"]
    assert _entries(session, "read", "persons") == []


def test_anonymous_and_bad_token_reads_are_refused(client: TestClient, world: World) -> None:
    rid = create(client, world, "kz-officer", "persons")
    for path in (f"/api/v1/persons/{rid}", "/api/v1/persons", "/api/v1/search?q=Ерлан"):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            r = client.get(path, headers=headers)
            assert r.status_code == 401, (path, r.text)
            assert r.json()["errors"][0]["code"] and r.headers["www-authenticate"] == "Bearer"


def test_invalid_input_names_the_field(client: TestClient, world: World) -> None:
    h = world.headers("kz-officer")
    r = client.get("/api/v1/persons/not-a-uuid", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "record_id"
    r = client.get("/api/v1/incidents?since=2024-01-01T00:00:00", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "since"
    r = client.get("/api/v1/persons?limit=0", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "limit"


def test_web_session_cookie_authenticates_api_reads(
    client: TestClient, world: World, session: Session
) -> None:
    rid = create(client, world, "kz-officer", "persons", distribution="country")
    login(client, "kz-analyst")
    r = client.get(f"/api/v1/persons/{rid}")
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/persons?limit=5").status_code == 200
    assert client.get("/api/v1/search?q=Ерлан").status_code == 200
    (entry,) = _entries(session, "read", "persons")
    assert entry.username == "kz-analyst"
    client.cookies.clear()
    assert client.get(f"/api/v1/persons/{rid}").status_code == 401


def test_list_and_search_are_audited(client: TestClient, world: World, session: Session) -> None:
    create(client, world, "kz-officer", "persons")
    h = {**world.headers("kz-officer"), "X-Purpose": "shift check"}
    r = client.get("/api/v1/persons?birth_year=1984&limit=5", headers=h)
    assert r.status_code == 200 and r.json()["limit"] == 5 and r.json()["items"]
    (entry,) = _entries(session, "list", "persons")
    assert entry.purpose == "shift check" and entry.query is not None
    assert entry.query["filters"] == {"birth_year": 1984}
    assert client.get("/api/v1/search?q=Ерлан", headers=h).status_code == 200
    assert any(e.purpose == "shift check" for e in _entries(session, "search", "all"))


def test_api_answers_set_no_cookie_and_compress_only_large_bodies(
    client: TestClient, world: World
) -> None:
    for _ in range(8):  # about 1.1 KB each
        create(client, world, "kz-officer", "incidents")
    h = world.headers("kz-officer")
    one = client.get("/api/v1/incidents?limit=1", headers=h)
    assert one.status_code == 200 and "set-cookie" not in one.headers
    assert "content-encoding" not in one.headers
    rid = one.json()["items"][0]["id"]
    detail = client.get(f"/api/v1/incidents/{rid}", headers=h)
    assert detail.status_code == 200 and "content-encoding" not in detail.headers
    many = client.get("/api/v1/incidents?limit=100", headers={**h, "Accept-Encoding": "gzip"})
    assert many.status_code == 200 and len(many.content) >= 8 * 1024
    assert many.headers["content-encoding"] == "gzip"
    assert many.json()["total"] >= 8
    plain = client.get("/api/v1/incidents?limit=100", headers={**h, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == many.json()


def test_incident_detail_lists_its_visible_cases(client: TestClient, world: World) -> None:
    h = world.headers("kz-officer")
    iid = create(client, world, "kz-officer", "incidents", distribution="country")
    alone = create(client, world, "kz-officer", "incidents", distribution="country")
    r = client.post(
        "/api/v1/cases",
        json={
            "number": "KZ-1",
            "title": "Courier",
            "incident_ids": [iid],
            "distribution": "agency",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    cases = client.get(f"/api/v1/incidents/{iid}", headers=h).json()["cases"]
    assert [c["id"] for c in cases] == [r.json()["id"]]
    assert client.get(f"/api/v1/incidents/{alone}", headers=h).json()["cases"] == []
    # the case is the owner agency's only: another agency of the country sees the incident only
    other = client.get(f"/api/v1/incidents/{iid}", headers=world.headers("kz-analyst")).json()
    assert other["cases"] == []
    # after a change, the answer still carries the case
    r = client.patch(f"/api/v1/incidents/{iid}", json={"summary": "changed"}, headers=h)
    assert r.status_code == 200 and [c["id"] for c in r.json()["cases"]] == [cases[0]["id"]]
