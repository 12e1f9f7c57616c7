"""API schemas of the screening service (requests, hits, watchlists, resolution)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shekara.records.schemas import AgencyRef, SharingIn
from shekara.screening.models import HitAction, HitStatus, Verdict


class PersonQuery(BaseModel):
    """A person to screen: names in any script and order, or the MRZ text of a document."""

    names: list[str] = Field(
        default_factory=list, max_length=10, description="Full names in any script and order"
    )
    birth_date: str | None = Field(
        None, max_length=20, description="1985, 1985-03, 1985-03-12 or 12.03.1985"
    )
    nationalities: list[str] = Field(
        default_factory=list, max_length=5, description="ISO alpha-2/alpha-3 or ICAO codes"
    )
    documents: list[str] = Field(default_factory=list, max_length=5)
    mrz: str | None = Field(None, max_length=400, description="Two or three MRZ lines")
    limit: int = Field(10, ge=1, le=100)
    lang: str | None = Field(None, description="en, ru or kk (else from Accept-Language)")


class DocumentQuery(BaseModel):
    number: str = Field(min_length=1, max_length=60)
    country: str | None = Field(None, max_length=3)
    limit: int = Field(10, ge=1, le=100)
    lang: str | None = None


class VehicleQuery(BaseModel):
    plate: str = Field("", max_length=20)
    vin: str = Field("", max_length=17)
    country: str | None = Field(None, max_length=3)
    limit: int = Field(10, ge=1, le=100)
    lang: str | None = None


class Reason(BaseModel):
    code: str
    text: str
    params: dict[str, Any] = Field(default_factory=dict)


class WatchlistAlert(BaseModel):
    """What to do: the watchlist entry that matched (or only that one exists: ``notice``)."""

    entry_id: uuid.UUID
    owner_agency: AgencyRef
    action: HitAction | None = None
    reason: str | None = None
    valid_until: datetime | None = None
    notice: bool = False
    hit_id: uuid.UUID | None = None
    deadline: datetime | None = None
    #: the owner rejected this pair earlier: no new alert
    suppressed: bool = False


class Hit(BaseModel):
    """One ranked result. A hit/no-hit-only record of another agency is a *notice*: only
    the type, the id and the owner agency to contact, no content and no score."""

    type: str
    id: uuid.UUID
    owner_agency: AgencyRef
    notice: bool = False
    message: str | None = None
    score: float | None = None
    match: bool | None = None
    #: "alert" (very likely this person: ``match`` is true), "possible" (the name matches but
    #: nothing rules out a namesake: check further), "no_match"; None for notices
    grade: str | None = None
    label: str | None = None
    birth_date: str | None = None
    nationalities: list[str] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list)
    watchlist: list[WatchlistAlert] = Field(default_factory=list)


class ScreeningOut(BaseModel):
    hits: list[Hit]
    #: candidates the viewer may know of that were considered (invisible records never count)
    candidates: int
    timings_ms: dict[str, float]
    lang: str
    mrz_errors: list[dict[str, str]] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Watchlists
# --------------------------------------------------------------------------------------------


class WatchlistEntryIn(SharingIn):
    target_type: str = Field(pattern="^(person|document|vehicle)$")
    target_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=1000)
    action: HitAction
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class WatchlistEntryOut(BaseModel):
    id: uuid.UUID
    target_type: str
    target_id: uuid.UUID
    reason: str | None
    action: HitAction | None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    active: bool
    owner_agency: AgencyRef
    notice: bool = False


class HitOut(BaseModel):
    id: uuid.UUID
    entry_id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    score: float
    query: dict[str, Any]
    created_at: datetime
    deadline: datetime
    status: HitStatus
    overdue: bool
    decision_note: str = ""


class HitDecision(BaseModel):
    status: HitStatus = Field(description="confirmed or rejected")
    note: str = Field("", max_length=1000)


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    hit_id: uuid.UUID | None
    message: str
    created_at: datetime
    read_at: datetime | None


# --------------------------------------------------------------------------------------------
# Manifests
# --------------------------------------------------------------------------------------------


class ManifestRow(BaseModel):
    row: int
    query: str
    hits: int
    best_score: float | None = None
    match: bool = False
    notice: bool = False
    record_type: str | None = None
    record_id: uuid.UUID | None = None
    label: str | None = None
    owner_agency: str | None = None
    action: str | None = None
    reasons: str = ""
    error: str | None = None


class ManifestOut(BaseModel):
    rows: int
    matches: int
    notices: int
    errors: int
    seconds: float
    results: list[ManifestRow]


# --------------------------------------------------------------------------------------------
# Entity resolution
# --------------------------------------------------------------------------------------------


class PairOut(BaseModel):
    id: uuid.UUID
    record_type: str
    left_id: uuid.UUID
    right_id: uuid.UUID
    left_label: str
    right_label: str
    left_owner: AgencyRef
    right_owner: AgencyRef
    score: float
    reasons: list[Reason]
    verdict: Verdict | None


class JudgementIn(BaseModel):
    verdict: Verdict
    note: str = Field("", max_length=1000)


class ClusterMemberOut(BaseModel):
    id: uuid.UUID
    type: str
    owner_agency: AgencyRef
    notice: bool = False
    label: str | None = None


class ClusterOut(BaseModel):
    cluster_id: uuid.UUID
    members: list[ClusterMemberOut]


class ScoringConfigIn(BaseModel):
    """Administrator overrides of :class:`shekara.screening.scoring.ScoringConfig` fields."""

    values: dict[str, float]
