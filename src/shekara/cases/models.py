from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shekara.cases.constants import CaseStatus
from shekara.db.base import Base, UTCDateTime, new_id, str_enum, utcnow
from shekara.policy.models import SharedRecord


class Case(SharedRecord, Base):
    __tablename__ = "cases"

    number: Mapped[str] = mapped_column(String(60), index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), default=CaseStatus.opened)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.at"
    )


class CaseEvent(Base):
    """A status change or a hand-over; the history is append-only."""

    __tablename__ = "case_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(10))  # status, handover, note
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    from_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    to_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(2000), default="")

    case: Mapped[Case] = relationship(back_populates="events")


class CaseIncident(Base):
    """An incident that belongs to a case (a link: shown when both ends are visible)."""

    __tablename__ = "case_incidents"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
