from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shekara.db.base import Base, UTCDateTime

BigIntPK = BigInteger().with_variant(Integer, "sqlite")


class AuditEntry(Base):
    """One audited action, written in the transaction of the action itself.

    The sealer (:func:`shekara.audit.service.seal`) then chains committed entries in the order it
    sees them: ``chain_pos`` numbers them, ``hash`` = SHA-256 over ``prev_hash`` and the entry.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(80), default="")
    agency_id: Mapped[uuid.UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(20))  # read, list, search, export, create, ...
    resource: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # The owner agency of the record touched, for single-record actions (reads, changes);
    # actions over many records (lists, searches, exports) use AuditAccess rows instead.
    owner_agency_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    query: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_ids: Mapped[list[str] | None] = mapped_column(JSON)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str] = mapped_column(String(64), default="")
    purpose: Mapped[str] = mapped_column(String(300), default="")
    chain_pos: Mapped[int | None] = mapped_column(BigIntPK, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        # What the sealer reads: the entries not yet chained, in order. Partial, so it holds
        # only those; an entry's old (unsealed) version left behind by the sealer's UPDATE is
        # marked dead by the first index scan that meets it, until vacuum removes it, so the
        # sealer does not re-read every entry sealed since the last vacuum.
        Index(
            "ix_audit_log_unsealed",
            "seq",
            postgresql_where=text("chain_pos IS NULL"),
            sqlite_where=text("chain_pos IS NULL"),
        ),
    )


class AuditAccess(Base):
    """Owner agencies of the records a multi-record action touched (for owners' view)."""

    __tablename__ = "audit_access"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(ForeignKey("audit_log.seq"), index=True)
    owner_agency_id: Mapped[uuid.UUID] = mapped_column(index=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
