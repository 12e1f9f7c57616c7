from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shekara.db.base import Base, TimestampMixin, new_id, str_enum
from shekara.places.constants import CheckpointKind, ImpactLevel, PlaceKind, Precision


class Place(TimestampMixin, Base):
    __tablename__ = "places"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[PlaceKind] = mapped_column(str_enum(PlaceKind), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200), default="")
    name_kk: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)
    country2: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    precision: Mapped[Precision] = mapped_column(str_enum(Precision), default=Precision.approximate)
    checkpoint_kind: Mapped[CheckpointKind | None] = mapped_column(str_enum(CheckpointKind))
    impact_level: Mapped[ImpactLevel | None] = mapped_column(str_enum(ImpactLevel))
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id"))
    population: Mapped[int | None] = mapped_column()

    def name(self, locale: str) -> str:
        return str(getattr(self, f"name_{locale}", None) or self.name_en)
