"""The live map's socket (/tracking/live) with a real app and a real database.

The database is this module's own (a SQLite file, or a PostgreSQL database with
SHEKARA_TEST_DB=postgres) because the socket reads committed data in its own transactions,
exactly as it reads fixes stored by gateways in another process. Fixes are stored with the
ingest pipeline's own ``write_fixes``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

import shekara.db.models  # noqa: F401 - every table
from shekara.accounts.constants import Role
from shekara.accounts.models import User
from shekara.accounts.security import hash_password
from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.api.app import create_app
from shekara.audit.models import AuditEntry
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.policy.constants import Distribution
from shekara.settings import Settings
from shekara.telemetry.protocols.fix import Fix
from shekara.tracking.constants import AlertKind, AlertStatus, DeviceKind, Severity
from shekara.tracking.models import Alert, Device
from shekara.tracking.storage import write_fixes
from shekara.vocab.seed import seed_countries
from tests.conftest import PASSWORD, database_of_its_own
from tests.web.helpers import login

# Two places far apart: Aktobe region (KZ) and Almaty (KZ); a Russian device near Orenburg.
AKTOBE = (50.30, 57.20)
ALMATY = (43.25, 76.90)
ORENBURG = (51.77, 55.10)
AKTOBE_BOX = [56.0, 49.5, 58.5, 51.0]


@dataclass
class LiveWorld:
    engine: Engine
    settings: Settings
    devices: dict[str, uuid.UUID] = field(default_factory=dict)
    agencies: dict[str, uuid.UUID] = field(default_factory=dict)


def _make_db(tmp: Path) -> tuple[Engine, Any]:
    settings = Settings(env="test", data_dir=tmp, member_countries=[], audit_seal_seconds=0)
    stack = ExitStack()
    url = stack.enter_context(database_of_its_own("shekara_live", tmp / "live.db"))
    engine = make_engine(settings, url)
    upgrade(engine)
    return engine, (settings, stack.close)


@pytest.fixture(scope="module")
def lw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveWorld]:
    engine, (settings, drop) = _make_db(tmp_path_factory.mktemp("live"))
    world = LiveWorld(engine, settings)
    with Session(engine) as s:
        seed_countries(s, ["KZ", "RU"])
        for code, country in (("KZ-BS", "KZ"), ("RU-FSB-PS", "RU")):
            a = Agency(
                code=code, name=code, country=country, kind=AgencyKind.border, contact="x@y.z"
            )
            s.add(a)
            s.flush()
            world.agencies[code] = a.id
        pw = hash_password(PASSWORD)
        for username, agency, role in (
            ("kz-duty", "KZ-BS", Role.duty_officer),
            ("ru-officer", "RU-FSB-PS", Role.officer),
        ):
            s.add(
                User(
                    username=username,
                    display_name=username,
                    agency_id=world.agencies[agency],
                    role=role,
                    password_hash=pw,
                )
            )
        for name, agency, country, kind in (
            ("truck-aktobe", "KZ-BS", "KZ", DeviceKind.tracker),
            ("patrol-almaty", "KZ-BS", "KZ", DeviceKind.patrol),
            ("truck-aktobe-2", "KZ-BS", "KZ", DeviceKind.tracker),
            ("ru-truck", "RU-FSB-PS", "RU", DeviceKind.tracker),
        ):
            d = Device(
                kind=kind,
                identifier=f"99{uuid.uuid4().int % 10**13:013d}",
                label=name,
                owner_agency_id=world.agencies[agency],
                owner_country=country,
                distribution=Distribution.agency,
                report_period_s=30,
            )
            s.add(d)
            s.flush()
            world.devices[name] = d.id
        s.commit()
    store(world, "truck-aktobe", *AKTOBE)
    store(world, "truck-aktobe-2", AKTOBE[0] + 0.1, AKTOBE[1] + 0.1)
    store(world, "patrol-almaty", *ALMATY)
    store(world, "ru-truck", *ORENBURG)
    yield world
    engine.dispose()
    drop()


def store(world: LiveWorld, name: str, lat: float, lon: float, course: float = 90.0) -> None:
    """One fix, stored by the ingest pipeline's writer function and committed."""
    now = datetime.now(UTC)
    fix = Fix(
        device_id=str(world.devices[name]),
        fix_time=now,
        lat=lat,
        lon=lon,
        valid=True,
        speed_kmh=55.0,
        course_deg=course,
        satellites=10,
        hdop=0.8,
        received_at=now,
        protocol="http",
    )
    with world.engine.begin() as conn:
        write_fixes(conn, [fix])


