"""The HTTP endpoints: POST /api/v1/import and GET /api/v1/export/{resource}."""

from __future__ import annotations

import json

import httpx
from fastapi.testclient import TestClient
from followthemoney import model as ftm_model
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.io.conftest import audit_count, count, last_audit

MAPPING = json.dumps({"resource": "vehicles", "id_column": "id",
                      "fields": {"plate": "plate", "kind": "kind"},
                      "constants": {"distribution": "country"}})


def _post(client: TestClient, world: World, user: str | None, body: str,
          **form: str) -> httpx.Response:
    r: httpx.Response = client.post("/api/v1/import", headers=world.headers(user),
                                    files={"file": ("cars.csv", body.encode(), "text/csv")},
                                    data={"mapping": MAPPING, **form})
    return r


def test_import_endpoint(io_client: TestClient, world: World, session: Session) -> None:
    n = count(session, "vehicles")
    r = _post(io_client, world, "kz-analyst", "id,plate,kind\n1,777 AAA 01,truck\n")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == 1 and body["ok"] is True
    assert count(session, "vehicles") == n + 1


def test_import_endpoint_rejects_all_and_lists_rows(io_client: TestClient, world: World,
                                                    session: Session) -> None:
    n, a = count(session, "vehicles"), audit_count(session)
    r = _post(io_client, world, "kz-analyst",
              "id,plate,kind\n1,777 AAA 01,truck\n2,,truck\n3,1 A,spaceship\n")
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [(e["row"], e["field"], e["column"]) for e in errors] == [
        (3, "plate", "plate"), (4, "kind", "kind")]
    assert count(session, "vehicles") == n and audit_count(session) == a
    dry = _post(io_client, world, "kz-analyst", "id,plate,kind\n2,,truck\n", dry_run="true")
    assert dry.status_code == 200 and dry.json()["rejected"] == 1
    part = _post(io_client, world, "kz-analyst",
                 "id,plate,kind\n1,777 AAA 01,truck\n2,,truck\n", partial="true")
    body = part.json()
    assert part.status_code == 200 and (body["created"], body["rejected"]) == (1, 1)
    assert body["ok"] is False and body["committed"] is True
    assert count(session, "vehicles") == n + 1


def test_import_endpoint_errors(io_client: TestClient, world: World) -> None:
    assert _post(io_client, world, None, "id\n").status_code == 401
    r = _post(io_client, world, "kz-officer", "id,plate,kind\n")
    assert r.status_code == 403
    r = io_client.post("/api/v1/import", headers=world.headers("kz-analyst"),
                       files={"file": ("cars.csv", b"id,plate\n", "text/csv")},
                       data={"mapping": MAPPING})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "fields.kind"
    r = io_client.post("/api/v1/import", headers=world.headers("kz-analyst"),
                       files={"file": ("cars.csv", b"id,plate\n", "text/csv")},
                       data={"mapping": '{"resource": "cars"}'})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "resource"


def test_export_endpoint_streams_and_audits(io_client: TestClient, world: World,
                                            session: Session) -> None:
    _post(io_client, world, "kz-analyst", "id,plate,kind\n1,777 AAA 01,truck\n2,1 B,car\n")
    r = io_client.get("/api/v1/export/vehicles", params={"format": "ftm", "kind": "truck"},
                      headers=world.headers("kz-supervisor"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert 'filename="vehicles.ftm.json"' in r.headers["content-disposition"]
    entities = [ftm_model.get_proxy(json.loads(x)) for x in r.text.splitlines()]
    assert [e.first("registrationNumber") for e in entities] == ["777 AAA 01"]
    entry = last_audit(session, "export")
    assert entry.username == "kz-supervisor" and entry.query is not None
    assert entry.query["filters"] == {"kind": "truck"} and len(entry.result_ids or []) == 1
    r = io_client.get("/api/v1/export/vehicles", params={"format": "csv"},
                      headers=world.headers("ru-analyst"))
    assert r.status_code == 200 and r.text.count("\n") == 1  # header only: country records
    r = io_client.get("/api/v1/export/vehicles", params={"colour": "red"},
                      headers=world.headers("kz-supervisor"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "colour"
    r = io_client.get("/api/v1/export/vehicles", headers=world.headers("kz-officer"))
    assert r.status_code == 403
