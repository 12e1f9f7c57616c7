from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, Field

from shekara.records.schemas import LinkOut, RecordOut, SharingIn, SharingUpdate


class CrossingCreate(SharingIn):
    direction: str = Field(pattern="^(entry|exit)$")
    crossed_at: AwareDatetime
    checkpoint_id: uuid.UUID
    person_id: uuid.UUID | None = None
    vehicle_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
    inspecting_agency: str | None = Field(None, description="Agency code; the caller's by default")
    inspected_for: list[str] = Field(
        default_factory=list,
        description="Countries this inspection serves (both, at a joint checkpoint)",
    )
    result: str = Field(description="Vocabulary crossing_result", examples=["cleared"])


class CrossingUpdate(SharingUpdate):
    result: str | None = None


class CrossingPublic(RecordOut):
    direction: str
    crossed_at: datetime
    checkpoint_id: uuid.UUID
    checkpoint: LinkOut | None = None
    person: LinkOut | None = None
    vehicle: LinkOut | None = None
    inspecting_agency_id: uuid.UUID
    inspected_for: list[str]
    result: str
