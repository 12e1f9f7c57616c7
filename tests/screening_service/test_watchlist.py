"""Watchlist entries, hits, notifications, the 12-hour clock, rejected pairs."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.db.base import utcnow
from shekara.policy.constants import Distribution
from shekara.screening import watchlist
from shekara.screening.models import HitAction, HitStatus, Notification, WatchlistHit
from shekara.screening.schemas import HitDecision, WatchlistEntryIn
from shekara.screening.service import PersonInput, screen_person, screen_vehicle
from tests.conftest import ViewerFactory, World
from tests.screening_service.helpers import person, vehicle


def _entry(session: Session, viewer: ViewerFactory, target_id: object, **kw: object) -> object:
    data = WatchlistEntryIn(
        target_type=str(kw.pop("target_type", "person")),
        target_id=target_id,
        reason="wanted for smuggling",
        action=HitAction.arrest,
        distribution=Distribution.all,
        **kw,
    )
    return watchlist.create_entry(session, viewer("kz-officer"), data)


def test_hit_creates_record_notification_and_deadline(
    session: Session, viewer: ViewerFactory
) -> None:
    p = person(session, "KZ-BS", ["Нургалиев Ерлан"], dob="1985-03-12")
    e = _entry(session, viewer, p.id)
    out = screen_person(session, viewer("ru-officer"), PersonInput.build(["NURGALIEV ERLAN"]))
    alert = out.hits[0].watchlist[0]
    assert alert.action == HitAction.arrest and alert.reason == "wanted for smuggling"
    assert alert.hit_id is not None and alert.deadline is not None
    hit = session.get(WatchlistHit, alert.hit_id)
    assert hit is not None and hit.entry_id == e.id  # type: ignore[attr-defined]
    assert hit.status == HitStatus.pending
    assert timedelta(hours=11, minutes=59) < hit.deadline - utcnow() <= timedelta(hours=12)
    note = session.execute(select(Notification).where(Notification.hit_id == hit.id)).scalar_one()
    assert note.agency_id == p.owner_agency_id
    # the same query again reuses the pending hit: no second notification
    again = screen_person(session, viewer("ru-officer"), PersonInput.build(["Ерлан Нургалиев"]))
    assert again.hits[0].watchlist[0].hit_id == hit.id
    owner_hits = watchlist.list_hits(session, viewer("kz-supervisor"), HitStatus.pending)
    assert [h.id for h in owner_hits] == [hit.id]
    assert watchlist.list_hits(session, viewer("ru-officer")) == []


def test_rejected_pair_does_not_alert_again(session: Session, viewer: ViewerFactory) -> None:
    p = person(session, "KZ-BS", ["Ахметов Серик"], dob="1980-05-05")
    _entry(session, viewer, p.id)
    q = PersonInput.build(["AKHMETOV SERIK"], "1980-05-05")
    first = screen_person(session, viewer("kg-officer"), q)
    hit_id = first.hits[0].watchlist[0].hit_id
    assert hit_id is not None
    decided = watchlist.decide(
        session, viewer("kz-officer"), hit_id, HitDecision(status=HitStatus.rejected, note="no")
    )
    assert decided.status == HitStatus.rejected
    n_before = len(session.execute(select(WatchlistHit)).scalars().all())
    second = screen_person(
        session, viewer("kg-officer"), PersonInput.build(["Серик Ахметов"], "1980-05-05")
    )
    alert = second.hits[0].watchlist[0]
    assert alert.suppressed and alert.hit_id is None
    assert len(session.execute(select(WatchlistHit)).scalars().all()) == n_before
    # another query identity still alerts
    other = screen_person(
        session, viewer("kg-officer"), PersonInput.build(["AKHMETOV SERIK"], "1980")
    )
    assert not other.hits[0].watchlist[0].suppressed


def test_hit_only_entry_tells_only_whom_to_contact(session: Session, viewer: ViewerFactory) -> None:
    car = vehicle(session, "KZ-BS", "777 ABC 02")
    _entry(session, viewer, car.id, target_type="vehicle", hit_only=True)
    out = screen_vehicle(session, viewer("ru-officer"), "777ABC02")
    alert = out.hits[0].watchlist[0]
    assert alert.notice and alert.action is None and alert.reason is None
    assert alert.owner_agency.code == "KZ-BS" and alert.hit_id is not None
    own = screen_vehicle(session, viewer("kz-officer2"), "777ABC02")
    assert own.hits[0].watchlist[0].action == HitAction.arrest


def test_watchlist_api(client: TestClient, world: World, session: Session) -> None:
    p = person(session, "KZ-BS", ["Жаксылыков Марат"], dob="1979")
    r = client.post(
        "/api/v1/screening/watchlist",
        json={"target_type": "person", "target_id": str(p.id), "reason": "r",
              "action": "discreet_check", "distribution": "all"},
        headers=world.headers("kz-officer"),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/screening/person", json={"names": ["ZHAKSYLYKOV MARAT"]},
        headers=world.headers("ru-officer"),
    )  # fmt: skip
    hit_id = r.json()["hits"][0]["watchlist"][0]["hit_id"]
    notes = client.get("/api/v1/screening/notifications", headers=world.headers("kz-supervisor"))
    assert [n["hit_id"] for n in notes.json()] == [hit_id]
    r = client.post(
        f"/api/v1/screening/hits/{hit_id}/decision", json={"status": "confirmed"},
        headers=world.headers("ru-officer"),
    )  # fmt: skip
    assert r.status_code == 404  # not the owner
    r = client.post(
        f"/api/v1/screening/hits/{hit_id}/decision", json={"status": "confirmed"},
        headers=world.headers("kz-officer"),
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
