"""The case page: status history and hand-overs, and the forms that change them."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.audit.models import AuditEntry
from tests.conftest import World
from tests.records.factories import create
from tests.web.helpers import csrf, login


def _post(client: TestClient, path: str, data: dict[str, str], page: str) -> httpx.Response:
    r: httpx.Response = client.post(
        path, data={**data, "csrf_token": csrf(client, page)}, follow_redirects=False
    )
    return r


def _case(client: TestClient, world: World) -> str:
    return create(client, world, "kz-officer", "cases", distribution="country")


def test_status_changes_follow_the_allowed_transitions(client: TestClient, world: World) -> None:
    cid = _case(client, world)
    page = f"/records/cases/{cid}"
    login(client, "kz-officer")
    html = client.get(page).text
    options = re.search(r'name="status_status".*?</select>', html, re.S)
    assert options
    assert re.findall(r'<option value="(\w+)"', options.group(0)) == ["closed", "investigation"]
    r = _post(
        client,
        f"{page}/status",
        {"status_status": "investigation", "status_note": "Search warrant granted"},
        page,
    )
    assert r.status_code == 303 and r.headers["location"] == page
    html = client.get(page).text
    assert "Under investigation" in html and "Search warrant granted" in html
    assert "status changed from Opened to Under investigation" in html
    api = client.get(f"/api/v1/cases/{cid}", headers=world.headers("kz-officer")).json()
    assert api["status"] == "investigation"
    # a transition the service refuses (investigation -> opened): message on the field, kept note
    r = _post(
        client, f"{page}/status", {"status_status": "sentenced", "status_note": "too early"}, page
    )
    assert r.status_code == 422
    assert "This case cannot move to that status now" in r.text and "too early" in r.text
    assert (
        client.get(f"/api/v1/cases/{cid}", headers=world.headers("kz-officer")).json()["status"]
        == "investigation"
    )
    r = _post(client, f"{page}/status", {"status_status": "", "status_note": ""}, page)
    assert r.status_code == 422 and "Fill this in." in r.text


def test_hand_over_to_another_agency_with_a_note(
    client: TestClient, world: World, session: Session
) -> None:
    cid = _case(client, world)
    page = f"/records/cases/{cid}"
    login(client, "kz-officer")
    html = client.get(page).text
    assert '<option value="KZ-POL">' in html and '<option value="KZ-BS">' not in html
    r = _post(
        client,
        f"{page}/handover",
        {"handover_to_agency": "KZ-POL", "handover_note": "Drug police lead the case"},
        page,
    )
    assert r.status_code == 303
    html = client.get(page).text  # the former owner still reads it, without the forms
    assert "handed over from KZ-BS" in html and "to KZ-POL" in html
    assert "Drug police lead the case" in html
    assert 'action="/records/cases/' not in html
    assert _post(client, f"{page}/status", {"status_status": "closed"}, page).status_code == 403
    api = client.get(f"/api/v1/cases/{cid}", headers=world.headers("kz-police")).json()
    assert api["sharing"]["owner_agency"]["code"] == "KZ-POL"
    entry = session.execute(select(AuditEntry).where(AuditEntry.action == "handover")).scalar_one()
    assert str(entry.record_id) == cid
    login(client, "kz-police")  # the new owner gets the forms
    assert f'action="/records/cases/{cid}/status"' in client.get(page).text


def test_case_forms_are_refused_like_the_api(client: TestClient, world: World) -> None:
    cid = create(client, world, "kz-officer", "cases")  # own agency only
    login(client, "kg-officer")
    page = f"/records/cases/{cid}"
    assert client.get(page).status_code == 404
    assert (
        _post(client, f"{page}/status", {"status_status": "closed"}, "/search").status_code == 404
    )
    r = _post(client, f"{page}/handover", {"handover_to_agency": "KG-POL"}, "/search")
    assert r.status_code == 404
    login(client, "kz-duty")  # sees the case (same agency) but may not write
    assert 'action="/records/cases/' not in client.get(page).text
    assert _post(client, f"{page}/status", {"status_status": "closed"}, page).status_code == 403
