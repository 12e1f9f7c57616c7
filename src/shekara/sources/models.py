from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shekara.db.base import Base, UTCDateTime
from shekara.policy.models import SharedRecord


class Source(SharedRecord, Base):
    __tablename__ = "sources"

    kind: Mapped[str] = mapped_column(String(20))  # report, article, informant, other
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000), default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
