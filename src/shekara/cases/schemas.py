from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from shekara.cases.constants import CaseStatus
from shekara.records.schemas import LinkOut, RecordOut, SharingIn, SharingUpdate


class CaseCreate(SharingIn):
    number: str = Field(min_length=1, max_length=60, examples=["KZ-BS-2024-0117"])
    title: str = Field(min_length=1, max_length=300)
    incident_ids: list[uuid.UUID] = []


class CaseUpdate(SharingUpdate):
    title: str | None = Field(None, min_length=1, max_length=300)
    incident_ids: list[uuid.UUID] | None = None


class StatusChange(BaseModel):
    status: CaseStatus
    note: str = Field("", max_length=2000)


class Handover(BaseModel):
    to_agency: str = Field(description="Code of the agency that takes the case over")
    note: str = Field("", max_length=2000)


class CaseEventOut(BaseModel):
    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    from_agency_id: uuid.UUID | None
    to_agency_id: uuid.UUID | None
    note: str


class CasePublic(RecordOut):
    number: str
    title: str
    status: CaseStatus
    opened_at: datetime
    incidents: list[LinkOut] = []
    events: list[CaseEventOut] = []