@pytest.fixture
def client(lw: LiveWorld) -> Iterator[TestClient]:
    app = create_app(lw.settings, lw.engine)
    app.state.live_interval_s = 0.2
    app.state.live_refresh_s = 0.5
    with TestClient(app) as c:
        yield c


def subscribe(ws: Any, bbox: list[float], zoom: int = 8, **kw: Any) -> dict[str, Any]:
    ws.send_json({"type": "subscribe", "bbox": bbox, "zoom": zoom, **kw})
    msg: dict[str, Any] = ws.receive_json()
    return msg


def labels(msg: dict[str, Any]) -> set[str]:
    return {d[3] for d in msg.get("devices", [])}


def next_with_objects(ws: Any, limit: int = 30) -> dict[str, Any]:
    for _ in range(limit):
        msg: dict[str, Any] = ws.receive_json()
        if msg.get("objects") or msg.get("gone"):
            return msg
    raise AssertionError("no position update arrived")


def test_snapshot_holds_only_the_viewport(client: TestClient, lw: LiveWorld) -> None:
    login(client, "kz-duty")
    with client.websocket_connect("/tracking/live") as ws:
        assert ws.receive_json()["event"] == "hello"
        snap = subscribe(ws, AKTOBE_BOX)
        assert snap["event"] == "snapshot" and snap["mode"] == "objects"
        assert labels(snap) == {"truck-aktobe", "truck-aktobe-2"}
        assert snap["total"] == 2 and len(snap["objects"]) == 2
        row = next(d for d in snap["devices"] if d[3] == "truck-aktobe")
        assert row[1] == str(lw.devices["truck-aktobe"]) and row[2] == "tracker"
        obj = next(o for o in snap["objects"] if o[0] == row[0])
        assert obj[1:3] == [AKTOBE[0], AKTOBE[1]] and obj[3] == 90 and obj[4] == 55.0
        # moving the viewport to Almaty: a new snapshot with the patrol only
        snap2 = subscribe(ws, [76.0, 42.5, 78.0, 44.0], zoom=9)
        assert labels(snap2) == {"patrol-almaty"}
        assert snap2["total"] == 1


def test_updates_arrive_after_a_fix_is_stored(client: TestClient, lw: LiveWorld) -> None:
    login(client, "kz-duty")
    with client.websocket_connect("/tracking/live") as ws:
        ws.receive_json()
        snap = subscribe(ws, AKTOBE_BOX)
        idx = {d[3]: d[0] for d in snap["devices"]}
        # a fix outside the viewport (Almaty) and one inside: only the one inside comes
        store(lw, "patrol-almaty", ALMATY[0] + 0.01, ALMATY[1])
        store(lw, "truck-aktobe", AKTOBE[0] + 0.02, AKTOBE[1] + 0.03, course=120.0)
        delta = next_with_objects(ws)
        assert delta["event"] == "delta"
        assert [o[0] for o in delta["objects"]] == [idx["truck-aktobe"]]
        assert delta["objects"][0][1:4] == [
            round(AKTOBE[0] + 0.02, 5),
            round(AKTOBE[1] + 0.03, 5),
            120,
        ]
        assert delta.get("devices") == []  # already described in the snapshot
        # leaving the viewport: the client is told to drop it
        store(lw, "truck-aktobe", 45.0, 60.0)
        delta = next_with_objects(ws)
        assert delta["gone"] == [idx["truck-aktobe"]] and delta["objects"] == []
        store(lw, "truck-aktobe", *AKTOBE)
        delta = next_with_objects(ws)
        assert [o[0] for o in delta["objects"]] == [idx["truck-aktobe"]]


