"""The live tracking map in a real Chromium against a real uvicorn server (socket included).

Devices post fixes over the HTTP ingest API (the rules run on them, as for any tracker); the
duty officer watches them move, acknowledges and closes the SOS alert they raise, opens an
object's details and replays its track. Screenshot: docs/screenshots/tracking.png.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from shekara.accounts.constants import Role
from shekara.accounts.schemas import UserCreate
from shekara.accounts.service import create_user, viewer_for
from shekara.agencies.constants import AgencyKind
from shekara.agencies.schemas import AgencyCreate
from shekara.agencies.service import create_agency
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.settings import Settings
from shekara.tracking import service
from shekara.tracking.schemas import DeviceCreate, TripCreate
from shekara.vocab.seed import seed_countries, seed_vocabularies
from shekara.web import assets
from tests.conftest import PASSWORD
from tests.web.live import live_server
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, VIEWPORT, _require_browser

pytestmark = pytest.mark.browser

ROUTE = [[57.0, 50.2], [57.6, 50.5], [58.2, 50.8]]  # Aktobe region, longitude first


@dataclass
class Site:
    url: str
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def _seed(session: Session) -> Site:
    seed_countries(session, ["KZ", "RU"])
    seed_vocabularies(session)
    for code, country in (("KZ-BS", "KZ"), ("RU-FSB-PS", "RU")):
        create_agency(
            session,
            AgencyCreate(
                code=code,
                name=code,
                country=country,
                kind=AgencyKind.border,
                contact=f"duty@{code.lower()}.example",
            ),
        )
    users = {
        name: create_user(
            session,
            UserCreate(
                username=name, agency=agency, role=role, password=PASSWORD, display_name=name
            ),
        )
        for name, agency, role in (
            ("kz-duty", "KZ-BS", Role.duty_officer),
            ("kz-supervisor", "KZ-BS", Role.supervisor),
            ("ru-officer", "RU-FSB-PS", Role.officer),
        )
    }
    duty = viewer_for(session, users["kz-duty"])
    supervisor = viewer_for(session, users["kz-supervisor"])
    site = Site("")
    for name, kind, cls in (
        ("Truck 01 KZ", "tracker", "truck_tracker"),
        ("Patrol Alpha", "patrol", "patrol_unit"),
        ("UAV 7", "uav", "uav"),
    ):
        device, token = service.create_device(
            session,
            duty,
            DeviceCreate(
                kind=kind,
                identifier=f"99{uuid.uuid4().int % 10**13:013d}",
                label=name,
                protocol="http",
                issue_token=True,
                device_class=cls,
                patrol_name="Alpha" if kind == "patrol" else "",
            ),
        )
        assert token is not None
        site.tokens[name] = token
        site.ids[name] = str(device.id)
    service.open_trip(
        session,
        supervisor,
        TripCreate(
            reference="TIR-2026-0042",
            tracker_device_id=uuid.UUID(site.ids["Truck 01 KZ"]),
            corridor={"type": "LineString", "coordinates": ROUTE},
            corridor_width_m=4000,
        ),
    )
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _require_browser()
    if assets.missing():
        assets.build()
    tmp = tmp_path_factory.mktemp("tracking-browser")
    settings = Settings(
        env="test", data_dir=tmp, member_countries=[], audit_seal_seconds=0, tile_url=""
    )
    engine = make_engine(settings, f"sqlite:///{tmp / 'web.db'}")
    upgrade(engine)
    with Session(engine) as s:
        seeded = _seed(s)
        s.commit()
    with live_server(settings, engine) as url:
        seeded.url = url
        yield seeded
    engine.dispose()


def post_fix(site: Site, name: str, when: datetime, lat: float, lon: float, **kw: Any) -> None:
    fix = {"fix_time": when.isoformat(), "lat": lat, "lon": lon, "speed": 62.0, "course": 60.0}
    r = httpx.post(
        f"{site.url}/api/v1/tracking/ingest",
        json={"fixes": [{**fix, **kw}]},
        headers={"X-Device-Token": site.tokens[name]},
        timeout=30,
    )
    assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, base_url=site.url, locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def sign_in(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login?next=/tracking")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^https?://[^/]+/tracking$"))


def live_positions(page: Any) -> dict[str, list[float]]:
    result: dict[str, list[float]] = page.evaluate(
        """() => { const L = window.shekaraLive, out = {};
        L.objects.forEach((o, i) => { if (L.meta[i]) out[L.meta[i].label] = [o.lat, o.lon]; });
        return out; }"""
    )
    return result


def test_duty_officer_watches_handles_an_alert_and_replays(page: Any, site: Site) -> None:
    start = datetime.now(UTC) - timedelta(minutes=20)
    # history for the replay: a valid track, one invalid fix and one black-box fix
    for i in range(8):
        lon, lat = 57.0 + 0.07 * i, 50.2 + 0.035 * i
        extra: dict[str, Any] = {}
        if i == 3:
            extra = {"valid": False}
        if i == 5:
            extra = {"blackbox": True}
        post_fix(site, "Truck 01 KZ", start + timedelta(minutes=2 * i), lat, lon, **extra)
    post_fix(site, "Patrol Alpha", start + timedelta(minutes=19), 50.6, 57.9)
    post_fix(site, "UAV 7", start + timedelta(minutes=19), 50.4, 57.3)

    sign_in(page, "kz-duty")
    assert page.inner_text("h1") == "Live map"
    page.wait_for_function("() => Number(document.getElementById('trk-map').dataset.objects) >= 3")
    before = live_positions(page)
    assert set(before) == {"Truck 01 KZ", "Patrol Alpha", "UAV 7"}

    # new fixes are pushed over the socket: the objects move without a reload
    now = datetime.now(UTC)
    post_fix(site, "Truck 01 KZ", now, 50.52, 57.62)
    post_fix(site, "UAV 7", now, 50.45, 57.45)
    page.wait_for_function(
        "() => { const L = window.shekaraLive; let ok = false;"
        " L.objects.forEach((o, i) => { if (L.meta[i] && L.meta[i].label === 'UAV 7'"
        " && Math.abs(o.lon - 57.45) < 1e-6) ok = true; }); return ok; }"
    )
    after = live_positions(page)
    assert (
        after["Truck 01 KZ"] == [50.52, 57.62] and after["Patrol Alpha"] == before["Patrol Alpha"]
    )

    # an SOS from the patrol reaches the alerts panel by itself
    post_fix(site, "Patrol Alpha", datetime.now(UTC), 50.61, 57.91, alarms=["sos"])
    alert = page.wait_for_selector("#trk-alerts .trk-alert:has-text('SOS')")
    assert "Patrol Alpha" in alert.inner_text()

    # details of an object, reached with the keyboard from the list of objects in view
    page.click("#trk-list button:has-text('Truck 01 KZ')")
    card = page.wait_for_selector("#trk-object-card")
    text = card.inner_text()
    assert "TIR-2026-0042" in text and "Green corridor" in text and "Truck tracker" in text
    assert "62 km/h" in text

    # acknowledge, then close with a note (an empty note is refused and says what to do)
    page.click("#trk-alerts .trk-alert:has-text('SOS') summary")
    page.click("#trk-alerts .trk-alert:has-text('SOS') button:has-text('Acknowledge')")
    page.wait_for_selector("#trk-alerts .trk-alert:has-text('SOS') .badge:has-text('Acknowledged')")
    page.click("#trk-alerts .trk-alert:has-text('SOS') summary")
    page.click("#trk-alerts .trk-alert:has-text('SOS') button:has-text('Close the alert')")
    page.wait_for_selector("#trk-alerts .error:has-text('Write what was done')")
    page.fill("#trk-alerts .trk-alert:has-text('SOS') textarea", "Called the patrol: a test.")
    page.click("#trk-alerts .trk-alert:has-text('SOS') button:has-text('Close the alert')")
    page.wait_for_selector("#trk-alerts .trk-alert:has-text('SOS')", state="detached")

    # replay the truck's track: the invalid and the black-box fix are counted and marked
    page.fill("#rp-start", (start - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#rp-end", (datetime.now(UTC) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M"))
    page.click("#rp-load")
    page.wait_for_selector("#rp-info:has-text('9 fixes, 1 invalid, 1 from the black box')")
    page.select_option("#rp-speed", "1800")
    page.click("#rp-play")
    page.wait_for_function("() => Number(document.getElementById('trk-replay').dataset.at) >= 4")
    page.click("#rp-play")  # pause
    time.sleep(0.3)
    page.screenshot(path=str(Path(SCREENSHOTS) / "tracking.png"))

    # the page in Russian
    page.click("button[name=lang][value=ru]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Оперативная карта"


def test_foreign_user_sees_none_of_the_objects(page: Any, site: Site) -> None:
    post_fix(site, "Truck 01 KZ", datetime.now(UTC), 50.53, 57.63)
    sign_in(page, "ru-officer")
    page.wait_for_function("() => document.getElementById('trk-map').dataset.objects === '0'")
    time.sleep(1.5)  # a tick or two later: still nothing
    assert live_positions(page) == {}
    assert page.inner_text("#trk-list") == ""
    r = page.request.get(f"/tracking/objects/{site.ids['Truck 01 KZ']}")
    assert r.status == 404
    r = page.request.get(f"/tracking/objects/{site.ids['Truck 01 KZ']}/track")
    assert r.status == 404
