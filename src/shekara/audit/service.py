"""Writing, sealing and verifying the audit log.

An entry is written in the same transaction as the action it records: a read that cannot be
audited fails, and a change and its entry commit or roll back together. Writing takes no lock,
so concurrent requests do not queue behind each other. The *sealer* then chains committed
entries: it numbers them (``chain_pos``) in the order it finds them and sets
``hash = SHA-256(prev_hash + canonical JSON of the entry)``. It runs every second in each server
process (one at a time, under a database lock), and before ``shekara audit verify``.

``verify`` walks the chain and reports an entry whose content no longer matches its hash
(changed), a broken link (an entry deleted or re-ordered), and an entry left unsealed for longer
than the grace period (inserted behind the service's back, or a stopped sealer).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Table,
    Uuid,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from shekara.audit.models import AuditAccess, AuditEntry
from shekara.db.base import utcnow
from shekara.db.driver import pg_rows
from shekara.db.engine import get_backend
from shekara.policy.sharing import Viewer

GENESIS = "0" * 64
UNSEALED_GRACE = timedelta(minutes=10)


def _canon(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def entry_digest(prev_hash: str, e: Any) -> str:
    """The chained hash of one entry (an :class:`AuditEntry` or a row of its columns): every
    field but ``chain_pos``, ``prev_hash`` and ``hash``."""
    body = {
        "seq": e.seq,
        "at": e.at.isoformat(timespec="microseconds"),
        "user_id": _canon(e.user_id),
        "username": e.username,
        "agency_id": _canon(e.agency_id),
        "action": e.action,
        "resource": e.resource,
        "record_id": _canon(e.record_id),
        "owner_agency_id": _canon(e.owner_agency_id),
        "query": _canon(e.query),
        "result_ids": _canon(e.result_ids),
        "before": _canon(e.before),
        "after": _canon(e.after),
        "ip": e.ip,
        "purpose": e.purpose,
    }
    raw = prev_hash + json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


_INSERT_ENTRY = insert(cast(Table, AuditEntry.__table__))
#: the columns of an entry without JSON values (a record read): the others stay NULL, which
#: reads back as None like the JSON ``null`` that Core writes for them
_PLAIN_COLUMNS = (
    "at", "user_id", "username", "agency_id", "action", "resource", "record_id",
    "owner_agency_id", "ip", "purpose",
)  # fmt: skip
_INSERT_PLAIN_ENTRY = _INSERT_ENTRY.values({k: bindparam(k) for k in _PLAIN_COLUMNS})


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
    actor: str = "",
) -> None:
    """Append one entry in the caller's transaction (``actor`` names a non-user, e.g. the CLI)."""
    counts = Counter(owners)
    single = next(iter(counts)) if len(counts) == 1 and record_id is not None else None
    values: dict[str, Any] = {
        "at": utcnow(),
        "user_id": viewer.user_id if viewer else None,
        "username": viewer.username if viewer else actor,
        "agency_id": viewer.agency_id if viewer else None,
        "action": action,
        "resource": resource,
        "record_id": record_id,
        "owner_agency_id": single,
        "query": _canon(query) if query is not None else None,
        "result_ids": [str(i) for i in result_ids] if result_ids is not None else None,
        "before": _canon(before) if before is not None else None,
        "after": _canon(after) if after is not None else None,
        "ip": viewer.ip if viewer else "",
        "purpose": viewer.purpose if viewer else "",
    }
    if not counts or single is not None:
        # The common case (one record read or changed): one plain INSERT on the session's
        # connection (same transaction), skipping the ORM's bulk-insert machinery; on
        # PostgreSQL through the driver when it carries no JSON value (a read).
        conn = session.connection()
        if (
            conn.dialect.name == "postgresql"
            and query is None
            and result_ids is None
            and before is None
            and after is None
        ):
            pg_rows(conn, _INSERT_PLAIN_ENTRY, {k: values[k] for k in _PLAIN_COLUMNS})
            return
        conn.execute(_INSERT_ENTRY, values)
        return
    # Lists, searches, exports, screening: the entry and its owners (Core, on the session's
    # connection). On PostgreSQL one statement writes both, one round trip.
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(
            _pg_entry_with_owners(),
            {
                **{f"e_{k}": v for k, v in values.items()},
                "a_owners": list(counts),
                "a_counts": list(counts.values()),
            },
        )
        return
    seq = conn.execute(_INSERT_ENTRY_SEQ, values).scalar_one()
    conn.execute(
        _INSERT_ACCESS,
        [{"seq": seq, "owner_agency_id": a, "count": n} for a, n in counts.items()],
    )


