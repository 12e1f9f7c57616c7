from __future__ import annotations

import uuid
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shekara.policy.constants import Distribution, HandlingCode, InfoCredibility, SourceReliability

T = TypeVar("T")


class SharingIn(BaseModel):
    """Who may see the record besides the owner agency, and how it may be used."""

    distribution: Distribution = Field(
        Distribution.agency, description="agency, country, partners or all"
    )
    hit_only: bool = Field(
        False, description="Others learn only that a record exists and whom to ask"
    )
    partner_countries: list[str] = Field(
        default_factory=list, description="ISO alpha-2 codes (distribution=partners)"
    )
    partner_agencies: list[str] = Field(
        default_factory=list, description="Agency codes (distribution=partners)"
    )
    handling_code: HandlingCode = HandlingCode.H0
    handling_note: str = Field("", max_length=500)
    source_reliability: SourceReliability = SourceReliability.X
    info_credibility: InfoCredibility = InfoCredibility.cannot_judge
    external_ref: str | None = Field(
        None, max_length=120, description="The source system's own id (makes imports idempotent)"
    )


class SharingUpdate(BaseModel):
    distribution: Distribution | None = None
    hit_only: bool | None = None
    partner_countries: list[str] | None = None
    partner_agencies: list[str] | None = None
    handling_code: HandlingCode | None = None
    handling_note: str | None = Field(None, max_length=500)
    source_reliability: SourceReliability | None = None
    info_credibility: InfoCredibility | None = None


class AgencyRef(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    country: str
    contact: str = ""


class SharingOut(BaseModel):
    owner_agency: AgencyRef
    distribution: Distribution
    hit_only: bool
    partner_countries: list[str] = []
    partner_agencies: list[str] = []
    handling_code: HandlingCode
    handling_note: str
    source_reliability: SourceReliability
    info_credibility: InfoCredibility
    external_ref: str | None = None


class RecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    sharing: SharingOut
    created_at: datetime
    updated_at: datetime
    editable: bool = False


class HitNotice(BaseModel):
    """What a hit/no-hit-only record tells anyone but its owner."""

    id: uuid.UUID
    type: str
    hit_only: bool = True
    owner_agency: AgencyRef
    message: str = "The owner agency holds information on this record; contact it to learn more."


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class LinkOut(BaseModel):
    """A link to another record, shown only when the viewer may see both ends."""

    id: uuid.UUID
    type: str
    label: str
    role: str = ""
