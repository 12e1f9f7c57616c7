"""Routers other than the generic record ones: auth, search, audit, admin, places, stats."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from shekara.accounts import service as accounts
from shekara.accounts.constants import Perm
from shekara.accounts.limits import LoginLimits, TooManyAttempts
from shekara.accounts.schemas import LoginIn, TokenOut, UserCreate, UserPublic, UserUpdate
from shekara.agencies import service as agencies
from shekara.agencies.schemas import AgencyCreate, AgencyPublic, CountryPublic
from shekara.api.deps import (
    CredentialsDep,
    SessionDep,
    SettingsDep,
    ViewerDep,
    run_unit_of_work,
)
from shekara.audit import service as audit
from shekara.cases import service as cases
from shekara.cases.schemas import CasePublic, Handover, StatusChange
from shekara.errors import NotAuthenticated
from shekara.incidents import geo as incidents_geo
from shekara.incidents.geo import MAX_FEATURES
from shekara.places import service as places
from shekara.places.service import PlaceIn, PlacePublic
from shekara.records.service import require
from shekara.search.service import SearchResult, search
from shekara.stats.service import Summary, summary
from shekara.vocab import admin as vocab
from shekara.vocab.admin import TermIn, TermPublic

auth = APIRouter(prefix="/auth", tags=["Accounts"])


@auth.post("/token", response_model=TokenOut, summary="Log in and get a bearer token")
def login(data: LoginIn, request: Request, session: SessionDep, settings: SettingsDep) -> TokenOut:
    ip = request.client.host if request.client else ""
    try:
        return accounts.login(
            session,
            data.username,
            data.password,
            settings.token_ttl_hours,
            ip,
            LoginLimits.from_settings(settings),
        )
    except (NotAuthenticated, TooManyAttempts):
        session.commit()  # keep the audit entry of the failure or refusal
        raise


@auth.post("/logout", status_code=204, summary="Revoke the bearer token")
def logout(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> None:
    if authorization and authorization.lower().startswith("bearer "):
        accounts.revoke(session, authorization[7:].strip())


class Me(BaseModel):
    username: str
    agency_id: uuid.UUID
    country: str
    role: str
    permissions: list[str]


@auth.get("/me", response_model=Me, summary="Who am I")
def me(viewer: ViewerDep) -> Me:
    if viewer is None:
        raise NotAuthenticated("authentication required")
    return Me(
        username=viewer.username,
        agency_id=viewer.agency_id,
        country=viewer.country,
        role=viewer.role.value,
        permissions=sorted(p.value for p in viewer.perms),
    )


search_router = APIRouter(tags=["Search"])


@search_router.get(
    "/search",
    response_model=SearchResult,
    summary="Search every record the caller may see, names in any script",
)
async def search_all(
    creds: CredentialsDep,
    q: Annotated[str, Query(min_length=2, max_length=200)],
    types: Annotated[list[str] | None, Query(description="Limit to these resources")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResult:
    return await run_unit_of_work(
        creds, lambda session, viewer: search(session, viewer, q, types=types, limit=limit)
    )


class AuditOut(BaseModel):
    seq: int
    at: datetime
    username: str
    agency_id: uuid.UUID | None
    action: str
    resource: str
    record_id: uuid.UUID | None
    query: dict[str, Any] | None
    ip: str
    purpose: str


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    limit: int
    offset: int


audit_router = APIRouter(prefix="/audit", tags=["Audit"])


@audit_router.get(
    "/accesses",
    response_model=AuditPage,
    summary="Who read, searched, exported or changed the own agency's records",
)
def accesses(
    session: SessionDep,
    viewer: ViewerDep,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    v = require(viewer, Perm.audit_own)
    rows, total = audit.accesses_to_owner(
        session, v.agency_id, limit=limit, offset=offset, since=since
    )
    return AuditPage(
        items=[AuditOut.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


admin = APIRouter(tags=["Administration"])


@admin.get("/countries", response_model=list[CountryPublic])
def countries(session: SessionDep, viewer: ViewerDep) -> list[CountryPublic]:
    if viewer is None:
        raise NotAuthenticated("authentication required")
    return agencies.list_countries(session)


@admin.get("/agencies", response_model=list[AgencyPublic], summary="Directory of agencies")
def list_agencies(session: SessionDep, viewer: ViewerDep) -> list[AgencyPublic]:
    return agencies.list_agencies(session, viewer)


@admin.post("/agencies", response_model=AgencyPublic, status_code=201)
def create_agency(session: SessionDep, viewer: ViewerDep, data: AgencyCreate) -> AgencyPublic:
    return agencies.admin_create_agency(session, viewer, data)


@admin.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, viewer: ViewerDep) -> list[UserPublic]:
    return accounts.list_users(session, viewer)


@admin.post("/users", response_model=UserPublic, status_code=201)
def create_user(session: SessionDep, viewer: ViewerDep, data: UserCreate) -> UserPublic:
    return accounts.admin_create_user(session, viewer, data)


@admin.patch("/users/{user_id}", response_model=UserPublic)
def update_user(
    user_id: uuid.UUID, session: SessionDep, viewer: ViewerDep, data: UserUpdate
) -> UserPublic:
    return accounts.admin_update_user(session, viewer, user_id, data)


@admin.get("/vocabularies/{vocabulary}", response_model=list[TermPublic], tags=["Vocabularies"])
def list_terms(vocabulary: str, session: SessionDep, viewer: ViewerDep) -> list[TermPublic]:
    return vocab.list_terms(session, viewer, vocabulary)


@admin.post(
    "/vocabularies/{vocabulary}", response_model=TermPublic, status_code=201, tags=["Vocabularies"]
)
def add_term(vocabulary: str, session: SessionDep, viewer: ViewerDep, data: TermIn) -> TermPublic:
    return vocab.add_term(session, viewer, vocabulary, data)


places_router = APIRouter(prefix="/places", tags=["Places"])


@places_router.get("", response_model=list[PlacePublic])
def list_places(
    session: SessionDep,
    viewer: ViewerDep,
    kind: str | None = None,
    country: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[PlacePublic]:
    return places.list_places(session, viewer, kind, country, limit, offset)


@places_router.post(
    "", response_model=PlacePublic, status_code=201, summary="Add a place (administrators)"
)
def create_place(session: SessionDep, viewer: ViewerDep, data: PlaceIn) -> PlacePublic:
    return places.create_place(session, viewer, data)


@places_router.get("/geojson", summary="Places as a GeoJSON FeatureCollection")
def places_geojson(session: SessionDep, viewer: ViewerDep, kind: str | None = None) -> Any:
    return places.geojson(session, viewer, kind)


geo = APIRouter(tags=["Incidents and seizures"])


@geo.get("/incidents.geojson", summary="Visible incidents with a position, as GeoJSON")
def incidents_geojson(
    session: SessionDep,
    viewer: ViewerDep,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
    commodity: str | None = None,
    country: Annotated[str | None, Query(description="Owner country")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_FEATURES)] = MAX_FEATURES,
) -> Any:
    return incidents_geo.incidents_geojson(
        session,
        viewer,
        since=since,
        until=until,
        category=category,
        commodity=commodity,
        country=country,
        limit=limit,
    )


stats_router = APIRouter(prefix="/stats", tags=["Statistics"])


@stats_router.get(
    "/summary",
    response_model=Summary,
    summary="Incidents, seizures and cases the caller may see, aggregated",
)
def stats_summary(
    session: SessionDep,
    viewer: ViewerDep,
    since: datetime | None = None,
    until: datetime | None = None,
    country: str | None = None,
) -> Summary:
    return summary(session, viewer, since=since, until=until, country=country)


cases_router = APIRouter(prefix="/cases", tags=["Cases"])


@cases_router.post("/{case_id}/status", response_model=CasePublic)
def case_status(
    case_id: uuid.UUID, session: SessionDep, viewer: ViewerDep, data: StatusChange
) -> Any:
    return cases.change_status(session, viewer, case_id, data)


@cases_router.post("/{case_id}/handover", response_model=CasePublic)
def case_handover(
    case_id: uuid.UUID, session: SessionDep, viewer: ViewerDep, data: Annotated[Handover, Body()]
) -> Any:
    return cases.hand_over(session, viewer, case_id, data)


health = APIRouter(tags=["Operations"])


@health.get("/health", summary="Liveness and database check")
def healthcheck(session: SessionDep) -> dict[str, Any]:
    session.execute(select(func.count()).select_from(select(1).subquery()))
    return {"status": "ok"}
