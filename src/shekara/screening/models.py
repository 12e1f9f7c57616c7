"""Tables of the screening service: the key index, watchlists and their hits, notifications,
and entity resolution (candidate pairs, analysts' judgements, clusters).

The key index (``screening_keys``) is derived data: it can always be rebuilt from the records
(``shekara screen reindex``). Triggers installed by the migration queue every change of a
person, name, document or vehicle in ``screening_dirty``; the service folds the queue into the
index before it answers, so records written by any code path are screened correctly.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shekara.db.base import Base, UTCDateTime, new_id, str_enum, utcnow
from shekara.policy.models import SharedRecord

#: SQLite only auto-increments an INTEGER PRIMARY KEY: BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class KeyKind(StrEnum):
    name = "name"  # one part of a name (skeleton, variants, stem): record_type person
    pair = "pair"  # two parts of one name together (order-free): record_type person
    pair_year = "pairy"  # a full pair key plus the year of birth (common names)
    doc = "doc"  # document number match key: record_type document
    plate = "plate"  # plate match key: record_type vehicle
    vin = "vin"  # VIN: record_type vehicle


class RecordType(StrEnum):
    person = "person"
    document = "document"
    vehicle = "vehicle"


class ScreeningKey(Base):
    """One lookup key of one record (many rows per record)."""

    __tablename__ = "screening_keys"
    __table_args__ = (Index("ix_screening_keys_lookup", "kind", "key", "record_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(80))
    record_type: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)


class ScreeningDirty(Base):
    """Queue of records changed since the index last caught up (filled by triggers)."""

    __tablename__ = "screening_dirty"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_type: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[uuid.UUID] = mapped_column()


class ScreeningState(Base):
    """Small key/value facts about the index (last rebuild, counts)."""

    __tablename__ = "screening_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(4000), default="")


# --------------------------------------------------------------------------------------------
# Watchlists
# --------------------------------------------------------------------------------------------


class HitAction(StrEnum):
    """What the officer does when the screened person, document or vehicle is on the list."""

    arrest = "arrest"
    refuse_entry = "refuse_entry"
    discreet_check = "discreet_check"
    specific_check = "specific_check"
    inform_owner = "inform_owner"


class HitStatus(StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    rejected = "rejected"


class WatchlistEntry(SharedRecord, Base):
    """A person, document or vehicle to look out for; shared like any record."""

    __tablename__ = "watchlist_entries"
    __extra_args__ = (Index("ix_watchlist_entries_target", "target_type", "target_id"),)

    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[uuid.UUID] = mapped_column()
    reason: Mapped[str] = mapped_column(String(1000))
    action: Mapped[HitAction] = mapped_column(str_enum(HitAction))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)


class WatchlistHit(Base):
    """A screening result that matched a watchlist entry: the owner must answer by ``deadline``."""

    __tablename__ = "watchlist_hits"
    __table_args__ = (Index("ix_watchlist_hits_pair", "entry_id", "query_identity"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("watchlist_entries.id"), index=True)
    owner_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    #: order-free key of what was screened (name key, date of birth, document or plate key)
    query_identity: Mapped[str] = mapped_column(String(300))
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    record_type: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[uuid.UUID] = mapped_column()
    score: Mapped[float] = mapped_column(Float)
    screened_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    screening_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[HitStatus] = mapped_column(str_enum(HitStatus), default=HitStatus.pending)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(1000), default="")


class Notification(Base):
    """A message to an agency (the owner of a watchlist entry that was hit)."""

    __tablename__ = "screening_notifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    hit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("watchlist_hits.id"))
    message: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --------------------------------------------------------------------------------------------
# Entity resolution
# --------------------------------------------------------------------------------------------


class Verdict(StrEnum):
    positive = "positive"
    negative = "negative"
    unsure = "unsure"


class ResolutionPair(Base):
    """Two records (of different agencies) that may describe the same person or vehicle."""

    __tablename__ = "resolution_pairs"
    __table_args__ = (UniqueConstraint("left_id", "right_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    record_type: Mapped[str] = mapped_column(String(10))
    left_id: Mapped[uuid.UUID] = mapped_column()  # the smaller id of the two
    right_id: Mapped[uuid.UUID] = mapped_column(index=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: the latest analyst judgement (None until judged)
    verdict: Mapped[Verdict | None] = mapped_column(str_enum(Verdict))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Judgement(Base):
    """An analyst's judgement on a pair; kept as history, never rewrites the records."""

    __tablename__ = "resolution_judgements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    pair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resolution_pairs.id"), index=True)
    verdict: Mapped[Verdict] = mapped_column(str_enum(Verdict))
    note: Mapped[str] = mapped_column(String(1000), default="")
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClusterMember(Base):
    """Membership of a record in a confirmed cluster; ``cluster_id`` is the stable canonical id."""

    __tablename__ = "resolution_members"

    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    cluster_id: Mapped[uuid.UUID] = mapped_column(index=True)
    record_type: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
