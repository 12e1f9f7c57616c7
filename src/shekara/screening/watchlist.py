"""Watchlists: entries on persons, documents and vehicles; hits, the owner's answer, alerts.

A screening match on a record that carries an active entry the viewer may know of raises a
*watchlist hit*: the owner agency of the entry is notified and must confirm or reject it within
:data:`RESPONSE_HOURS` hours (the deadline practitioners work with). A pair (what was screened,
entry) that the owner rejected does not alert again; a pending hit for the same pair is reused
rather than notified twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.db.base import utcnow
from shekara.errors import Forbidden, NotFound, ValidationFailed
from shekara.persons.models import Document, Person
from shekara.policy.sharing import Viewer, is_hit_notice, visible
from shekara.records.service import _apply_sharing, agency_ref, require, snapshot
from shekara.screening.models import (
    HitStatus,
    Notification,
    RecordType,
    WatchlistEntry,
    WatchlistHit,
)
from shekara.screening.schemas import (
    Hit,
    HitDecision,
    HitOut,
    NotificationOut,
    WatchlistAlert,
    WatchlistEntryIn,
    WatchlistEntryOut,
)
from shekara.vehicles.models import Vehicle

RESPONSE_HOURS = 12
TARGETS: dict[str, Any] = {
    RecordType.person: Person,
    RecordType.document: Document,
    RecordType.vehicle: Vehicle,
}


def entry_out(session: Session, viewer: Viewer, e: WatchlistEntry) -> WatchlistEntryOut:
    notice = is_hit_notice(viewer, e)
    return WatchlistEntryOut(
        id=e.id,
        target_type=e.target_type,
        target_id=e.target_id,
        reason=None if notice else e.reason,
        action=None if notice else e.action,
        valid_from=None if notice else e.valid_from,
        valid_until=None if notice else e.valid_until,
        active=e.active,
        owner_agency=agency_ref(session, e.owner_agency_id),
        notice=notice,
    )


def create_entry(session: Session, viewer: Viewer | None, data: WatchlistEntryIn) -> WatchlistEntry:
    """Put a record the viewer may see on the own agency's watchlist; audited."""
    v = require(viewer, Perm.write)
    model = TARGETS[data.target_type]
    target = session.execute(
        select(model.id).where(model.id == data.target_id, visible(v, model))
    ).first()
    if target is None:
        raise ValidationFailed([{"field": "target_id", "message": "no such record"}])
    if data.valid_from and data.valid_until and data.valid_until <= data.valid_from:
        raise ValidationFailed([{"field": "valid_until", "message": "must follow valid_from"}])
    e = WatchlistEntry(
        id=uuid.uuid4(),
        target_type=data.target_type,
        target_id=data.target_id,
        reason=data.reason,
        action=data.action,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        active=True,
        owner_agency_id=v.agency_id,
        owner_country=v.country,
        created_by=v.user_id,
        external_ref=data.external_ref,
    )
    session.add(e)
    session.flush()
    _apply_sharing(session, v, e, data.model_dump())
    session.flush()
    audit.record(
        session,
        v,
        "create",
        "watchlist_entry",
        record_id=e.id,
        owners=[v.agency_id],
        after=snapshot(e),
    )
    return e


def deactivate_entry(session: Session, viewer: Viewer | None, entry_id: uuid.UUID) -> None:
    v = require(viewer, Perm.write)
    e = session.get(WatchlistEntry, entry_id)
    if e is None or e.owner_agency_id != v.agency_id:
        raise NotFound("watchlist entry not found")
    before = snapshot(e)
    e.active = False
    session.flush()
    audit.record(
        session, v, "update", "watchlist_entry", record_id=e.id, owners=[e.owner_agency_id],
        before=before, after=snapshot(e),
    )  # fmt: skip