_INSERT_ENTRY_SEQ = _INSERT_ENTRY.returning(cast(Table, AuditEntry.__table__).c.seq)
_INSERT_ACCESS = insert(cast(Table, AuditAccess.__table__))


@lru_cache(maxsize=1)
def _pg_entry_with_owners() -> Any:
    """``WITH e AS (INSERT INTO audit_log ... RETURNING seq) INSERT INTO audit_access SELECT
    e.seq, owner, count FROM e, unnest(:owners, :counts)``: values of the entry are bound as
    ``e_<column>``, the owners and their counts as two arrays."""
    log = cast(Table, AuditEntry.__table__)
    access = cast(Table, AuditAccess.__table__)
    columns = [c for c in log.c if c.name not in ("seq", "chain_pos", "prev_hash", "hash")]
    entry = (
        insert(log)
        .values({c.name: bindparam(f"e_{c.name}", type_=c.type) for c in columns})
        .returning(log.c.seq)
        .cte("e")
    )
    owners = select(
        func.unnest(bindparam("a_owners", type_=ARRAY(Uuid()))).label("owner"),
        func.unnest(bindparam("a_counts", type_=ARRAY(Integer()))).label("n"),
    ).subquery("o")
    return insert(access).from_select(
        ["seq", "owner_agency_id", "count"],
        select(entry.c.seq, owners.c.owner, owners.c.n).select_from(entry.join(owners, true())),
    )


def record_many(
    session: Session,
    action: str,
    resource: str,
    entries: Iterable[tuple[uuid.UUID, uuid.UUID, dict[str, Any] | None]],
    *,
    actor: str,
) -> None:
    """`record` by a non-user ``actor`` for many records, each with one owner:
    ``entries`` are (record id, owner agency id, after). One multi-row INSERT."""
    at = utcnow()
    rows = [
        {
            "at": at,
            "user_id": None,
            "username": actor,
            "agency_id": None,
            "action": action,
            "resource": resource,
            "record_id": record_id,
            "owner_agency_id": owner,
            "query": None,
            "result_ids": None,
            "before": None,
            "after": _canon(after) if after is not None else None,
            "ip": "",
            "purpose": "",
        }
        for record_id, owner, after in entries
    ]
    if rows:
        session.connection().execute(_INSERT_ENTRY, rows)


_HASHED = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.user_id,
    AuditEntry.username,
    AuditEntry.agency_id,
    AuditEntry.action,
    AuditEntry.resource,
    AuditEntry.record_id,
    AuditEntry.owner_agency_id,
    AuditEntry.query,
    AuditEntry.result_ids,
    AuditEntry.before,
    AuditEntry.after,
    AuditEntry.ip,
    AuditEntry.purpose,
)
_AUDIT_TABLE = cast(Table, AuditEntry.__table__)
_SEAL_ENTRY = (
    update(_AUDIT_TABLE)
    .where(_AUDIT_TABLE.c.seq == bindparam("s_seq"))
    .values(chain_pos=bindparam("s_pos"), prev_hash=bindparam("s_prev"), hash=bindparam("s_hash"))
)
# PostgreSQL: the whole batch in one statement (one round trip, one plan) instead of one
# UPDATE per entry.
_PG_SEAL_BATCH = text(
    "UPDATE audit_log AS a SET chain_pos = v.pos, prev_hash = v.prev, hash = v.hash "
    "FROM unnest(CAST(:seqs AS bigint[]), CAST(:positions AS bigint[]), "
    "CAST(:prevs AS varchar[]), CAST(:hashes AS varchar[])) AS v(seq, pos, prev, hash) "
    "WHERE a.seq = v.seq"
)


