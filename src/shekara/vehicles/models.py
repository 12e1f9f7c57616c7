from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shekara.db.base import Base
from shekara.policy.models import SharedRecord


class Vehicle(SharedRecord, Base):
    __tablename__ = "vehicles"

    plate: Mapped[str] = mapped_column(String(20))
    plate_key: Mapped[str] = mapped_column(String(20), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    vin: Mapped[str] = mapped_column(String(17), default="", index=True)
    kind: Mapped[str] = mapped_column(String(20), default="car")
    make: Mapped[str] = mapped_column(String(60), default="")
    model: Mapped[str] = mapped_column(String(60), default="")
    colour: Mapped[str] = mapped_column(String(30), default="")
    tracker_id: Mapped[str] = mapped_column(String(40), default="")
    seal_id: Mapped[str] = mapped_column(String(40), default="")