def test_foreign_user_receives_nothing_of_another_countrys_devices(
    client: TestClient, lw: LiveWorld
) -> None:
    kz_ids = {str(lw.devices[n]) for n in ("truck-aktobe", "truck-aktobe-2", "patrol-almaty")}
    with Session(lw.engine) as s:
        alert = Alert(
            kind=AlertKind.sos,
            severity=Severity.critical,
            device_id=lw.devices["patrol-almaty"],
            first_fix_time=datetime.now(UTC),
            last_fix_time=datetime.now(UTC),
            message="SOS",
            owner_agency_id=lw.agencies["KZ-BS"],
            owner_country="KZ",
        )
        s.add(alert)
        s.commit()
        alert_id = alert.id
    try:
        login(client, "ru-officer")
        with client.websocket_connect("/tracking/live") as ws:
            ws.receive_json()
            snap = subscribe(ws, [20.0, 35.0, 90.0, 60.0], zoom=4)
            assert labels(snap) == {"ru-truck"} and snap["total"] == 1
            assert snap["alerts"] == []
            store(lw, "truck-aktobe", AKTOBE[0] + 0.05, AKTOBE[1])
            store(lw, "patrol-almaty", ALMATY[0] + 0.05, ALMATY[1])
            store(lw, "ru-truck", ORENBURG[0] + 0.01, ORENBURG[1])
            delta = next_with_objects(ws)
            assert [o[0] for o in delta["objects"]] == [snap["devices"][0][0]]
            assert not any(d[1] in kz_ids for d in delta.get("devices", []))
            assert delta["alerts"] == []
        # the Kazakh duty officer sees the SOS alert on the same socket protocol
        login(client, "kz-duty")
        with client.websocket_connect("/tracking/live") as ws:
            ws.receive_json()
            snap = subscribe(ws, [20.0, 35.0, 90.0, 60.0], zoom=4)
            assert [a["id"] for a in snap["alerts"]] == [str(alert_id)]
            assert snap["alerts"][0]["kind"] == "sos"
    finally:
        with Session(lw.engine) as s:
            s.execute(delete(Alert).where(Alert.id == alert_id))
            s.commit()


def test_alert_closed_leaves_the_live_list(client: TestClient, lw: LiveWorld) -> None:
    with Session(lw.engine) as s:
        alert = Alert(
            kind=AlertKind.corridor_exit,
            severity=Severity.warning,
            device_id=lw.devices["truck-aktobe"],
            first_fix_time=datetime.now(UTC),
            last_fix_time=datetime.now(UTC),
            owner_agency_id=lw.agencies["KZ-BS"],
            owner_country="KZ",
        )
        s.add(alert)
        s.commit()
        alert_id = alert.id
    login(client, "kz-duty")
    with client.websocket_connect("/tracking/live") as ws:
        ws.receive_json()
        snap = subscribe(ws, AKTOBE_BOX)
        assert str(alert_id) in [a["id"] for a in snap["alerts"]]
        with Session(lw.engine) as s:
            row = s.get(Alert, alert_id)
            assert row is not None
            row.status = AlertStatus.closed
            s.commit()
        for _ in range(30):
            msg = ws.receive_json()
            if msg.get("alerts_gone"):
                assert msg["alerts_gone"] == [str(alert_id)]
                break
        else:
            raise AssertionError("the closed alert was not withdrawn")


