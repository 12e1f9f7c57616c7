"""API behaviour users rely on: errors, validation, search across scripts, statistics, cases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shekara.persons.models import Person
from tests.conftest import World
from tests.records.factories import create


def test_validation_error_names_field_and_writes_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    before = session.execute(select(func.count()).select_from(Person)).scalar_one()
    bad = {
        "category": "drug_trafficking",
        "occurred_at": "2024-05-14T06:30:00Z",
        "summary": "x",
        "seizures": [
            {"commodity": "heroin", "quantity": "1", "unit": "kg"},
            {"commodity": "unobtainium", "quantity": "1", "unit": "kg"},
        ],
    }
    r = client.post("/api/v1/incidents", json=bad, headers=world.headers("kz-officer"))
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["field"] == "seizures[1].commodity" and "unobtainium" in err["message"]
    r = client.post(
        "/api/v1/persons", json={"names": [], "birth_month": 3}, headers=world.headers("kz-officer")
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert "names" in fields
    r = client.post(
        "/api/v1/incidents",
        json={**bad, "occurred_at": "2024-05-14T06:30:00"},
        headers=world.headers("kz-officer"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "occurred_at"
    after = session.execute(select(func.count()).select_from(Person)).scalar_one()
    assert before == after


def test_unit_and_quantity_normalised(client: TestClient, world: World) -> None:
    r = client.post(
        "/api/v1/incidents",
        json={
            "category": "drug_trafficking",
            "occurred_at": "2024-05-14T06:30:00Z",
            "summary": "x",
            "seizures": [
                {"commodity": "heroin", "quantity": "1250", "unit": "g"},
                {"commodity": "currency", "quantity": "5000", "unit": "usd"},
            ],
        },
        headers=world.headers("kz-officer"),
    )
    assert r.status_code == 201, r.text
    s = r.json()["seizures"]
    assert (s[0]["normalised_quantity"], s[0]["normalised_unit"]) == ("1.2500", "kg")
    assert s[1]["normalised_unit"] == "USD"
    r = client.post(
        "/api/v1/incidents",
        json={
            "category": "drug_trafficking",
            "occurred_at": "2024-05-14T06:30:00Z",
            "summary": "x",
            "seizures": [{"commodity": "heroin", "quantity": "3", "unit": "l"}],
        },
        headers=world.headers("kz-officer"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "seizures[0].unit"


def test_search_finds_names_in_any_script(client: TestClient, world: World) -> None:
    rid = create(client, world, "kz-officer", "persons", distribution="country")
    h = world.headers("kz-police")
    for q in ("Нургалиев", "NURGALIEV", "nurgaliyev erlan", "Ерлан Нұрғалиев"):
        hits = client.get("/api/v1/search", params={"q": q}, headers=h).json()["hits"]
        assert any(x["id"] == rid for x in hits), q
    foreign = client.get(
        "/api/v1/search", params={"q": "NURGALIEV"}, headers=world.headers("ru-analyst")
    ).json()["hits"]
    assert all(x["id"] != rid for x in foreign)


def test_search_gives_hit_notice_for_hit_only(client: TestClient, world: World) -> None:
    rid = create(client, world, "kz-officer", "persons", distribution="all", hit_only=True)
    hits = client.get(
        "/api/v1/search", params={"q": "Nurgaliev"}, headers=world.headers("ru-analyst")
    ).json()["hits"]
    mine = [x for x in hits if x["id"] == rid]
    assert mine and mine[0]["hit_only"] is True and mine[0]["label"] == ""
    assert mine[0]["owner_agency"]["code"] == "KZ-BS"


def test_statistics_never_count_invisible_records(client: TestClient, world: World) -> None:
    def total(user: str) -> int:
        r = client.get("/api/v1/stats/summary", headers=world.headers(user))
        assert r.status_code == 200, r.text
        return int(r.json()["total_incidents"])

    base_ru, base_kz = total("ru-analyst"), total("kz-police")
    create(client, world, "kz-officer", "incidents", distribution="country")
    create(client, world, "kz-officer", "incidents", distribution="all", hit_only=True)
    assert total("ru-analyst") == base_ru
    assert total("kz-police") == base_kz + 1
    geo = client.get("/api/v1/incidents.geojson", headers=world.headers("ru-analyst")).json()
    assert len(geo["features"]) == base_ru


def test_links_shown_only_when_both_ends_visible(client: TestClient, world: World) -> None:
    h = world.headers("kz-officer")
    secret = client.post(
        "/api/v1/persons", json={"names": [{"full_name": "Secret Person"}]}, headers=h
    ).json()["id"]
    shared = client.post(
        "/api/v1/persons",
        json={"names": [{"full_name": "Known Person"}], "distribution": "all"},
        headers=h,
    ).json()["id"]
    inc = client.post(
        "/api/v1/incidents",
        json={
            "category": "contraband",
            "occurred_at": "2024-01-01T00:00:00Z",
            "summary": "s",
            "distribution": "all",
            "involvements": [
                {"person_id": secret, "role": "suspect"},
                {"person_id": shared, "role": "driver"},
            ],
        },
        headers=h,
    )
    assert inc.status_code == 201, inc.text
    iid = inc.json()["id"]
    mine = client.get(f"/api/v1/incidents/{iid}", headers=h).json()
    assert {p["id"] for p in mine["persons"]} == {secret, shared}
    theirs = client.get(f"/api/v1/incidents/{iid}", headers=world.headers("ru-analyst")).json()
    assert [p["id"] for p in theirs["persons"]] == [shared]
    assert theirs["persons"][0]["role"] == "driver"


def test_cannot_link_to_a_record_one_cannot_see(client: TestClient, world: World) -> None:
    ru_person = create(client, world, "ru-officer", "persons")
    r = client.post(
        "/api/v1/incidents",
        json={
            "category": "contraband",
            "occurred_at": "2024-01-01T00:00:00Z",
            "summary": "s",
            "involvements": [{"person_id": ru_person, "role": "suspect"}],
        },
        headers=world.headers("kz-officer"),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "involvements[0].person_id"


def test_case_status_history_and_handover(client: TestClient, world: World) -> None:
    h = world.headers("kz-officer")
    cid = create(client, world, "kz-officer", "cases")
    r = client.post(f"/api/v1/cases/{cid}/status", json={"status": "sentenced"}, headers=h)
    assert r.status_code == 409
    r = client.post(f"/api/v1/cases/{cid}/status", json={"status": "investigation"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "investigation"
    r = client.post(
        f"/api/v1/cases/{cid}/handover", json={"to_agency": "KZ-POL", "note": "KNB"}, headers=h
    )
    assert r.status_code == 200, r.text
    kinds = [e["kind"] for e in r.json()["events"]]
    assert kinds == ["status", "status", "handover"]
    assert r.json()["sharing"]["owner_agency"]["code"] == "KZ-POL"
    # the former owner still reads it but no longer edits; the new owner edits
    assert client.get(f"/api/v1/cases/{cid}", headers=h).status_code == 200
    assert client.patch(f"/api/v1/cases/{cid}", json={"title": "x"}, headers=h).status_code == 403
    r = client.patch(
        f"/api/v1/cases/{cid}", json={"title": "y"}, headers=world.headers("kz-police")
    )
    assert r.status_code == 200


def test_duplicate_external_ref_is_a_conflict(client: TestClient, world: World) -> None:
    h = world.headers("kz-officer")
    body = {"kind": "report", "title": "t", "external_ref": "SRC-1"}
    assert client.post("/api/v1/sources", json=body, headers=h).status_code == 201
    r = client.post("/api/v1/sources", json=body, headers=h)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "external_ref"


def test_pagination_and_filters(client: TestClient, world: World) -> None:
    for _ in range(3):
        create(client, world, "kz-officer", "vehicles")
    h = world.headers("kz-officer")
    page = client.get("/api/v1/vehicles?limit=2", headers=h).json()
    assert len(page["items"]) == 2 and page["total"] >= 3
    r = client.get("/api/v1/vehicles", params={"plate": "123АВС02"}, headers=h).json()
    assert r["total"] >= 3  # Cyrillic look-alikes and spaces fold to the same key
    bad = client.get("/api/v1/incidents", params={"since": "yesterday"}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "since"


def test_openapi_documents_every_resource(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for name in ("persons", "documents", "vehicles", "incidents", "crossings", "cases"):
        assert f"/api/v1/{name}" in spec["paths"]
        post = spec["paths"][f"/api/v1/{name}"]["post"]
        assert post["requestBody"]


def test_administrator_adds_places_and_vocabulary(client: TestClient, world: World) -> None:
    h = world.headers("admin")
    r = client.post(
        "/api/v1/places",
        headers=h,
        json={
            "code": "kz-ru-test",
            "kind": "checkpoint",
            "name_en": "Test",
            "country": "KZ",
            "country2": "RU",
            "lat": 51.2,
            "lon": 51.4,
            "checkpoint_kind": "road",
        },
    )
    assert r.status_code == 201, r.text
    bad = client.post(
        "/api/v1/places",
        headers=h,
        json={"code": "kz-ru-bad", "kind": "checkpoint", "name_en": "Bad", "country": "KZ"},
    )
    assert bad.status_code == 422 and "country2" in bad.json()["errors"][0]["message"]
    officer = client.post(
        "/api/v1/places",
        headers=world.headers("kz-officer"),
        json={"code": "x-y", "kind": "city", "name_en": "X"},
    )
    assert officer.status_code == 403
    t = client.post(
        "/api/v1/vocabularies/commodity",
        headers=h,
        json={
            "code": "mephedrone",
            "name_en": "Mephedrone",
            "name_ru": "Мефедрон",
            "name_kk": "Мефедрон",
            "quantity_kind": "mass",
        },
    )
    assert t.status_code == 201, t.text
    inc = client.post(
        "/api/v1/incidents",
        headers=world.headers("kz-officer"),
        json={
            "category": "drug_trafficking",
            "occurred_at": "2024-01-01T00:00:00Z",
            "summary": "m",
            "seizures": [{"commodity": "mephedrone", "quantity": "2", "unit": "kg"}],
        },
    )
    assert inc.status_code == 201, inc.text
