from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from shekara.records.schemas import LinkOut, RecordOut, SharingIn, SharingUpdate


class InvolvementIn(BaseModel):
    person_id: uuid.UUID | None = None
    vehicle_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    role: str = Field(
        max_length=60, description="Vocabulary involvement_role", examples=["suspect"]
    )

    @model_validator(mode="after")
    def _one_target(self) -> Any:
        n = sum(x is not None for x in (self.person_id, self.vehicle_id, self.organisation_id))
        if n != 1:
            raise ValueError("give exactly one of person_id, vehicle_id, organisation_id")
        return self


class SeizureIn(BaseModel):
    commodity: str = Field(max_length=60, description="Vocabulary commodity", examples=["heroin"])
    quantity: Decimal = Field(ge=0, max_digits=18, decimal_places=4, examples=["12.5"])
    unit: str = Field(
        max_length=10,
        description="g, kg, t, ml, l, m3, pcs, pack, carton or a currency code",
        examples=["kg"],
    )
    concealment: str | None = Field(None, max_length=60, description="Vocabulary concealment")
    detection: str | None = Field(None, max_length=60, description="Vocabulary detection")
    origin_country: str | None = Field(None, min_length=2, max_length=2)
    destination_country: str | None = Field(None, min_length=2, max_length=2)
    transit_countries: list[str] = []
    origin_place_id: uuid.UUID | None = None
    destination_place_id: uuid.UUID | None = None
    notes: str = Field("", max_length=2000)


class SeizureOut(SeizureIn):
    id: uuid.UUID
    normalised_quantity: Decimal
    normalised_unit: str


class IncidentCreate(SharingIn):
    reference: str = Field("", max_length=60)
    category: str = Field(
        max_length=60, description="Vocabulary threat_category", examples=["drug_trafficking"]
    )
    occurred_at: AwareDatetime
    place_id: uuid.UUID | None = None
    border_section_id: uuid.UUID | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    summary: str = Field(min_length=1, max_length=500)
    description: str = Field("", max_length=8000)
    involvements: list[InvolvementIn] = []
    seizures: list[SeizureIn] = []


class IncidentUpdate(SharingUpdate):
    reference: str | None = Field(None, max_length=60)
    category: str | None = Field(None, max_length=60)
    occurred_at: AwareDatetime | None = None
    place_id: uuid.UUID | None = None
    border_section_id: uuid.UUID | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    summary: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=8000)
    involvements: list[InvolvementIn] | None = None
    seizures: list[SeizureIn] | None = None


class IncidentPublic(RecordOut):
    reference: str
    category: str
    occurred_at: datetime
    place: LinkOut | None = None
    place_id: uuid.UUID | None
    border_section_id: uuid.UUID | None
    lat: float | None
    lon: float | None
    summary: str
    description: str
    persons: list[LinkOut] = []
    vehicles: list[LinkOut] = []
    organisations: list[LinkOut] = []
    seizures: list[SeizureOut] = []
    cases: list[LinkOut] = []