def list_entries(
    session: Session, viewer: Viewer | None, target_id: uuid.UUID | None = None
) -> list[WatchlistEntryOut]:
    v = require(viewer, Perm.read)
    stmt = select(WatchlistEntry).where(visible(v, WatchlistEntry, include_hit_only=True))
    if target_id is not None:
        stmt = stmt.where(WatchlistEntry.target_id == target_id)
    rows = session.execute(stmt.order_by(WatchlistEntry.id).limit(500)).scalars().all()
    audit.record(
        session, v, "list", "watchlist_entry",
        query={"target_id": str(target_id) if target_id else None},
        result_ids=[r.id for r in rows], owners=[r.owner_agency_id for r in rows],
    )  # fmt: skip
    return [entry_out(session, v, r) for r in rows]


def _active_now() -> Any:
    now = utcnow()
    return and_(
        WatchlistEntry.active.is_(True),
        or_(WatchlistEntry.valid_from.is_(None), WatchlistEntry.valid_from <= now),
        or_(WatchlistEntry.valid_until.is_(None), WatchlistEntry.valid_until > now),
    )


def listed_targets(session: Session, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these records have a watchlist entry at all (one probe for many hits; the
    entries themselves are read, through the policy, by :func:`attach_alerts`)."""
    out: set[uuid.UUID] = set()
    wanted = sorted(set(ids), key=str)
    for i in range(0, len(wanted), 2000):
        out.update(
            session.execute(
                select(WatchlistEntry.target_id).where(
                    WatchlistEntry.target_id.in_(wanted[i : i + 2000])
                )
            ).scalars()
        )
    return out


_ANY_LISTED = (
    select(WatchlistEntry.id)
    .where(WatchlistEntry.target_id.in_(bindparam("ids", expanding=True)))
    .limit(1)
)
_PG_ANY_LISTED = "SELECT 1 FROM watchlist_entries WHERE target_id = ANY(%s) LIMIT 1"


def _any_listed(session: Session, ids: list[uuid.UUID]) -> bool:
    """Whether any of these records has a watchlist entry (a probe per query: on PostgreSQL
    one constant statement through the driver's cursor, elsewhere a statement built once)."""
    session.flush()  # what the session holds counts (nothing to do when it is clean)
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return conn.execute(_ANY_LISTED, {"ids": ids}).first() is not None
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(_PG_ANY_LISTED, (ids,))
        return cur.fetchone() is not None
    finally:
        cur.close()


def attach_alerts(
    session: Session,
    viewer: Viewer,
    hits: Sequence[Hit],
    identity: str,
    query: dict[str, Any],
) -> int:
    """Add the watchlist alerts to the matching hits, raising watchlist hits and notifying
    the owners; returns the number of new watchlist hits."""
    matched = {h.id: h for h in hits if h.match or h.notice}
    if not matched:
        return 0
    # the common case, nothing listed: one index probe, no policy expression
    if not _any_listed(session, list(matched)):
        return 0
    entries = (
        session.execute(
            select(WatchlistEntry).where(
                WatchlistEntry.target_id.in_(list(matched)),
                _active_now(),
                visible(viewer, WatchlistEntry, include_hit_only=True),
            )
        )
        .scalars()
        .all()
    )
    if not entries:
        return 0
    earlier = {
        (h.entry_id, h.status): h
        for h in session.execute(
            select(WatchlistHit)
            .where(
                WatchlistHit.entry_id.in_([e.id for e in entries]),
                WatchlistHit.query_identity == identity,
            )
            .order_by(WatchlistHit.created_at)
        ).scalars()
    }
    now = utcnow()
    new = 0
    for e in entries:
        hit = matched[e.target_id]
        notice = is_hit_notice(viewer, e)
        alert = WatchlistAlert(
            entry_id=e.id,
            owner_agency=agency_ref(session, e.owner_agency_id),
            action=None if notice else e.action,
            reason=None if notice else e.reason,
            valid_until=None if notice else e.valid_until,
            notice=notice,
        )
        if (e.id, HitStatus.rejected) in earlier:
            alert.suppressed = True
            hit.watchlist.append(alert)
            continue
        wh = earlier.get((e.id, HitStatus.pending))
        if wh is None or wh.deadline < now:
            wh = WatchlistHit(
                id=uuid.uuid4(),
                entry_id=e.id,
                owner_agency_id=e.owner_agency_id,
                query_identity=identity,
                query=query,
                record_type=e.target_type,
                record_id=e.target_id,
                score=hit.score if hit.score is not None else 1.0,
                screened_by=viewer.user_id,
                screening_agency_id=viewer.agency_id,
                created_at=now,
                deadline=now + timedelta(hours=RESPONSE_HOURS),
            )
            session.add(wh)
            session.flush()
            session.add(
                Notification(
                    agency_id=e.owner_agency_id,
                    kind="watchlist_hit",
                    hit_id=wh.id,
                    message=(
                        f"Watchlist hit on {e.target_type} {e.target_id} by {viewer.username} "
                        f"({viewer.country}); answer by {wh.deadline:%Y-%m-%d %H:%M} UTC"
                    )[:1000],
                    created_at=now,
                )
            )
            new += 1
        alert.hit_id, alert.deadline = wh.id, wh.deadline
        hit.watchlist.append(alert)
    session.flush()
    return new


def hit_out(h: WatchlistHit) -> HitOut:
    return HitOut(
        id=h.id,
        entry_id=h.entry_id,
        record_type=h.record_type,
        record_id=h.record_id,
        score=h.score,
        query=h.query,
        created_at=h.created_at,
        deadline=h.deadline,
        status=h.status,
        overdue=h.status == HitStatus.pending and h.deadline < utcnow(),
        decision_note=h.decision_note,
    )


def list_hits(
    session: Session, viewer: Viewer | None, status: HitStatus | None = None
) -> list[HitOut]:
    """Watchlist hits on the own agency's entries, oldest deadline first."""
    v = require(viewer, Perm.read)
    stmt = select(WatchlistHit).where(WatchlistHit.owner_agency_id == v.agency_id)
    if status is not None:
        stmt = stmt.where(WatchlistHit.status == status)
    rows = session.execute(stmt.order_by(WatchlistHit.deadline).limit(500)).scalars().all()
    return [hit_out(h) for h in rows]


def decide(session: Session, viewer: Viewer | None, hit_id: uuid.UUID, data: HitDecision) -> HitOut:
    """The owner agency confirms or rejects a hit; audited."""
    v = require(viewer, Perm.write)
    h = session.get(WatchlistHit, hit_id)
    if h is None or h.owner_agency_id != v.agency_id:
        raise NotFound("watchlist hit not found")
    if data.status == HitStatus.pending:
        raise ValidationFailed([{"field": "status", "message": "confirmed or rejected"}])
    if h.status != HitStatus.pending:
        raise Forbidden(f"already {h.status.value}")
    before = {"status": h.status.value}
    h.status = data.status
    h.decided_by, h.decided_at, h.decision_note = v.user_id, utcnow(), data.note
    session.flush()
    audit.record(
        session, v, "update", "watchlist_hit", record_id=h.id, owners=[h.owner_agency_id],
        before=before, after={"status": h.status.value, "note": data.note},
    )  # fmt: skip
    return hit_out(h)


def notifications(
    session: Session, viewer: Viewer | None, *, unread_only: bool = False, mark_read: bool = False
) -> list[NotificationOut]:
    v = require(viewer, Perm.read)
    stmt = select(Notification).where(Notification.agency_id == v.agency_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    rows = session.execute(stmt.order_by(Notification.created_at.desc()).limit(200)).scalars()
    out = []
    now = utcnow()
    for n in rows:
        out.append(NotificationOut.model_validate(n, from_attributes=True))
        if mark_read and n.read_at is None:
            n.read_at = now
    session.flush()
    return out
