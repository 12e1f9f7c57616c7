from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shekara.db.base import Base, new_id
from shekara.policy.models import SharedRecord


class Organisation(SharedRecord, Base):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(300))
    search_key: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="company")  # company, criminal_group
    country: Mapped[str | None] = mapped_column(String(2))
    notes: Mapped[str] = mapped_column(String(4000), default="")


class Membership(Base):
    """A person's membership of an organisation (a link: shown when both ends are visible)."""

    __tablename__ = "memberships"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    role: Mapped[str] = mapped_column(String(60), default="member")
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