def test_too_many_objects_in_view_come_as_clusters(client: TestClient, lw: LiveWorld) -> None:
    login(client, "kz-duty")
    with client.websocket_connect("/tracking/live") as ws:
        ws.receive_json()
        snap = subscribe(ws, [20.0, 35.0, 90.0, 60.0], zoom=4, cap=2)
        assert snap["mode"] == "clusters" and snap["total"] == 3
        assert "objects" not in snap
        assert sum(c[2] for c in snap["clusters"]) == 3
        # the two Aktobe trucks fall in one cell of about 80 px at zoom 4
        assert sorted(c[2] for c in snap["clusters"]) == [1, 2]
        # zoomed in under the cap: objects again
        snap = subscribe(ws, AKTOBE_BOX, zoom=9, cap=2)
        assert snap["mode"] == "objects" and len(snap["objects"]) == 2


def test_bad_subscription_names_the_field(client: TestClient) -> None:
    login(client, "kz-duty")
    with client.websocket_connect("/tracking/live") as ws:
        ws.receive_json()
        err = subscribe(ws, [58.0, 49.0, 56.0, 51.0])
        assert err["event"] == "error" and err["errors"][0]["field"] == "bbox"
        ws.send_json({"type": "subscribe", "bbox": AKTOBE_BOX, "zoom": 40})
        assert ws.receive_json()["errors"][0]["field"] == "zoom"
        ws.send_text("not json")
        assert ws.receive_json()["event"] == "error"
        assert subscribe(ws, AKTOBE_BOX)["event"] == "snapshot"  # still open


def test_without_a_session_the_socket_is_refused(client: TestClient) -> None:
    client.cookies.clear()
    with client.websocket_connect("/tracking/live") as ws:
        msg = ws.receive_json()
        assert msg["event"] == "error" and msg["errors"][0]["field"] == "session"
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_json()
        assert e.value.code == 4401


def test_cross_site_socket_is_refused(client: TestClient) -> None:
    login(client, "kz-duty")
    with (
        pytest.raises(WebSocketDisconnect) as e,
        client.websocket_connect("/tracking/live", headers={"Origin": "http://evil.example"}),
    ):
        pass
    assert e.value.code == 4403


def test_what_the_socket_sends_is_audited(client: TestClient, lw: LiveWorld) -> None:
    def count() -> int:
        with Session(lw.engine) as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(
                        AuditEntry.resource == "tracking_positions",
                        AuditEntry.username == "kz-duty",
                        AuditEntry.at > datetime.now(UTC) - timedelta(minutes=5),
                    )
                )
                or 0
            )

    before = count()
    login(client, "kz-duty")
    with client.websocket_connect("/tracking/live") as ws:
        ws.receive_json()
        subscribe(ws, AKTOBE_BOX)
    assert count() == before + 1
    with Session(lw.engine) as s:
        entry = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.resource == "tracking_positions")
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        ).one()
        assert entry.action == "list"
        assert set(entry.result_ids or []) == {
            str(lw.devices["truck-aktobe"]),
            str(lw.devices["truck-aktobe-2"]),
        }


def test_sharing_changes_reach_an_open_socket(client: TestClient, lw: LiveWorld) -> None:
    """A device shared with all member countries appears on the Russian officer's map at the
    next refresh of the policy; withdrawn, it disappears."""

    def share(distribution: Distribution) -> None:
        with Session(lw.engine) as s:
            d = s.get(Device, lw.devices["truck-aktobe-2"])
            assert d is not None
            d.distribution = distribution
            s.commit()

    login(client, "ru-officer")
    try:
        with client.websocket_connect("/tracking/live") as ws:
            ws.receive_json()
            snap = subscribe(ws, AKTOBE_BOX)
            assert snap["total"] == 0
            share(Distribution.all)
            msg = next_with_objects(ws)
            assert labels(msg) == {"truck-aktobe-2"} and len(msg["objects"]) == 1
            idx = msg["objects"][0][0]
            share(Distribution.agency)
            msg = next_with_objects(ws)
            assert msg["gone"] == [idx]
    finally:
        share(Distribution.agency)
