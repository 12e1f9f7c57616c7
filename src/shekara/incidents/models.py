from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Float, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shekara.db.base import Base, UTCDateTime, new_id
from shekara.policy.models import POLICY_COLUMNS, SharedRecord


class Incident(SharedRecord, Base):
    __tablename__ = "incidents"
    # Policy columns included: see persons.models (index-only filtered counts).
    __extra_args__ = (
        Index(
            "ix_incidents_category",
            "category",
            "occurred_at",
            postgresql_include=["id", *POLICY_COLUMNS],
        ),
    )

    reference: Mapped[str] = mapped_column(String(60), default="")
    category: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    place_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id"), index=True)
    border_section_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(8000), default="")

    # one order on every read (ids are time-ordered, to the millisecond)
    involvements: Mapped[list[Involvement]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="Involvement.id"
    )
    seizures: Mapped[list[Seizure]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="Seizure.id"
    )


class Involvement(Base):
    """Who or what took part in an incident, in which role (a link between two records)."""

    __tablename__ = "involvements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vehicles.id"), index=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    role: Mapped[str] = mapped_column(String(60))

    incident: Mapped[Incident] = relationship(back_populates="involvements")


class Seizure(Base):
    """What was seized in an incident; it shares its incident's owner and distribution."""

    __tablename__ = "seizures"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    commodity: Mapped[str] = mapped_column(String(60), index=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unit: Mapped[str] = mapped_column(String(10))
    normalised_quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    normalised_unit: Mapped[str] = mapped_column(String(10))  # kg, l, pcs, or a currency code
    concealment: Mapped[str | None] = mapped_column(String(60))
    detection: Mapped[str | None] = mapped_column(String(60))
    origin_country: Mapped[str | None] = mapped_column(String(2))
    destination_country: Mapped[str | None] = mapped_column(String(2))
    origin_place_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id"))
    destination_place_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id"))
    transit_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(String(2000), default="")

    incident: Mapped[Incident] = relationship(back_populates="seizures")
