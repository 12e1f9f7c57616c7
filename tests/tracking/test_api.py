"""Tracking API: devices, trips, HTTP ingest, alerts, positions, tracks, live socket.

Runs on both backends (SHEKARA_TEST_DB); every read and change goes through the sharing
policy and leaves an audit entry.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shekara.audit.models import AuditEntry
from tests.conftest import World

CORRIDOR = {"type": "LineString", "coordinates": [[56.0, 50.0], [58.0, 50.0]]}


def audits(session: Session, resource: str, action: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.resource == resource, AuditEntry.action == action)
        )
        or 0
    )


def new_device(client: TestClient, world: World, user: str = "admin", **kw: Any) -> dict[str, Any]:
    body = {
        "kind": "tracker",
        "identifier": uuid.uuid4().hex[:15],
        "issue_token": True,
        "protocol": "http",
        "label": "truck 01",
        **kw,
    }
    r = client.post("/api/v1/tracking/devices", json=body, headers=world.headers(user))
    assert r.status_code == 201, r.text
    return dict(r.json())


def post_fixes(client: TestClient, token: str, fixes: list[dict[str, Any]]) -> dict[str, Any]:
    r = client.post(
        "/api/v1/tracking/ingest", json={"fixes": fixes}, headers={"X-Device-Token": token}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def fixes_along(
    n: int,
    lat: float,
    lon0: float,
    start: datetime,
    step_s: int = 30,
    speed: float = 60.0,
    **kw: Any,
) -> list[dict[str, Any]]:
    return [
        {
            "fix_time": (start + timedelta(seconds=i * step_s)).isoformat(),
            "lat": lat,
            "lon": lon0 + i * 0.005,
            "speed": speed,
            "hdop": 1.0,
            **kw,
        }
        for i in range(n)
    ]


def test_device_access(client: TestClient, world: World, session: Session) -> None:
    before = audits(session, "tracking_devices", "create")
    body = {"kind": "tracker", "identifier": "861234567890123"}
    assert client.post("/api/v1/tracking/devices", json=body).status_code == 401
    r = client.post("/api/v1/tracking/devices", json=body, headers=world.headers("kz-officer"))
    assert r.status_code == 403
    dev = new_device(client, world, identifier="861234567890123")
    assert dev["token"] and dev["report_period_s"] == 60
    assert audits(session, "tracking_devices", "create") == before + 1
    r = client.post("/api/v1/tracking/devices", json=body, headers=world.headers("admin"))
    assert r.status_code == 409
    # the duty officer of the agency sees it; another country does not
    r = client.get("/api/v1/tracking/devices", headers=world.headers("kz-duty"))
    assert dev["id"] in [d["id"] for d in r.json()["items"]]
    r = client.get("/api/v1/tracking/devices", headers=world.headers("ru-officer"))
    assert dev["id"] not in [d["id"] for d in r.json()["items"]]
    r = client.get(f"/api/v1/tracking/devices/{dev['id']}", headers=world.headers("ru-officer"))
    assert r.status_code == 404
    r = client.patch(
        f"/api/v1/tracking/devices/{dev['id']}",
        json={"label": "new"},
        headers=world.headers("kz-duty"),
    )
    assert r.status_code == 200 and r.json()["label"] == "new"
    r = client.delete(f"/api/v1/tracking/devices/{dev['id']}", headers=world.headers("admin"))
    assert r.status_code == 204
    r = client.get(f"/api/v1/tracking/devices/{dev['id']}", headers=world.headers("kz-duty"))
    assert r.json()["active"] is False


def test_trip_ingest_alerts_and_handling(
    client: TestClient, world: World, session: Session
) -> None:
    dev = new_device(client, world)
    trip = {
        "reference": "TD-0001",
        "tracker_device_id": dev["id"],
        "corridor": CORRIDOR,
        "corridor_width_m": 2000,
        "allowed_stop_place_ids": [str(world.checkpoint_id)],
    }
    r = client.post("/api/v1/tracking/trips", json=trip, headers=world.headers("kz-duty"))
    assert r.status_code == 403  # duty officers watch; customs officers open trips
    r = client.post("/api/v1/tracking/trips", json=trip, headers=world.headers("kz-officer"))
    assert r.status_code == 201, r.text
    trip_id = r.json()["id"]
    now = datetime.now(UTC) - timedelta(minutes=10)
    out = post_fixes(client, dev["token"], fixes_along(5, 50.0, 56.1, now))
    assert out == {"stored": 5, "alerts": 0}
    r = client.get(
        f"/api/v1/tracking/trips/{trip_id}/green-corridor", headers=world.headers("kz-duty")
    )
    assert r.json()["eligible"] is True, r.json()
    # leaves the corridor 5 km north for four fixes over two minutes: one alert
    out = post_fixes(
        client, dev["token"], fixes_along(5, 50.05, 56.2, now + timedelta(minutes=3), step_s=40)
    )
    assert out["alerts"] == 1
    # tamper flag from the seal field
    post_fixes(
        client,
        dev["token"],
        fixes_along(1, 50.0, 56.4, now + timedelta(minutes=7), alarms=["tamper"]),
    )
    r = client.get(
        "/api/v1/tracking/alerts", params={"trip_id": trip_id}, headers=world.headers("kz-duty")
    )
    kinds = sorted(a["kind"] for a in r.json()["items"])
    assert kinds == ["corridor_exit", "tamper"]
    alert = next(a for a in r.json()["items"] if a["kind"] == "corridor_exit")
    assert alert["late"] is False and alert["severity"] == "critical"
    r = client.get("/api/v1/tracking/alerts", headers=world.headers("ru-officer"))
    assert alert["id"] not in [a["id"] for a in r.json()["items"]]
    r = client.get(
        f"/api/v1/tracking/trips/{trip_id}/green-corridor", headers=world.headers("kz-duty")
    )
    assert r.json()["eligible"] is False
    # handling: acknowledge, assign, close with a note
    url = f"/api/v1/tracking/alerts/{alert['id']}"
    assert client.post(f"{url}/acknowledge", headers=world.headers("kz-officer")).status_code == 403
    r = client.post(f"{url}/acknowledge", headers=world.headers("kz-duty"))
    assert r.json()["status"] == "acknowledged"
    r = client.post(
        f"{url}/assign",
        json={"assignee_id": str(world.users["kz-officer"])},
        headers=world.headers("kz-duty"),
    )
    assert r.json()["status"] == "assigned"
    r = client.post(
        f"{url}/assign",
        json={"assignee_id": str(world.users["ru-officer"])},
        headers=world.headers("kz-duty"),
    )
    assert r.status_code == 422
    r = client.post(
        f"{url}/close",
        json={"note": "driver detoured around roadworks"},
        headers=world.headers("kz-supervisor"),
    )
    assert r.json()["status"] == "closed" and r.json()["closing_note"]
    assert audits(session, "tracking_alerts", "update") >= 3
    r = client.post(
        f"/api/v1/tracking/trips/{trip_id}/close",
        json={"note": "arrived"},
        headers=world.headers("kz-officer"),
    )
    assert r.json()["status"] == "closed"


def test_black_box_alerts_are_late(client: TestClient, world: World) -> None:
    dev = new_device(client, world)
    now = datetime.now(UTC)
    post_fixes(client, dev["token"], fixes_along(1, 50.0, 56.5, now))
    old = fixes_along(3, 50.0, 56.3, now - timedelta(hours=2), blackbox=True)
    old[1]["alarms"] = ["tamper"]
    post_fixes(client, dev["token"], old)
    r = client.get(
        "/api/v1/tracking/alerts", params={"device_id": dev["id"]}, headers=world.headers("kz-duty")
    )
    [alert] = r.json()["items"]
    assert alert["kind"] == "tamper" and alert["late"] is True
    r = client.get(
        "/api/v1/tracking/alerts",
        params={"device_id": dev["id"], "include_late": False},
        headers=world.headers("kz-duty"),
    )
    assert r.json()["items"] == []
    # the live position did not move back in time
    r = client.get("/api/v1/tracking/positions", headers=world.headers("kz-duty"))
    feature = next(f for f in r.json()["features"] if f["id"] == dev["id"])
    assert feature["geometry"]["coordinates"] == [56.5, 50.0]


def test_ingest_rejects_bad_tokens(client: TestClient) -> None:
    body = {"fixes": [{"fix_time": "2026-11-22T10:00:00Z", "lat": 50, "lon": 57}]}
    assert client.post("/api/v1/tracking/ingest", json=body).status_code == 401
    r = client.post("/api/v1/tracking/ingest", json=body, headers={"X-Device-Token": "nope"})
    assert r.status_code == 401
    body["fixes"][0]["fix_time"] = "2026-11-22T10:00:00"
    r = client.post("/api/v1/tracking/ingest", json=body, headers={"X-Device-Token": "nope"})
    assert r.status_code == 422


def test_positions_and_track(client: TestClient, world: World, session: Session) -> None:
    dev = new_device(client, world)
    start = datetime.now(UTC) - timedelta(minutes=5)
    fixes = fixes_along(4, 50.2, 57.0, start)
    fixes.append({"fix_time": (start + timedelta(minutes=3)).isoformat(), "valid": False})
    post_fixes(client, dev["token"], fixes)
    before = audits(session, "tracking_positions", "list")
    r = client.get(
        "/api/v1/tracking/positions",
        params={"bbox": "56.9,50.1,57.1,50.3"},
        headers=world.headers("kz-duty"),
    )
    feature = next(f for f in r.json()["features"] if f["id"] == dev["id"])
    assert feature["properties"]["valid"] is False  # newest fix: invalid, shown where last valid
    assert feature["geometry"]["coordinates"] == [57.015, 50.2]
    assert audits(session, "tracking_positions", "list") == before + 1
    r = client.get(
        "/api/v1/tracking/positions",
        params={"bbox": "60,40,61,41"},
        headers=world.headers("kz-duty"),
    )
    assert dev["id"] not in [f["id"] for f in r.json()["features"]]
    r = client.get("/api/v1/tracking/positions", headers=world.headers("kg-officer"))
    assert dev["id"] not in [f["id"] for f in r.json()["features"]]
    assert client.get("/api/v1/tracking/positions").status_code == 401
    r = client.get(f"/api/v1/tracking/devices/{dev['id']}/track", headers=world.headers("kz-duty"))
    track = r.json()["fixes"]
    assert len(track) == 5 and [f["valid"] for f in track] == [True] * 4 + [False]
    r = client.get(
        f"/api/v1/tracking/devices/{dev['id']}/track", headers=world.headers("ru-officer")
    )
    assert r.status_code == 404
    # resending the same fixes (lost acknowledgement) stores nothing twice
    post_fixes(client, dev["token"], fixes)
    r = client.get(f"/api/v1/tracking/devices/{dev['id']}/track", headers=world.headers("kz-duty"))
    assert len(r.json()["fixes"]) == 5


def test_live_socket(client: TestClient, world: World) -> None:
    dev = new_device(client, world)
    start = datetime.now(UTC) - timedelta(minutes=1)
    post_fixes(client, dev["token"], fixes_along(1, 50.2, 57.0, start))
    token = world.tokens["kz-duty"]
    with client.websocket_connect(
        f"/api/v1/tracking/live?bbox=56,49,58,51&token={token}&interval=0.2"
    ) as ws:
        snap = ws.receive_json()
        assert snap["event"] == "snapshot"
        assert dev["id"] in [f["id"] for f in snap["features"]]
        post_fixes(client, dev["token"], fixes_along(1, 50.3, 57.1, start + timedelta(seconds=30)))
        delta = ws.receive_json()
        assert delta["event"] == "delta"
        assert [f["id"] for f in delta["features"]] == [dev["id"]]
        ws.send_json({"bbox": "60,40,61,41"})
        assert ws.receive_json()["features"] == []
    with client.websocket_connect("/api/v1/tracking/live") as ws:
        assert ws.receive_json()["errors"][0]["code"] == "not_authenticated"


@pytest.mark.parametrize("user", ["kg-officer", "ru-analyst"])
def test_foreign_agencies_see_no_alerts(client: TestClient, world: World, user: str) -> None:
    r = client.get("/api/v1/tracking/alerts", headers=world.headers(user))
    assert r.status_code == 200
    assert all(a["owner_agency_id"] != str(world.agencies["KZ-BS"]) for a in r.json()["items"])
