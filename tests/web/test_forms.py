"""The incident form and the administration forms: saving, live validation, kept input."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from tests.conftest import World
from tests.records.factories import create
from tests.web.helpers import csrf, login

GOOD = {
    "category": "drug_trafficking",
    "occurred_at": "2024-05-14T06:30",
    "summary": "Hashish in tyres",
    "distribution": "country",
    "handling_code": "H1",
    "source_reliability": "B",
    "info_credibility": "2",
    "seizures[0].commodity": "hashish",
    "seizures[0].quantity": "12.5",
    "seizures[0].unit": "kg",
    "seizures[0].concealment": "",
    "involvements[0].role": "suspect",
}


def _post(client: TestClient, path: str, data: dict[str, str]) -> httpx.Response:
    r: httpx.Response = client.post(
        path, data={**data, "csrf_token": csrf(client, "/incidents/new")}, follow_redirects=False
    )
    return r


def test_record_an_incident_with_seizure_and_person(client: TestClient, world: World) -> None:
    person = create(client, world, "kz-officer", "persons", distribution="country")
    login(client, "kz-officer")
    data = {
        **GOOD,
        "involvements[0].person_id": person,
        "involvements[0].role": "courier",
        "involvements[0].person_label": "Нұрғалиев Ерлан",
    }
    r = _post(client, "/incidents/new", data)
    assert r.status_code == 303, r.text[:3000]
    page = client.get(r.headers["location"]).text
    assert "Hashish in tyres" in page and "12.5" in page and "Нұрғалиев Ерлан" in page
    assert "H1" in page and "B2" in page
    rid = r.headers["location"].rsplit("/", 1)[1]
    api = client.get(f"/api/v1/incidents/{rid}", headers=world.headers("kz-officer")).json()
    assert api["seizures"][0]["normalised_quantity"] == "12.5000"
    assert api["persons"][0]["role"] == "courier"
    assert api["occurred_at"].startswith("2024-05-14T06:30")


def test_invalid_form_keeps_input_and_says_what_to_do(client: TestClient, world: World) -> None:
    login(client, "kz-officer")
    data = {**GOOD, "summary": "", "seizures[0].quantity": "twelve"}
    r = _post(client, "/incidents/new", data)
    assert r.status_code == 422
    text = r.text
    assert "Fill this in." in text and "Enter a number, for example 12.5." in text
    assert 'value="twelve"' in text and 'value="2024-05-14T06:30"' in text
    assert re.search(r'<option value="hashish" selected>', text)
    # The summary at the top lists both problems, each a link to its field.
    assert "2 things to fix before saving:" in text
    assert 'href="#f-summary"' in text


def test_service_errors_are_shown_on_the_field(client: TestClient, world: World) -> None:
    login(client, "kz-officer")
    r = _post(client, "/incidents/new", {**GOOD, "seizures[0].commodity": "unobtainium"})
    assert r.status_code == 422
    assert "Choose one of the listed values." in r.text
    hidden = create(client, world, "kg-officer", "persons")  # KG agency only
    r = _post(client, "/incidents/new", {**GOOD, "involvements[0].person_id": hidden})
    assert "this one does not exist or you may not see it" in r.text


def test_live_validation_returns_messages_per_field_and_saves_nothing(
    client: TestClient, world: World
) -> None:
    login(client, "kz-officer")
    before = client.get("/api/v1/incidents", headers=world.headers("kz-officer")).json()["total"]
    r = _post(client, "/incidents/new/validate", {**GOOD, "summary": ""})
    assert r.status_code == 200
    assert 'id="err-summary"' in r.text and "Fill this in." in r.text
    assert 'hx-swap-oob="true"' in r.text
    ok = _post(client, "/incidents/new/validate", GOOD)
    assert "Everything looks right" in ok.text
    after = client.get("/api/v1/incidents", headers=world.headers("kz-officer")).json()["total"]
    assert after == before


def test_rows_are_added_and_removed_without_losing_input(client: TestClient, world: World) -> None:
    login(client, "kz-officer")
    r = _post(client, "/incidents/new", {**GOOD, "action": "add_seizure"})
    text = r.text
    assert r.status_code == 200 and 'name="seizures[1].commodity"' in text
    assert 'value="Hashish in tyres"' in text
    r = _post(
        client,
        "/incidents/new",
        {**GOOD, "seizures[1].quantity": "3", "action": "remove_seizure:0"},
    )
    assert 'name="seizures[0].quantity" type="text" value="3"' in r.text


def test_person_picker_lists_only_visible_persons(client: TestClient, world: World) -> None:
    create(client, world, "kz-officer", "persons", distribution="country")
    login(client, "kz-police")
    r = client.get("/incidents/new/persons", params={"involvements[0].person_q": "nurgal"})
    assert "Нұрғалиев Ерлан" in r.text
    login(client, "kg-officer")
    r = client.get("/incidents/new/persons", params={"involvements[0].person_q": "nurgal"})
    assert "Нұрғалиев" not in r.text and "nobody found" in r.text


def test_admin_adds_agency_user_and_term(client: TestClient, world: World) -> None:
    login(client, "admin")
    token = csrf(client, "/admin/agencies")
    r = client.post(
        "/admin/agencies",
        data={
            "csrf_token": token,
            "code": "UZ-CUS",
            "name": "Customs of Uzbekistan",
            "country": "UZ",
            "kind": "customs",
            "contact": "duty@uz-cus.example",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:2000]
    assert "UZ-CUS" in client.get("/admin/agencies").text
    r = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "uz-officer",
            "agency": "UZ-CUS",
            "role": "officer",
            "password": "short",
            "locale": "ru",
        },
        follow_redirects=False,
    )
    assert r.status_code == 422 and 'value="uz-officer"' in r.text
    r = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "uz-officer",
            "agency": "UZ-CUS",
            "role": "officer",
            "password": "a-long-enough-password",
            "locale": "ru",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        "/admin/vocabularies/commodity",
        data={
            "csrf_token": token,
            "code": "saiga_horn",
            "name_en": "Saiga horn",
            "name_ru": "Рог сайги",
            "name_kk": "Ақбөкен мүйізі",
            "quantity_kind": "count",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Ақбөкен мүйізі" in client.get("/admin/vocabularies?v=commodity").text
    r = client.post(
        "/admin/vocabularies/commodity",
        data={
            "csrf_token": token,
            "code": "saiga_horn",
            "name_en": "x",
            "name_ru": "x",
            "name_kk": "x",
        },
        follow_redirects=False,
    )
    assert r.status_code == 422 and "Nothing was saved" in r.text


def test_admin_changes_a_role_and_locks_an_account(client: TestClient, world: World) -> None:
    login(client, "admin")
    token = csrf(client, "/admin/users")
    uid = world.users["kz-officer2"]
    r = client.post(
        f"/admin/users/{uid}", data={"csrf_token": token, "role": "analyst"}, follow_redirects=False
    )
    assert r.status_code == 303
    users = client.get("/api/v1/users", headers=world.headers("admin")).json()
    row = next(u for u in users if u["username"] == "kz-officer2")
    assert row["role"] == "analyst" and row["active"] is False


def test_admin_adds_a_checkpoint(client: TestClient, world: World) -> None:
    login(client, "admin")
    assert "Zhaisan" in client.get("/admin/places").text
    token = csrf(client, "/admin/places")
    data = {
        "csrf_token": token,
        "code": "kz-kg-test",
        "name_en": "Test crossing",
        "country": "KZ",
        "country2": "",
        "checkpoint_kind": "road",
        "lat": "43.1",
        "lon": "74.5",
    }
    r = client.post("/admin/places", data=data, follow_redirects=False)
    assert r.status_code == 422 and 'value="Test crossing"' in r.text
    r = client.post("/admin/places", data={**data, "country2": "KG"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    assert "Test crossing" in client.get("/admin/places").text
