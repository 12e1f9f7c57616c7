from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shekara.db.base import Base, UTCDateTime
from shekara.policy.models import SharedRecord


class Crossing(SharedRecord, Base):
    __tablename__ = "crossings"
    __extra_args__ = (Index("ix_crossings_checkpoint_id", "checkpoint_id", "crossed_at"),)

    direction: Mapped[str] = mapped_column(String(5))  # entry, exit
    crossed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    checkpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vehicles.id"), index=True)
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    inspecting_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    # At a joint checkpoint one inspection serves both countries: both codes are listed.
    inspected_for: Mapped[list[str]] = mapped_column(JSON, default=list)
    result: Mapped[str] = mapped_column(String(20))  # cleared, refused, detained, seized, referred
