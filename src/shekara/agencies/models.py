from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shekara.agencies.constants import AgencyKind
from shekara.db.base import Base, TimestampMixin, new_id, str_enum


class Country(Base):
    """An ISO 3166 country; ``member`` marks the deployment's member countries."""

    __tablename__ = "countries"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    alpha3: Mapped[str] = mapped_column(String(3))
    name_en: Mapped[str] = mapped_column(String(100))
    name_ru: Mapped[str] = mapped_column(String(100))
    name_kk: Mapped[str] = mapped_column(String(100))
    member: Mapped[bool] = mapped_column(Boolean, default=False)


class Agency(TimestampMixin, Base):
    __tablename__ = "agencies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200), default="")
    name_kk: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    kind: Mapped[AgencyKind] = mapped_column(str_enum(AgencyKind))
    contact: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    country_ref: Mapped[Country] = relationship(lazy="joined")
