"""Tracking tables: devices, fixes, latest positions, rule state, trips and alerts.

Devices, trips and alerts are shared records (owner agency, distribution…): the one sharing
policy, :func:`shekara.policy.sharing.visible`, decides who sees them. Fixes and latest positions
belong to their device and are visible exactly when the device is.

``tracking_fixes`` is the high-volume table: typed columns, a primary key of
(device_id, fix_time, fix_key) where ``fix_key`` is a hash of the fix's content, so a fix that a
device sends again (because its acknowledgement was lost) is stored once. On PostgreSQL the
migration creates it partitioned by range of ``fix_time`` (monthly partitions); it carries no
foreign key, to keep inserts cheap and partitions detachable.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

import shekara.accounts.models  # noqa: F401 - the tables referenced below: users,
import shekara.agencies.models  # noqa: F401 - agencies,
import shekara.places.models  # noqa: F401 - places,
import shekara.vehicles.models  # noqa: F401 - vehicles
from shekara.db.base import Base, UTCDateTime, str_enum, utcnow
from shekara.policy.models import SharedRecord
from shekara.tracking.constants import AlertKind, AlertStatus, DeviceKind, Severity, TripStatus


class Device(SharedRecord, Base):
    """A tracker, electronic seal, patrol unit or UAV, registered by an administrator."""

    __tablename__ = "tracking_devices"
    __extra_args__ = (Index("ix_tracking_devices_identifier", "identifier", unique=True),)

    kind: Mapped[DeviceKind] = mapped_column(str_enum(DeviceKind))
    identifier: Mapped[str] = mapped_column(String(40))
    """IMEI or EGTS terminal id, as the device identifies itself."""
    label: Mapped[str] = mapped_column(String(120), default="")
    protocol: Mapped[str] = mapped_column(String(20), default="any")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    """SHA-256 of the device's HTTP ingest token."""
    device_class: Mapped[str] = mapped_column(String(40), default="truck_tracker")
    report_period_s: Mapped[int] = mapped_column(Integer, default=60)
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vehicles.id"), index=True)
    patrol_name: Mapped[str] = mapped_column(String(120), default="")
    sector_place_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FixRow(Base):
    """One stored position report (every fix: invalid and black-box ones too)."""

    __tablename__ = "tracking_fixes"
    __table_args__ = (Index("ix_tracking_fixes_fix_time", "fix_time"),)

    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    fix_time: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    fix_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    speed: Mapped[float | None] = mapped_column(Float)
    course: Mapped[float | None] = mapped_column(Float)
    altitude: Mapped[float | None] = mapped_column(Float)
    sats: Mapped[int | None] = mapped_column(SmallInteger)
    hdop: Mapped[float | None] = mapped_column(Float)
    valid: Mapped[bool] = mapped_column(Boolean)
    blackbox: Mapped[bool] = mapped_column(Boolean, default=False)
    protocol: Mapped[str] = mapped_column(String(20), default="")
    flags: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Alarms and every other parameter the device sent."""


class LatestPosition(Base):
    """The newest fix (by fix time) of each device: what the live map shows."""

    __tablename__ = "tracking_latest_positions"
    __table_args__ = (Index("ix_tracking_latest_positions_received_at", "received_at"),)

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracking_devices.id", ondelete="CASCADE"), primary_key=True
    )
    fix_time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    speed: Mapped[float | None] = mapped_column(Float)
    course: Mapped[float | None] = mapped_column(Float)
    valid: Mapped[bool] = mapped_column(Boolean)
    last_valid_lat: Mapped[float | None] = mapped_column(Float)
    last_valid_lon: Mapped[float | None] = mapped_column(Float)


class RuleState(Base):
    """What the rule processor remembers about a device between fixes (JSON, see rules.py)."""

    __tablename__ = "tracking_rule_states"

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracking_devices.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_fix_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Server time of the last live fix: the signal-lost sweep compares it with now."""
    silent_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Trip(SharedRecord, Base):
    """A transit under customs control: truck, seal, declared corridor, stops, deadline."""

    __tablename__ = "tracking_trips"
    __extra_args__ = (Index("ix_tracking_trips_status", "status"),)

    reference: Mapped[str] = mapped_column(String(60), default="")
    """Transit declaration number."""
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vehicles.id"))
    tracker_device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracking_devices.id"), index=True
    )
    seal_device_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tracking_devices.id"), index=True
    )
    corridor: Mapped[dict[str, Any]] = mapped_column(JSON)
    """GeoJSON LineString of the declared route (longitude, latitude)."""
    corridor_width_m: Mapped[float] = mapped_column(Float, default=2000.0)
    allowed_stop_place_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    stop_radius_m: Mapped[float] = mapped_column(Float, default=1500.0)
    departure_place_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id"))
    destination_place_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id"))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[TripStatus] = mapped_column(str_enum(TripStatus), default=TripStatus.open)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_note: Mapped[str] = mapped_column(String(1000), default="")


class Alert(SharedRecord, Base):
    """Something the duty officer must look at; one open alert per device, trip and kind."""

    __tablename__ = "tracking_alerts"
    __extra_args__ = (
        Index("ix_tracking_alerts_device_kind", "device_id", "kind", "status"),
        Index("ix_tracking_alerts_status", "status", "first_fix_time"),
    )

    kind: Mapped[AlertKind] = mapped_column(str_enum(AlertKind))
    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracking_devices.id"))
    trip_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tracking_trips.id"), index=True)
    first_fix_time: Mapped[datetime] = mapped_column(UTCDateTime)
    last_fix_time: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    message: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    """Revealed by black-box (historic) data: no live alarm was raised for it."""
    status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus), default=AlertStatus.open)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_note: Mapped[str] = mapped_column(String(2000), default="")
