"""The web console with the TestClient: sign-in, CSRF, every page, the policy, languages."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.models import User
from shekara.accounts.service import viewer_for
from shekara.audit.models import AuditEntry
from shekara.places.constants import ImpactLevel, PlaceKind
from shekara.places.models import Place
from shekara.web.geo import MapFilters, map_incidents
from tests.conftest import World
from tests.records.factories import create
from tests.web.helpers import csrf, login, post

RESOURCES = [
    "persons",
    "documents",
    "phones",
    "vehicles",
    "organisations",
    "incidents",
    "crossings",
    "cases",
    "sources",
]


def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    r = client.get("/search", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/search"
    assert client.get("/login").status_code == 200


def test_login_sets_a_session_and_logout_ends_it(client: TestClient, world: World) -> None:
    login(client, "kz-officer")
    r = client.get("/search")
    assert r.status_code == 200
    assert "kz-officer" in r.text
    r = post(client, "/logout", {})
    assert r.status_code == 303
    assert client.get("/search", follow_redirects=False).status_code == 303


def test_cookie_flags(client: TestClient) -> None:
    client.get("/login")
    cookie = client.cookies.jar
    assert any(c.name == "shekara_session" for c in cookie)
    r = client.get("/login")
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_wrong_password_says_what_to_do(client: TestClient) -> None:
    token = csrf(client)
    r = client.post(
        "/login", data={"username": "kz-officer", "password": "nope", "csrf_token": token}
    )
    assert r.status_code == 401
    assert "Wrong username or password" in r.text
    assert 'value="kz-officer"' in r.text


@pytest.mark.parametrize(
    "path", ["/login", "/logout", "/lang", "/purpose", "/incidents/new", "/admin/agencies"]
)
def test_posts_without_csrf_token_are_refused(client: TestClient, path: str) -> None:
    login(client, "admin" if path.startswith("/admin") else "kz-officer")
    r = client.post(path, data={"username": "kz-officer", "lang": "ru"}, follow_redirects=False)
    assert r.status_code == 403
    assert "expired" in r.text
    r = client.post(path, data={"csrf_token": "forged", "lang": "ru"}, follow_redirects=False)
    assert r.status_code == 403


def test_idle_session_expires(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    login(client, "kz-officer")
    assert client.get("/search").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr("shekara.web.security.time.time", lambda: later)
    r = client.get("/search", follow_redirects=False)
    assert r.status_code == 303
    assert "signed out after a period without activity" in client.get(r.headers["location"]).text


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("kz-officer", "/search"),
        ("kz-officer", "/search?q=Нұр"),
        ("kz-officer", "/search?q=nur"),
        ("kz-officer", "/records/incidents"),
        ("kz-officer", "/records/persons"),
        ("kz-officer", "/incidents/new"),
        ("kz-officer", "/map"),
        ("kz-officer", "/dashboard"),
        ("kz-officer", "/map/incidents.geojson"),
        ("kz-officer", "/map/basemap.geojson"),
        ("kz-officer", "/map/places.geojson?kind=checkpoint"),
        ("kz-supervisor", "/audit"),
        ("admin", "/admin/agencies"),
        ("admin", "/admin/users"),
        ("admin", "/admin/vocabularies"),
        ("admin", "/admin/vocabularies?v=commodity"),
        ("admin", "/admin/places"),
        ("admin", "/admin/places?kind=border_section"),
        ("ru-analyst", "/dashboard?since=2024-01-01&until=2024-12-31&country=KZ"),
    ],
)
def test_each_page_renders_for_an_authorised_user(
    client: TestClient, world: World, user: str, path: str
) -> None:
    login(client, user)
    r = client.get(path)
    assert r.status_code == 200, r.text[:2000]


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("kz-officer", "/audit"),
        ("kz-officer", "/admin/users"),
        ("ru-analyst", "/incidents/new"),
        ("admin", "/search"),
    ],
)
def test_roles_without_the_permission_get_403(
    client: TestClient, world: World, user: str, path: str
) -> None:
    login(client, user)
    r = client.get(path)
    assert r.status_code == 403
    assert "Your role does not allow this" in r.text


@pytest.mark.parametrize("resource", RESOURCES)
def test_record_page_of_each_resource(client: TestClient, world: World, resource: str) -> None:
    rid = create(client, world, "kz-officer", resource, distribution="country")
    login(client, "kz-police")
    r = client.get(f"/records/{resource}/{rid}")
    assert r.status_code == 200, r.text[:2000]
    assert "Agency KZ-BS" in r.text  # owner agency
    assert "H0" in r.text and "Evaluation (4×4)" in r.text
    assert client.get(f"/records/{resource}").status_code == 200


def test_incident_page_shows_linked_records_and_seizures(client: TestClient, world: World) -> None:
    person = create(client, world, "kz-officer", "persons", distribution="country")
    payload = {
        "category": "drug_trafficking",
        "occurred_at": "2024-05-14T06:30:00Z",
        "summary": "Heroin in a gas cylinder",
        "distribution": "country",
        "seizures": [{"commodity": "heroin", "quantity": "4.2", "unit": "kg"}],
        "involvements": [{"person_id": person, "role": "courier"}],
    }
    r = client.post("/api/v1/incidents", json=payload, headers=world.headers("kz-officer"))
    assert r.status_code == 201, r.text
    login(client, "kz-officer")
    page = client.get(f"/records/incidents/{r.json()['id']}").text
    assert "Нұрғалиев Ерлан" in page and f"/records/persons/{person}" in page
    assert "Heroin" in page and "4.2" in page and "Courier" in page


def _strip(text: str, *ids: str) -> str:
    for i in ids:
        text = text.replace(i, "ID")
    return re.sub(r'name="csrf_token" value="[^"]+"', "", text)


def test_foreign_user_gets_the_same_404_as_for_a_missing_record(
    client: TestClient, world: World
) -> None:
    rid = create(client, world, "kz-officer", "incidents", distribution="country")
    login(client, "kg-officer")
    hidden = client.get(f"/records/incidents/{rid}")
    missing_id = str(uuid.uuid4())
    missing = client.get(f"/records/incidents/{missing_id}")
    assert hidden.status_code == missing.status_code == 404
    assert _strip(hidden.text, rid) == _strip(missing.text, missing_id)
    assert "Heroin" not in hidden.text
    assert client.get("/records/incidents/not-a-uuid").status_code == 404
    assert client.get("/records/nothing/" + rid).status_code == 404


def test_foreign_user_sees_the_record_nowhere(client: TestClient, world: World) -> None:
    rid = create(
        client, world, "kz-officer", "incidents", distribution="country", lat=43.2, lon=76.9
    )
    login(client, "kz-police")  # same country: sees it everywhere
    assert "Heroin in a gas cylinder" in client.get("/search?q=gas cylinder").text
    assert rid in client.get("/map/incidents.geojson").text
    assert rid in client.get("/records/incidents").text
    login(client, "kg-officer")
    assert "Heroin in a gas cylinder" not in client.get("/search?q=gas cylinder").text
    assert rid not in client.get("/map/incidents.geojson").text
    assert rid not in client.get("/records/incidents").text
    assert "Heroin" not in client.get("/dashboard").text


def test_hit_only_record_shows_a_notice_naming_the_owner(client: TestClient, world: World) -> None:
    rid = create(client, world, "kz-officer", "persons", distribution="all", hit_only=True)
    login(client, "ru-analyst")
    r = client.get("/search?q=Нұрғалиев")
    assert "The owner holds information — contact Agency KZ-BS" in r.text
    assert "Ерлан" not in r.text
    page = client.get(f"/records/persons/{rid}")
    assert page.status_code == 200
    assert "duty@kz-bs.example" in page.text and "Ерлан" not in page.text


def test_record_views_are_audited_and_listed_for_the_owner(
    client: TestClient, world: World
) -> None:
    rid = create(client, world, "kz-officer", "incidents", distribution="country")
    login(client, "kz-police")
    client.get(f"/records/incidents/{rid}")
    login(client, "kz-supervisor")
    page = client.get("/audit").text
    assert "kz-police" in page and f"/records/incidents/{rid}" in page


def test_language_switch_changes_strings(client: TestClient) -> None:
    login(client, "kz-officer")
    assert "Search" in client.get("/search").text
    r = post(client, "/lang", {"lang": "ru", "next": "/search"})
    assert r.status_code == 303 and r.headers["location"] == "/search"
    page = client.get("/search").text
    assert 'lang="ru"' in page and "Поиск" in page
    post(client, "/lang", {"lang": "kk", "next": "/search"})
    page = client.get("/search").text
    assert 'lang="kk"' in page and "Іздеу" in page


def test_dates_numbers_and_vocabulary_follow_the_language(client: TestClient, world: World) -> None:
    rid = create(client, world, "kz-officer", "incidents", distribution="country")
    login(client, "kz-officer")
    post(client, "/lang", {"lang": "ru", "next": "/"})
    page = client.get(f"/records/incidents/{rid}").text
    assert "Героин" in page and "4,2" in page and "мая 2024" in page
    assert "Незаконный оборот наркотиков" in page


def test_purpose_is_written_into_the_audit_log(client: TestClient, world: World) -> None:
    rid = create(client, world, "kz-officer", "incidents", distribution="country")
    login(client, "kz-police")
    r = post(client, "/purpose", {"purpose": "case KZ-2024-7, courier check", "next": "/search"})
    assert r.status_code == 303
    assert "case KZ-2024-7, courier check" in client.get("/search").text
    client.get(f"/records/incidents/{rid}")
    login(client, "kz-supervisor")
    assert "case KZ-2024-7, courier check" in client.get("/audit").text


def test_list_filters(client: TestClient, world: World) -> None:
    rid = create(client, world, "kz-officer", "incidents", distribution="country")
    login(client, "kz-officer")
    page = client.get(
        "/records/incidents?category=drug_trafficking&commodity=heroin"
        "&since=2024-05-01&until=2024-06-01"
    ).text
    assert rid in page and '<option value="drug_trafficking" selected>' in page
    assert rid not in client.get("/records/incidents?category=weapons").text
    assert "Check this filter: since" in client.get("/records/incidents?since=May").text


def test_csrf_token_is_masked_per_page_and_bound_to_the_session(client: TestClient) -> None:
    login(client, "kz-officer")
    first, second = csrf(client, "/search"), csrf(client, "/search")
    assert first != second  # nothing constant for a compression side channel to find
    for token in (first, second):
        r = client.post(
            "/lang", data={"lang": "en", "next": "/", "csrf_token": token}, follow_redirects=False
        )
        assert r.status_code == 303
    login(client, "kz-police")  # a new session: the old tokens are worthless
    r = client.post(
        "/lang", data={"lang": "en", "next": "/", "csrf_token": first}, follow_redirects=False
    )
    assert r.status_code == 403


def test_dashboard_counts_incidents_by_border_section(
    client: TestClient, world: World, session: Session
) -> None:
    section = Place(
        code="kz-ru-test-section",
        kind=PlaceKind.border_section,
        name_en="Test section",
        name_ru="Тестовый участок",
        country="KZ",
        country2="RU",
        impact_level=ImpactLevel.high,
    )
    session.add(section)
    session.flush()
    payload = {
        "category": "drug_trafficking",
        "occurred_at": "2024-05-14T06:30:00Z",
        "summary": "At the green border",
        "distribution": "country",
        "border_section_id": str(section.id),
    }
    r = client.post("/api/v1/incidents", json=payload, headers=world.headers("kz-officer"))
    assert r.status_code == 201, r.text
    login(client, "kz-police")
    post(client, "/lang", {"lang": "ru", "next": "/"})
    page = client.get("/dashboard").text
    assert "Тестовый участок" in page and "Происшествия по участкам границы" in page
    login(client, "kg-officer")
    assert "Test section" not in client.get("/dashboard").text


def test_map_data_is_the_apis_query(client: TestClient, world: World) -> None:
    old = create(
        client, world, "kz-officer", "incidents", distribution="country", lat=43.2, lon=76.9
    )
    new = create(
        client,
        world,
        "kz-officer",
        "incidents",
        distribution="country",
        lat=43.3,
        lon=77.0,
        occurred_at="2025-08-01T10:00:00Z",
        summary="Newest",
    )
    login(client, "kz-police")
    r = client.get("/map/incidents.geojson")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    mine = {f["id"]: f for f in r.json()["features"]}
    api = client.get("/api/v1/incidents.geojson", headers=world.headers("kz-police")).json()
    assert set(mine) == {f["id"] for f in api["features"]}  # the same visible incidents
    assert mine[new]["properties"]["summary"] == "Newest"
    assert mine[new]["geometry"]["coordinates"] == [77.0, 43.3]
    assert mine[old]["properties"]["occurred_at"].startswith("2024-05-14T06:30")
    filtered = client.get("/map/incidents.geojson?since=2025-01-01").json()["features"]
    assert {f["id"] for f in filtered} >= {new} and old not in {f["id"] for f in filtered}
    assert 'name="since" type="date" value="2024-01-01"' in client.get("/map?since=2024-01-01").text
    login(client, "kg-officer")
    assert new not in client.get("/map/incidents.geojson").text


def test_map_groups_older_incidents_by_cell_and_audits_the_rest(
    client: TestClient, world: World, session: Session
) -> None:
    ids = [
        create(
            client,
            world,
            "kz-officer",
            "incidents",
            distribution="country",
            lat=43.2 + i / 100,
            lon=76.9,
            occurred_at=f"2024-05-1{i}T06:30:00Z",
        )
        for i in range(4)
    ]
    user = session.execute(select(User).where(User.username == "kz-police")).scalar_one()
    body = json.loads(map_incidents(session, viewer_for(session, user), MapFilters(), detail=2))
    singles = [f for f in body["features"] if "count" not in f["properties"]]
    cells = [f for f in body["features"] if "count" in f["properties"]]
    assert [f["id"] for f in singles] == [ids[3], ids[2]]  # the newest, one by one
    assert sum(c["properties"]["count"] for c in cells) == body["grouped"] >= 2
    assert all(set(c["properties"]) == {"count"} for c in cells)  # no ids, no summaries
    entry = (
        session.execute(
            select(AuditEntry)
            .where(AuditEntry.username == "kz-police")
            .order_by(AuditEntry.seq.desc())
        )
        .scalars()
        .first()
    )
    assert entry is not None and entry.query is not None
    assert entry.query["grouped"] == body["grouped"]
    assert set(entry.result_ids or []) == {str(uuid.UUID(i)) for i in ids[2:]}
