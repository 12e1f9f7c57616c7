"""API schemas of the tracking area (Create / Update / Public per entity)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shekara.policy.constants import Distribution
from shekara.telemetry.protocols.fix import Alarm, Fix
from shekara.tracking.constants import (
    PROTOCOLS,
    AlertKind,
    AlertStatus,
    DeviceKind,
    Severity,
    TripStatus,
)


class DeviceCreate(BaseModel):
    kind: DeviceKind
    identifier: str = Field(min_length=1, max_length=40, description="IMEI or terminal id")
    label: str = Field("", max_length=120)
    protocol: str = Field("any", description="egts, wialon_ips, http, mqtt or any")
    password: str | None = Field(None, max_length=100, description="Device password, if any")
    issue_token: bool = Field(False, description="Issue a token for HTTP ingest (shown once)")
    device_class: str = Field("truck_tracker", max_length=40)
    report_period_s: int | None = Field(
        None, ge=1, le=86400, description="Expected reporting period; default: the class's"
    )
    vehicle_id: uuid.UUID | None = None
    patrol_name: str = Field("", max_length=120)
    sector_place_id: uuid.UUID | None = None
    distribution: Distribution = Distribution.agency

    @field_validator("protocol")
    @classmethod
    def _protocol(cls, v: str) -> str:
        if v not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}")
        return v


class DeviceUpdate(BaseModel):
    label: str | None = Field(None, max_length=120)
    protocol: str | None = None
    password: str | None = Field(None, max_length=100)
    report_period_s: int | None = Field(None, ge=1, le=86400)
    vehicle_id: uuid.UUID | None = None
    patrol_name: str | None = Field(None, max_length=120)
    sector_place_id: uuid.UUID | None = None
    active: bool | None = None
    distribution: Distribution | None = None


class DevicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: DeviceKind
    identifier: str
    label: str
    protocol: str
    device_class: str
    report_period_s: int
    vehicle_id: uuid.UUID | None
    patrol_name: str
    sector_place_id: uuid.UUID | None
    active: bool
    owner_agency_id: uuid.UUID
    distribution: Distribution
    created_at: datetime


class DeviceCreated(DevicePublic):
    token: str | None = Field(None, description="HTTP ingest token (only in this answer)")


class TripCreate(BaseModel):
    reference: str = Field("", max_length=60, description="Transit declaration number")
    vehicle_id: uuid.UUID | None = None
    tracker_device_id: uuid.UUID
    seal_device_id: uuid.UUID | None = None
    corridor: dict[str, Any] = Field(description="GeoJSON LineString (longitude, latitude)")
    corridor_width_m: float = Field(2000.0, gt=0, le=200_000)
    allowed_stop_place_ids: list[uuid.UUID] = Field(default_factory=list)
    stop_radius_m: float = Field(1500.0, gt=0, le=50_000)
    departure_place_id: uuid.UUID | None = None
    destination_place_id: uuid.UUID | None = None
    deadline: datetime | None = None
    distribution: Distribution = Distribution.country

    @field_validator("corridor")
    @classmethod
    def _line(cls, v: dict[str, Any]) -> dict[str, Any]:
        from shekara.tracking.geofence import line_coords

        try:
            lines = line_coords(v)
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"corridor: {e}") from e
        if not lines or any(len(line) < 2 for line in lines):
            raise ValueError("corridor needs at least two points")
        for line in lines:
            for lon, lat in line:
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError("corridor coordinates must be longitude, latitude")
        return v


class TripClose(BaseModel):
    note: str = Field("", max_length=1000)
    cancelled: bool = False


class TripPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    reference: str
    vehicle_id: uuid.UUID | None
    tracker_device_id: uuid.UUID
    seal_device_id: uuid.UUID | None
    corridor: dict[str, Any]
    corridor_width_m: float
    allowed_stop_place_ids: list[str]
    stop_radius_m: float
    departure_place_id: uuid.UUID | None
    destination_place_id: uuid.UUID | None
    deadline: datetime | None
    status: TripStatus
    opened_at: datetime
    closed_at: datetime | None
    closing_note: str
    owner_agency_id: uuid.UUID


class GreenCorridor(BaseModel):
    trip_id: uuid.UUID
    eligible: bool
    reasons: list[str]


class AlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: AlertKind
    severity: Severity
    device_id: uuid.UUID
    trip_id: uuid.UUID | None
    first_fix_time: datetime
    last_fix_time: datetime
    raised_at: datetime
    lat: float | None
    lon: float | None
    occurrences: int
    message: str
    detail: dict[str, Any]
    late: bool
    status: AlertStatus
    assignee_id: uuid.UUID | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    closing_note: str
    owner_agency_id: uuid.UUID


class AlertAssign(BaseModel):
    assignee_id: uuid.UUID


class AlertClose(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


class IngestFix(BaseModel):
    fix_time: datetime
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    valid: bool = True
    speed: float | None = Field(None, ge=0, le=2000, description="km/h")
    course: float | None = Field(None, ge=0, lt=360)
    altitude: float | None = None
    sats: int | None = Field(None, ge=0, le=255)
    hdop: float | None = Field(None, ge=0)
    blackbox: bool = False
    alarms: list[str] = Field(default_factory=list, description="e.g. sos, tamper, seal_broken")
    params: dict[str, int | float | str | bool] = Field(default_factory=dict)

    @field_validator("fix_time")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("fix_time needs a time zone (use UTC, e.g. 2026-01-01T10:00:00Z)")
        return v


class IngestBody(BaseModel):
    fixes: list[IngestFix] = Field(min_length=1, max_length=5000)


class IngestResult(BaseModel):
    stored: int
    alerts: int


def fixes_from_body(device_id: str, body: IngestBody, protocol: str) -> list[Fix]:
    """The fixes of a JSON ingest body (HTTP or MQTT), received now; unknown alarms dropped."""
    now = datetime.now(UTC)
    known = {a.value for a in Alarm}
    return [
        Fix(
            device_id=device_id,
            fix_time=f.fix_time.astimezone(UTC),
            lat=f.lat,
            lon=f.lon,
            valid=f.valid and f.lat is not None and f.lon is not None,
            speed_kmh=f.speed,
            course_deg=f.course,
            altitude_m=f.altitude,
            satellites=f.sats,
            hdop=f.hdop,
            blackbox=f.blackbox,
            received_at=now,
            protocol=protocol,
            alarms=frozenset(Alarm(a) for a in f.alarms if a in known),
            params=dict(f.params),
        )
        for f in body.fixes
    ]
