"""Editing records from the console: owner only, same validation, audited before/after."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.audit.models import AuditEntry
from tests.conftest import World
from tests.records.factories import create
from tests.web.helpers import csrf, login


def form_values(html: str) -> dict[str, str]:
    """The values an edit form shows (inputs, the selected option, textareas, ticked boxes)."""
    out: dict[str, str] = {}
    for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*>', html):
        tag, name = m.group(0), m.group(1)
        if name == "csrf_token":
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                out[name] = "on"
            continue
        v = re.search(r'value="([^"]*)"', tag)
        out[name] = v.group(1) if v else ""
    for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        sel = re.search(r'<option value="([^"]*)" selected>', m.group(2))
        first = re.search(r'<option value="([^"]*)"', m.group(2))
        out[m.group(1)] = sel.group(1) if sel else (first.group(1) if first else "")
    for m in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        out[m.group(1)] = m.group(2)
    return {k: v.replace("&amp;", "&").replace("&#34;", '"') for k, v in out.items()}


def _post(client: TestClient, path: str, data: dict[str, str], page: str) -> httpx.Response:
    r: httpx.Response = client.post(
        path, data={**data, "csrf_token": csrf(client, page)}, follow_redirects=False
    )
    return r


def _incident(client: TestClient, world: World, user: str = "kz-officer", **extra: Any) -> str:
    return create(client, world, user, "incidents", distribution="country", **extra)


def test_owner_edits_an_incident_its_seizures_and_persons(client: TestClient, world: World) -> None:
    person = create(client, world, "kz-officer", "persons", distribution="country")
    rid = _incident(client, world)
    login(client, "kz-officer2")  # same agency, another user with write
    page = client.get(f"/records/incidents/{rid}")
    assert f'href="/incidents/{rid}/edit"' in page.text
    form = client.get(f"/incidents/{rid}/edit")
    assert form.status_code == 200
    values = form_values(form.text)
    assert values["summary"] == "Heroin in a gas cylinder"
    assert values["seizures[0].quantity"] == "4.2" and values["seizures[0].commodity"] == "heroin"
    assert values["occurred_at"] == "2024-05-14T06:30"
    values.update(
        {
            "summary": "Heroin in two gas cylinders",
            "seizures[0].quantity": "8.4",
            "seizures[1].commodity": "hashish",
            "seizures[1].quantity": "1",
            "seizures[1].unit": "kg",
            "involvements[0].person_id": person,
            "involvements[0].role": "courier",
            "distribution": "partners",
            "partner_countries": "KG",
            "handling_code": "H2",
        }
    )
    r = _post(client, f"/incidents/{rid}/edit", values, f"/incidents/{rid}/edit")
    assert r.status_code == 303, r.text[:3000]
    assert r.headers["location"] == f"/records/incidents/{rid}"
    api = client.get(f"/api/v1/incidents/{rid}", headers=world.headers("kz-officer")).json()
    assert api["summary"] == "Heroin in two gas cylinders"
    assert [float(z["quantity"]) for z in api["seizures"]] == [8.4, 1.0]
    assert api["persons"][0]["id"] == person and api["persons"][0]["role"] == "courier"
    assert api["sharing"]["distribution"] == "partners"
    assert api["sharing"]["partner_countries"] == ["KG"]
    assert api["sharing"]["handling_code"] == "H2"
    # now shared with KG: its officer reads it, but may not edit it (403 as in the API)
    login(client, "kg-officer")
    assert client.get(f"/records/incidents/{rid}").status_code == 200
    assert f"/incidents/{rid}/edit" not in client.get(f"/records/incidents/{rid}").text
    assert client.get(f"/incidents/{rid}/edit").status_code == 403
    r = _post(client, f"/incidents/{rid}/edit", values, "/search")
    assert r.status_code == 403
    api_r = client.patch(
        f"/api/v1/incidents/{rid}", json={"summary": "x"}, headers=world.headers("kg-officer")
    )
    assert api_r.status_code == 403
    after = client.get(f"/api/v1/incidents/{rid}", headers=world.headers("kz-officer")).json()
    assert after["summary"] == "Heroin in two gas cylinders"


def test_edit_is_audited_with_before_and_after(
    client: TestClient, world: World, session: Session
) -> None:
    rid = _incident(client, world)
    login(client, "kz-officer")
    values = form_values(client.get(f"/incidents/{rid}/edit").text)
    values["summary"] = "Changed summary"
    r = _post(client, f"/incidents/{rid}/edit", values, f"/incidents/{rid}/edit")
    assert r.status_code == 303
    entries = (
        session.execute(
            select(AuditEntry).where(
                AuditEntry.record_id == uuid.UUID(rid), AuditEntry.action == "update"
            )
        )
        .scalars()
        .all()
    )
    assert len(entries) == 1
    assert entries[0].before is not None and entries[0].after is not None
    assert entries[0].before["summary"] == "Heroin in a gas cylinder"
    assert entries[0].after["summary"] == "Changed summary"


def test_invisible_incident_gives_404_on_the_edit_pages(client: TestClient, world: World) -> None:
    rid = create(client, world, "kz-officer", "incidents")  # own agency only
    login(client, "kg-officer")
    assert client.get(f"/records/incidents/{rid}").status_code == 404
    assert client.get(f"/incidents/{rid}/edit").status_code == 404
    values = {
        "summary": "stolen",
        "category": "drug_trafficking",
        "occurred_at": "2024-05-14T06:30",
    }
    assert _post(client, f"/incidents/{rid}/edit", values, "/search").status_code == 404
    assert _post(client, f"/incidents/{rid}/edit/validate", values, "/search").status_code == 404
    api = client.patch(
        f"/api/v1/incidents/{rid}", json={"summary": "x"}, headers=world.headers("kg-officer")
    )
    assert api.status_code == 404


def test_hit_only_incident_edit_is_404_for_others(client: TestClient, world: World) -> None:
    rid = create(client, world, "kz-officer", "incidents", distribution="all", hit_only=True)
    login(client, "ru-officer")
    assert client.get(f"/incidents/{rid}/edit").status_code == 404


def test_roles_without_write_cannot_edit(client: TestClient, world: World) -> None:
    rid = _incident(client, world)
    login(client, "kz-duty")
    page = client.get(f"/records/incidents/{rid}").text
    assert f"/incidents/{rid}/edit" not in page
    assert client.get(f"/incidents/{rid}/edit").status_code == 403


def test_invalid_edit_keeps_input_and_changes_nothing(client: TestClient, world: World) -> None:
    rid = _incident(client, world)
    login(client, "kz-officer")
    values = form_values(client.get(f"/incidents/{rid}/edit").text)
    values.update({"summary": "", "seizures[0].quantity": "lots", "description": "typed text"})
    r = _post(client, f"/incidents/{rid}/edit", values, f"/incidents/{rid}/edit")
    assert r.status_code == 422
    assert "Fill this in." in r.text and "Enter a number, for example 12.5." in r.text
    assert 'value="lots"' in r.text and "typed text" in r.text
    api = client.get(f"/api/v1/incidents/{rid}", headers=world.headers("kz-officer")).json()
    assert api["summary"] == "Heroin in a gas cylinder" and api["description"] == ""
    # a service error (unknown commodity) is shown on its field, nothing saved
    values.update({"summary": "ok", "seizures[0].quantity": "1", "seizures[0].commodity": "zzz"})
    r = _post(client, f"/incidents/{rid}/edit", values, f"/incidents/{rid}/edit")
    assert r.status_code == 422 and "Choose one of the listed values." in r.text
    api = client.get(f"/api/v1/incidents/{rid}", headers=world.headers("kz-officer")).json()
    assert api["summary"] == "Heroin in a gas cylinder"


def test_live_validation_of_an_edit_saves_nothing(client: TestClient, world: World) -> None:
    rid = _incident(client, world)
    login(client, "kz-officer")
    values = form_values(client.get(f"/incidents/{rid}/edit").text)
    values["summary"] = "Not yet"
    r = _post(client, f"/incidents/{rid}/edit/validate", values, f"/incidents/{rid}/edit")
    assert r.status_code == 200 and "Everything looks right" in r.text
    values["summary"] = ""
    r = _post(client, f"/incidents/{rid}/edit/validate", values, f"/incidents/{rid}/edit")
    assert "Fill this in." in r.text
    api = client.get(f"/api/v1/incidents/{rid}", headers=world.headers("kz-officer")).json()
    assert api["summary"] == "Heroin in a gas cylinder"


def test_links_the_editor_cannot_see_are_kept(client: TestClient, world: World) -> None:
    # a KZ-POL person shared with the country, linked to a KZ-BS incident, then hidden again
    person = create(client, world, "kz-police", "persons", distribution="country")
    rid = create(
        client,
        world,
        "kz-officer",
        "incidents",
        distribution="country",
        involvements=[{"person_id": person, "role": "suspect"}],
    )
    r = client.patch(
        f"/api/v1/persons/{person}",
        json={"distribution": "agency"},
        headers=world.headers("kz-police"),
    )
    assert r.status_code == 200
    login(client, "kz-officer")
    form = client.get(f"/incidents/{rid}/edit").text
    assert "cannot be changed here" in form
    values = form_values(form)
    values["summary"] = "Edited with a hidden link"
    r = _post(client, f"/incidents/{rid}/edit", values, f"/incidents/{rid}/edit")
    assert r.status_code == 303, r.text[:2000]
    api = client.get(f"/api/v1/incidents/{rid}", headers=world.headers("kz-police")).json()
    assert api["summary"] == "Edited with a hidden link"
    assert [p["id"] for p in api["persons"]] == [person]


def test_create_and_edit_a_person(client: TestClient, world: World) -> None:
    login(client, "kz-officer")
    assert 'href="/records/persons/new"' in client.get("/records/persons").text
    data = {
        "names[0].full_name": "Серіков Арман",
        "names[0].kind": "native",
        "names[1].full_name": "SERIKOV ARMAN",
        "names[1].kind": "passport",
        "sex": "M",
        "birth_year": "1990",
        "birth_month": "2",
        "birth_day": "",
        "birth_place": "Almaty",
        "nationalities": "kz, ru",
        "notes": "",
        "distribution": "country",
        "handling_code": "H0",
        "source_reliability": "B",
        "info_credibility": "2",
    }
    r = _post(client, "/records/persons/new", data, "/records/persons/new")
    assert r.status_code == 303, r.text[:3000]
    pid = r.headers["location"].rsplit("/", 1)[1]
    api = client.get(f"/api/v1/persons/{pid}", headers=world.headers("kz-officer")).json()
    assert api["display_name"] == "Серіков Арман"
    assert [n["kind"] for n in api["names"]] == ["native", "passport"]
    assert api["nationalities"] == ["KZ", "RU"] and api["birth_date"] == "1990-02"
    # search finds the new person in Latin
    assert pid in client.get("/search", params={"q": "Serikov"}).text
    form = client.get(f"/records/persons/{pid}/edit")
    values = form_values(form.text)
    assert values["names[1].full_name"] == "SERIKOV ARMAN" and values["birth_year"] == "1990"
    values.update({"birth_month": "", "birth_place": "", "names[0].full_name": "Сериков Арман"})
    r = _post(client, f"/records/persons/{pid}/edit", values, f"/records/persons/{pid}/edit")
    assert r.status_code == 303, r.text[:3000]
    api = client.get(f"/api/v1/persons/{pid}", headers=world.headers("kz-officer")).json()
    assert api["display_name"] == "Сериков Арман"
    assert api["birth_date"] == "1990" and api["birth_place"] == ""
    # errors: no name, impossible month; what was typed stays
    values.update({"names[0].full_name": "", "names[1].full_name": "", "birth_month": "13"})
    r = _post(client, f"/records/persons/{pid}/edit", values, f"/records/persons/{pid}/edit")
    assert r.status_code == 422
    assert "Enter 12 or less." in r.text and 'value="13"' in r.text
    assert "Names" in r.text


def test_create_and_edit_a_vehicle_document_organisation(client: TestClient, world: World) -> None:
    login(client, "kz-officer")
    data = {
        "plate": "777 KZA 02",
        "country": "KZ",
        "kind": "truck",
        "make": "MAN",
        "distribution": "country",
        "handling_code": "H0",
        "source_reliability": "X",
        "info_credibility": "4",
    }
    r = _post(client, "/records/vehicles/new", {**data, "kind": "spaceship"}, "/search")
    assert r.status_code == 422 and "Choose one of the listed values." in r.text
    assert 'value="777 KZA 02"' in r.text
    r = _post(client, "/records/vehicles/new", data, "/search")
    assert r.status_code == 303, r.text[:3000]
    vid = r.headers["location"].rsplit("/", 1)[1]
    assert f'href="/records/vehicles/{vid}/edit"' in client.get(f"/records/vehicles/{vid}").text
    values = form_values(client.get(f"/records/vehicles/{vid}/edit").text)
    values.update({"make": "", "colour": "white"})
    r = _post(client, f"/records/vehicles/{vid}/edit", values, "/search")
    assert r.status_code == 303
    api = client.get(f"/api/v1/vehicles/{vid}", headers=world.headers("kz-officer")).json()
    assert api["make"] == "" and api["colour"] == "white" and api["plate"] == "777 KZA 02"

    did = create(client, world, "kz-officer", "documents", distribution="country")
    values = form_values(client.get(f"/records/documents/{did}/edit").text)
    values.update({"expires_on": "2031-01-31", "number": "N 7654321"})
    r = _post(client, f"/records/documents/{did}/edit", values, "/search")
    assert r.status_code == 303, r.text[:3000]
    api = client.get(f"/api/v1/documents/{did}", headers=world.headers("kz-officer")).json()
    assert api["expires_on"] == "2031-01-31" and api["number"] == "N 7654321"

    oid = create(client, world, "kz-officer", "organisations", distribution="country")
    values = form_values(client.get(f"/records/organisations/{oid}/edit").text)
    values.update({"name": "Group Yug", "hit_only": "on"})
    r = _post(client, f"/records/organisations/{oid}/edit", values, "/search")
    assert r.status_code == 303
    api = client.get(f"/api/v1/organisations/{oid}", headers=world.headers("kz-officer")).json()
    assert api["name"] == "Group Yug" and api["sharing"]["hit_only"] is True
    # another agency of the country now gets only the hit notice, and 404 on the edit page
    login(client, "kz-police")
    assert client.get(f"/records/organisations/{oid}/edit").status_code == 404
    assert client.get(f"/records/vehicles/{vid}/edit").status_code == 403
    assert client.get("/records/crossings/new").status_code == 404


def test_officer_cannot_create_without_write(client: TestClient, world: World) -> None:
    login(client, "kz-duty")
    assert 'href="/records/persons/new"' not in client.get("/records/persons").text
    assert client.get("/records/persons/new").status_code == 403


def test_person_form_validates_as_typed_and_others_cannot_save(
    client: TestClient, world: World
) -> None:
    login(client, "kz-officer")
    data = {
        "names[0].full_name": "",
        "names[0].kind": "native",
        "birth_year": "1890",
        "distribution": "country",
        "handling_code": "H0",
        "source_reliability": "X",
        "info_credibility": "4",
    }
    r = _post(client, "/records/persons/new/validate", data, "/records/persons/new")
    assert r.status_code == 200
    assert "Enter 1900 or more." in r.text and 'id="err-birth_year"' in r.text
    assert "Names: Add at least one." in r.text
    data.update({"names[0].full_name": "Ахметов Бауыржан", "birth_year": "1990"})
    r = _post(client, "/records/persons/new/validate", data, "/records/persons/new")
    assert "Everything looks right" in r.text
    assert "Ахметов" not in client.get("/records/persons").text  # validation saved nothing
    vid = create(client, world, "kz-officer", "vehicles", distribution="country")
    values = form_values(client.get(f"/records/vehicles/{vid}/edit").text)
    login(client, "kz-police")  # same country, another agency: reads it, may not change it
    values["make"] = "Stolen"
    r = _post(client, f"/records/vehicles/{vid}/edit", values, "/search")
    assert r.status_code == 403
    r = _post(client, f"/records/vehicles/{vid}/edit/validate", values, "/search")
    assert r.status_code == 403
    api = client.get(f"/api/v1/vehicles/{vid}", headers=world.headers("kz-officer")).json()
    assert api["make"] != "Stolen"