def seal(session: Session, batch: int = 5000, wait: bool = True) -> int:
    """Chain the committed entries not yet sealed; returns how many. Commit afterwards.

    With ``wait=False`` (the background sealer), return 0 at once when another process is
    sealing: it will chain these entries too.

    Reads only the hashed columns (no ORM objects) and writes the batch's positions and hashes
    in one statement: at a thousand reads a second the sealer chains a thousand entries a second
    in each server process's spare time.
    """
    backend = get_backend(session)
    if not backend.lock_audit_chain(session, wait=wait):
        return 0
    if backend.name == "postgresql":
        # Walk ix_audit_log_unsealed with a plain index scan, which marks the index entries of
        # entries sealed since the last vacuum as dead the first time it meets them (a bitmap
        # scan, which the planner prefers for a few rows, would re-read them every second).
        session.execute(text("SET LOCAL enable_bitmapscan = off"))
    head = session.execute(
        select(AuditEntry.chain_pos, AuditEntry.hash)
        .where(AuditEntry.chain_pos.isnot(None))
        .order_by(AuditEntry.chain_pos.desc())
        .limit(1)
    ).first()
    pos, prev = (int(head[0] or 0), str(head[1])) if head else (0, GENESIS)
    rows = session.execute(
        select(*_HASHED).where(AuditEntry.chain_pos.is_(None)).order_by(AuditEntry.seq).limit(batch)
    ).all()
    if not rows:
        return 0
    seqs, positions, prevs, hashes = [], [], [], []
    for e in rows:
        pos += 1
        digest = entry_digest(prev, e)
        seqs.append(e.seq)
        positions.append(pos)
        prevs.append(prev)
        hashes.append(digest)
        prev = digest
    if backend.name == "postgresql":
        session.execute(
            _PG_SEAL_BATCH,
            {"seqs": seqs, "positions": positions, "prevs": prevs, "hashes": hashes},
        )
    else:
        session.connection().execute(
            _SEAL_ENTRY,
            [
                {"s_seq": s, "s_pos": p, "s_prev": ph, "s_hash": h}
                for s, p, ph, h in zip(seqs, positions, prevs, hashes, strict=True)
            ],
        )
    # Entries loaded as objects earlier in this session would hold stale chain columns.
    session.expire_all()
    return len(rows)


def seal_all(session: Session) -> int:
    total = 0
    while n := seal(session):
        total += n
    return total


@dataclass
class VerifyProblem:
    seq: int
    reason: str


def verify(session: Session, batch: int = 5000) -> Iterator[tuple[int, VerifyProblem | None]]:
    """Walk the chain in order; yield (seq, problem or None) for progress reporting."""
    prev_hash = GENESIS
    last = 0
    while True:
        rows = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.chain_pos > last)
                .order_by(AuditEntry.chain_pos)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for e in rows:
            assert e.chain_pos is not None
            problem: VerifyProblem | None = None
            if e.chain_pos != last + 1:
                problem = VerifyProblem(
                    e.seq, f"chain entries {last + 1}..{e.chain_pos - 1} are missing (deleted)"
                )
            elif e.prev_hash != prev_hash:
                problem = VerifyProblem(
                    e.seq, "does not link to the entry before it (an entry was deleted or changed)"
                )
            elif entry_digest(prev_hash, e) != e.hash:
                problem = VerifyProblem(e.seq, "content does not match its hash (changed)")
            yield e.seq, problem
            prev_hash, last = e.hash or "", e.chain_pos
        session.expunge_all()
    stale = (
        session.execute(
            select(AuditEntry.seq).where(
                AuditEntry.chain_pos.is_(None), AuditEntry.at < utcnow() - UNSEALED_GRACE
            )
        )
        .scalars()
        .all()
    )
    for seq in stale:
        yield (
            seq,
            VerifyProblem(
                seq,
                "left unsealed past the grace period "
                "(written outside the service, or the sealer stopped)",
            ),
        )


def head(session: Session) -> tuple[int, str]:
    """(position, hash) of the last sealed entry: keep it outside to detect a cut tail."""
    row = session.execute(
        select(AuditEntry.chain_pos, AuditEntry.hash)
        .where(AuditEntry.chain_pos.isnot(None))
        .order_by(AuditEntry.chain_pos.desc())
        .limit(1)
    ).first()
    return (int(row[0] or 0), str(row[1])) if row else (0, GENESIS)


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
    base = select(AuditEntry).where(
        or_(
            AuditEntry.owner_agency_id == owner_agency_id,
            AuditEntry.seq.in_(
                select(AuditAccess.seq).where(AuditAccess.owner_agency_id == owner_agency_id)
            ),
        )
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
