"""Writing and verifying the audit log.

Entries are written in the same transaction as the action they record: a read that cannot be
audited fails. Appends are serialised (advisory lock on PostgreSQL, the single writer on SQLite)
so that every entry's ``prev_hash`` is the hash of the entry before it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shekara.audit.models import AuditAccess, AuditEntry
from shekara.db.base import utcnow
from shekara.db.engine import get_backend
from shekara.policy.sharing import Viewer

GENESIS = "0" * 64


def _canon(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    return value


def entry_digest(prev_hash: str, e: AuditEntry) -> str:
    """The chained hash of one entry (every field but ``seq`` and ``hash``)."""
    body = {
        "at": e.at.isoformat(timespec="microseconds"),
        "user_id": _canon(e.user_id),
        "username": e.username,
        "agency_id": _canon(e.agency_id),
        "action": e.action,
        "resource": e.resource,
        "record_id": _canon(e.record_id),
        "query": _canon(e.query),
        "result_ids": _canon(e.result_ids),
        "before": _canon(e.before),
        "after": _canon(e.after),
        "ip": e.ip,
        "purpose": e.purpose,
    }
    raw = prev_hash + json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def record(
    session: Session,
    viewer: Viewer | None,
    action: str,
    resource: str,
    *,
    record_id: uuid.UUID | None = None,
    owners: Iterable[uuid.UUID] = (),
    query: dict[str, Any] | None = None,
    result_ids: list[uuid.UUID] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction."""
    get_backend(session).lock_audit_chain(session)
    prev = session.execute(
        select(AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).scalar_one_or_none()
    at = utcnow()
    entry = AuditEntry(
        at=at.replace(microsecond=at.microsecond),
        user_id=viewer.user_id if viewer else None,
        username=viewer.username if viewer else "",
        agency_id=viewer.agency_id if viewer else None,
        action=action,
        resource=resource,
        record_id=record_id,
        query=_canon(query) if query is not None else None,
        result_ids=[str(i) for i in result_ids] if result_ids is not None else None,
        before=_canon(before) if before is not None else None,
        after=_canon(after) if after is not None else None,
        ip=viewer.ip if viewer else "",
        purpose=viewer.purpose if viewer else "",
        prev_hash=prev or GENESIS,
    )
    entry.hash = entry_digest(entry.prev_hash, entry)
    session.add(entry)
    session.flush()
    counts = Counter(owners)
    if counts:
        session.add_all(
            AuditAccess(seq=entry.seq, owner_agency_id=a, count=n) for a, n in counts.items()
        )
    return entry


@dataclass
class VerifyProblem:
    seq: int
    reason: str


def verify(session: Session, batch: int = 5000) -> Iterator[tuple[int, VerifyProblem | None]]:
    """Walk the chain in order; yield (seq, problem or None) for progress reporting.

    Finds a changed row (its hash no longer matches), a deleted row (the next row's prev_hash
    does not match, or a gap in seq), and a changed hash (the next row no longer links).
    """
    prev_hash = GENESIS
    prev_seq = 0
    last = 0
    while True:
        rows = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.seq > last)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        for e in rows:
            problem: VerifyProblem | None = None
            if e.prev_hash != prev_hash:
                problem = VerifyProblem(
                    e.seq, "does not link to the entry before it (an entry was deleted or changed)"
                )
            elif e.seq != prev_seq + 1 and prev_seq != 0:
                problem = VerifyProblem(e.seq, f"entries {prev_seq + 1}..{e.seq - 1} are missing")
            elif entry_digest(e.prev_hash, e) != e.hash:
                problem = VerifyProblem(e.seq, "content does not match its hash (changed)")
            yield e.seq, problem
            prev_hash, prev_seq, last = e.hash, e.seq, e.seq
        session.expunge_all()


def count_entries(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def accesses_to_owner(
    session: Session,
    owner_agency_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
    since: datetime | None = None,
) -> tuple[list[AuditEntry], int]:
    """Entries that touched records owned by ``owner_agency_id``, newest first."""
    base = (
        select(AuditEntry)
        .join(AuditAccess, AuditAccess.seq == AuditEntry.seq)
        .where(AuditAccess.owner_agency_id == owner_agency_id)
    )
    if since is not None:
        base = base.where(AuditEntry.at >= since)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = (
        session.execute(base.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
        .scalars()
        .all()
    )
    return list(rows), int(total)
