"""The live map's pages (TestClient, SQLite and PostgreSQL): the page in three languages, the
alert forms (CSRF, a note required to close, only the owner agency's duty officers), object
details and the replay data through the sharing policy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shekara.audit.models import AuditEntry
from shekara.tracking.constants import AlertKind, AlertStatus, Severity
from shekara.tracking.models import Alert
from tests.conftest import World
from tests.web.helpers import csrf, login


def device(client: TestClient, world: World, label: str = "Truck 09") -> dict[str, Any]:
    body = {
        "kind": "tracker",
        "identifier": uuid.uuid4().hex[:15],
        "issue_token": True,
        "protocol": "http",
        "label": label,
    }
    r = client.post("/api/v1/tracking/devices", json=body, headers=world.headers("kz-duty"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def fixes(client: TestClient, token: str, n: int = 3) -> None:
    start = datetime.now(UTC) - timedelta(minutes=n)
    body = {
        "fixes": [
            {
                "fix_time": (start + timedelta(minutes=i)).isoformat(),
                "lat": 50.2 + 0.01 * i,
                "lon": 57.1 + 0.01 * i,
                "speed": 48.0,
                "course": 75.0,
            }
            for i in range(n)
        ]
    }
    r = client.post("/api/v1/tracking/ingest", json=body, headers={"X-Device-Token": token})
    assert r.status_code == 200, r.text


def alert_for(session: Session, world: World, device_id: str) -> Alert:
    a = Alert(
        kind=AlertKind.unauthorised_stop,
        severity=Severity.warning,
        device_id=uuid.UUID(device_id),
        first_fix_time=datetime.now(UTC),
        last_fix_time=datetime.now(UTC),
        owner_agency_id=world.agencies["KZ-BS"],
        owner_country="KZ",
    )
    session.add(a)
    session.flush()
    return a


def status_of(session: Session, alert: Alert) -> AlertStatus:
    session.refresh(alert)
    return alert.status


def test_page_in_three_languages(client: TestClient, world: World) -> None:
    login(client, "kz-duty")
    r = client.get("/tracking")
    assert r.status_code == 200
    assert "<h1>Live map</h1>" in r.text and 'id="trk-map"' in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert 'href="/tracking" aria-current="page"' in r.text
    for lang, title in (("ru", "Оперативная карта"), ("kk", "Жедел карта")):
        token = csrf(client, "/tracking")
        client.post("/lang", data={"lang": lang, "next": "/tracking", "csrf_token": token})
        assert f"<h1>{title}</h1>" in client.get("/tracking").text


def test_signed_out_users_are_sent_to_sign_in(client: TestClient) -> None:
    client.cookies.clear()
    r = client.get("/tracking", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_duty_officer_acknowledges_assigns_and_closes_with_a_note(
    client: TestClient, world: World, session: Session
) -> None:
    dev = device(client, world)
    alert = alert_for(session, world, dev["id"])
    login(client, "kz-duty")
    page = client.get("/tracking").text
    assert f'id="alert-{alert.id}"' in page and "Stop outside the allowed places" in page
    base = f"/tracking/alerts/{alert.id}"
    # no CSRF token: refused, nothing changed
    r = client.post(f"{base}/acknowledge", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert status_of(session, alert) == AlertStatus.open
    r = client.post(
        f"{base}/acknowledge",
        data={"csrf_token": csrf(client, "/tracking")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert status_of(session, alert) == AlertStatus.acknowledged
    r = client.post(
        f"{base}/assign",
        data={
            "csrf_token": csrf(client, "/tracking"),
            "assignee_id": str(world.users["kz-supervisor"]),
        },
        headers={"X-Requested-With": "fetch"},
    )
    assert r.status_code == 200 and "Assigned" in r.text
    assert status_of(session, alert) == AlertStatus.assigned
    assert alert.assignee_id == world.users["kz-supervisor"]
    # closing without a note: the panel says what to do, the alert stays open
    r = client.post(
        f"{base}/close",
        data={"csrf_token": csrf(client, "/tracking"), "note": "  "},
        headers={"X-Requested-With": "fetch"},
    )
    assert r.status_code == 422
    assert "Write what was done before closing the alert." in r.text
    assert 'aria-invalid="true"' in r.text
    assert status_of(session, alert) == AlertStatus.assigned
    r = client.post(
        f"{base}/close",
        data={"csrf_token": csrf(client, "/tracking"), "note": "Driver rested; checked by phone."},
        headers={"X-Requested-With": "fetch"},
    )
    assert r.status_code == 200 and f'id="alert-{alert.id}"' not in r.text
    assert status_of(session, alert) == AlertStatus.closed
    assert alert.closing_note == "Driver rested; checked by phone."
    changes = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.resource == "tracking_alerts", AuditEntry.record_id == alert.id)
    )
    assert changes == 3
    # a second close (a colleague was quicker) is refused; an unknown action does not exist
    token = csrf(client, "/tracking")
    r = client.post(f"{base}/close", data={"csrf_token": token, "note": "again"})
    assert r.status_code == 400 and "could not be handled" in r.text
    session.refresh(alert)
    assert alert.closing_note == "Driver rested; checked by phone."
    r = client.post(f"{base}/explode", data={"csrf_token": csrf(client, "/tracking")})
    assert r.status_code == 404


def test_other_agencies_neither_see_nor_handle_the_alert(
    client: TestClient, world: World, session: Session
) -> None:
    dev = device(client, world)
    alert = alert_for(session, world, dev["id"])
    for user in ("kz-police", "ru-officer"):
        login(client, user)
        assert f'id="alert-{alert.id}"' not in client.get("/tracking").text
        r = client.post(
            f"/tracking/alerts/{alert.id}/acknowledge",
            data={"csrf_token": csrf(client, "/tracking")},
            follow_redirects=False,
        )
        assert r.status_code == 404
    # an officer of the owner agency sees it but may not handle it (no form shown)
    login(client, "kz-officer")
    page = client.get("/tracking").text
    assert f'id="alert-{alert.id}"' in page
    assert f"/tracking/alerts/{alert.id}/close" not in page
    r = client.post(
        f"/tracking/alerts/{alert.id}/close",
        data={"csrf_token": csrf(client, "/tracking"), "note": "x"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert status_of(session, alert) == AlertStatus.open


def test_object_details_and_track_through_the_policy(
    client: TestClient, world: World, session: Session
) -> None:
    dev = device(client, world, "Truck 10")
    fixes(client, dev["token"], 4)
    login(client, "kz-duty")
    r = client.get(f"/tracking/objects/{dev['id']}")
    assert r.status_code == 200
    assert "Truck 10" in r.text and "48 km/h" in r.text and "75°" in r.text
    r = client.get(f"/tracking/objects/{dev['id']}/track")
    assert r.status_code == 200 and len(r.json()["fixes"]) == 4
    start = datetime.now(UTC).replace(tzinfo=None)
    r = client.get(
        f"/tracking/objects/{dev['id']}/track",
        params={"start": start.isoformat(), "end": (start - timedelta(hours=1)).isoformat()},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "start"
    reads = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.resource == "tracking_tracks", AuditEntry.record_id == uuid.UUID(dev["id"])
        )
    )
    assert reads == 1
    login(client, "ru-officer")
    assert client.get(f"/tracking/objects/{dev['id']}").status_code == 404
    assert client.get(f"/tracking/objects/{dev['id']}/track").status_code == 404


def test_patrol_details_show_heading_speed_status_and_sector(
    client: TestClient, world: World
) -> None:
    body = {
        "kind": "patrol",
        "identifier": uuid.uuid4().hex[:15],
        "issue_token": True,
        "protocol": "http",
        "label": "Patrol Bravo",
        "device_class": "patrol_unit",
        "patrol_name": "Bravo",
        "sector_place_id": str(world.checkpoint_id),
    }
    r = client.post("/api/v1/tracking/devices", json=body, headers=world.headers("kz-duty"))
    assert r.status_code == 201, r.text
    dev = r.json()
    fixes(client, dev["token"], 2)
    for lang, words in (
        ("en", ["Patrol", "Bravo", "Assigned sector", "Zhaisan", "48 km/h", "75°", "Moving"]),
        ("ru", ["Патруль", "Закреплённый сектор", "Жайсан", "48 км/ч", "В движении"]),
    ):
        login(client, "kz-duty")
        if lang != "en":
            token = csrf(client, "/tracking")
            client.post("/lang", data={"lang": lang, "next": "/tracking", "csrf_token": token})
        text = client.get(f"/tracking/objects/{dev['id']}").text
        for w in words:
            assert w in text, (lang, w)
