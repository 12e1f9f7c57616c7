from __future__ import annotations

from pydantic import BaseModel, Field

from shekara.records.schemas import LinkOut, RecordOut, SharingIn, SharingUpdate


class _VehicleFields(BaseModel):
    country: str | None = Field(None, min_length=2, max_length=2)
    vin: str = Field("", max_length=17)
    kind: str = Field("car", max_length=20, description="Vocabulary vehicle_kind")
    make: str = Field("", max_length=60)
    model: str = Field("", max_length=60)
    colour: str = Field("", max_length=30)
    tracker_id: str = Field("", max_length=40)
    seal_id: str = Field("", max_length=40)


class VehicleCreate(SharingIn, _VehicleFields):
    plate: str = Field(min_length=1, max_length=20, examples=["123 ABC 02"])


class VehicleUpdate(SharingUpdate):
    plate: str | None = Field(None, min_length=1, max_length=20)
    country: str | None = Field(None, min_length=2, max_length=2)
    vin: str | None = Field(None, max_length=17)
    kind: str | None = Field(None, max_length=20)
    make: str | None = Field(None, max_length=60)
    model: str | None = Field(None, max_length=60)
    colour: str | None = Field(None, max_length=30)
    tracker_id: str | None = Field(None, max_length=40)
    seal_id: str | None = Field(None, max_length=40)


class VehiclePublic(RecordOut, _VehicleFields):
    plate: str
    incidents: list[LinkOut] = []
    crossings: list[LinkOut] = []
