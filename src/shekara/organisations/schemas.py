from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from shekara.records.schemas import LinkOut, RecordOut, SharingIn, SharingUpdate


class MemberIn(BaseModel):
    person_id: uuid.UUID
    role: str = Field("member", max_length=60, examples=["leader", "courier"])
    since: date | None = None
    until: date | None = None


class OrganisationCreate(SharingIn):
    name: str = Field(min_length=1, max_length=300)
    kind: str = Field("company", pattern="^(company|criminal_group|other)$")
    country: str | None = Field(None, min_length=2, max_length=2)
    notes: str = Field("", max_length=4000)
    members: list[MemberIn] = []


class OrganisationUpdate(SharingUpdate):
    name: str | None = Field(None, min_length=1, max_length=300)
    kind: str | None = Field(None, pattern="^(company|criminal_group|other)$")
    country: str | None = Field(None, min_length=2, max_length=2)
    notes: str | None = Field(None, max_length=4000)
    members: list[MemberIn] | None = None


class OrganisationPublic(RecordOut):
    name: str
    kind: str
    country: str | None
    notes: str
    members: list[LinkOut] = []
    incidents: list[LinkOut] = []
