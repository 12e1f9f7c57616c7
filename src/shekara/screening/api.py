"""HTTP routes of the screening service (thin: validate, call one service function, return)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Query, UploadFile
from fastapi.responses import Response

from shekara.accounts.constants import Perm
from shekara.api.deps import SessionDep, ViewerDep
from shekara.records.service import require
from shekara.screening import manifest, resolution, service, watchlist
from shekara.screening.models import HitStatus
from shekara.screening.schemas import (
    ClusterOut,
    DocumentQuery,
    HitDecision,
    HitOut,
    JudgementIn,
    ManifestOut,
    NotificationOut,
    PairOut,
    PersonQuery,
    ScoringConfigIn,
    ScreeningOut,
    VehicleQuery,
    WatchlistEntryIn,
    WatchlistEntryOut,
)

router = APIRouter(prefix="/screening", tags=["screening"])
AcceptLanguage = Annotated[str | None, Header()]


@router.post("/person", response_model=ScreeningOut)
def screen_person(
    body: PersonQuery,
    session: SessionDep,
    viewer: ViewerDep,
    accept_language: AcceptLanguage = None,
) -> ScreeningOut:
    """Ranked hits for a person: names in any script and order, partial date of birth,
    nationality, document numbers, or MRZ text."""
    q = service.PersonInput.build(
        body.names, body.birth_date, body.nationalities, body.documents, body.mrz
    )
    lang = service.pick_lang(body.lang, accept_language)
    return service.screen_person(session, viewer, q, lang=lang, limit=body.limit)


@router.post("/document", response_model=ScreeningOut)
def screen_document(
    body: DocumentQuery,
    session: SessionDep,
    viewer: ViewerDep,
    accept_language: AcceptLanguage = None,
) -> ScreeningOut:
    lang = service.pick_lang(body.lang, accept_language)
    return service.screen_document(
        session, viewer, body.number, body.country, lang=lang, limit=body.limit
    )


@router.post("/vehicle", response_model=ScreeningOut)
def screen_vehicle(
    body: VehicleQuery,
    session: SessionDep,
    viewer: ViewerDep,
    accept_language: AcceptLanguage = None,
) -> ScreeningOut:
    lang = service.pick_lang(body.lang, accept_language)
    return service.screen_vehicle(
        session, viewer, body.plate, body.vin, body.country, lang=lang, limit=body.limit
    )


@router.post("/manifest", response_model=ManifestOut)
def screen_manifest(
    session: SessionDep,
    viewer: ViewerDep,
    file: Annotated[UploadFile, File(description="CSV, XLSX or text with MRZ lines")],
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    lang: str | None = None,
    accept_language: AcceptLanguage = None,
) -> Any:
    """Screen every row of a manifest; ``format=csv`` answers the downloadable CSV."""
    data = file.file.read(manifest.MAX_BYTES + 1)
    out = manifest.screen_manifest(
        session,
        viewer,
        data,
        file.filename or "manifest",
        lang=service.pick_lang(lang, accept_language),
    )
    if format == "csv":
        return Response(
            manifest.to_csv(out),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="screening-result.csv"'},
        )
    return out


@router.get("/watchlist", response_model=list[WatchlistEntryOut])
def list_watchlist(
    session: SessionDep, viewer: ViewerDep, target_id: uuid.UUID | None = None
) -> list[WatchlistEntryOut]:
    return watchlist.list_entries(session, viewer, target_id)


@router.post("/watchlist", response_model=WatchlistEntryOut, status_code=201)
def create_watchlist_entry(
    body: WatchlistEntryIn, session: SessionDep, viewer: ViewerDep
) -> WatchlistEntryOut:
    e = watchlist.create_entry(session, viewer, body)
    assert viewer is not None
    return watchlist.entry_out(session, viewer, e)


@router.delete("/watchlist/{entry_id}", status_code=204)
def deactivate_watchlist_entry(entry_id: uuid.UUID, session: SessionDep, viewer: ViewerDep) -> None:
    watchlist.deactivate_entry(session, viewer, entry_id)


@router.get("/hits", response_model=list[HitOut])
def list_hits(
    session: SessionDep, viewer: ViewerDep, status: HitStatus | None = None
) -> list[HitOut]:
    """Watchlist hits on the own agency's entries, to answer before their deadline."""
    return watchlist.list_hits(session, viewer, status)


@router.post("/hits/{hit_id}/decision", response_model=HitOut)
def decide_hit(
    hit_id: uuid.UUID, body: HitDecision, session: SessionDep, viewer: ViewerDep
) -> HitOut:
    return watchlist.decide(session, viewer, hit_id, body)


@router.get("/notifications", response_model=list[NotificationOut])
def list_notifications(
    session: SessionDep, viewer: ViewerDep, unread: bool = False, mark_read: bool = False
) -> list[NotificationOut]:
    return watchlist.notifications(session, viewer, unread_only=unread, mark_read=mark_read)


@router.get("/config")
def get_config(session: SessionDep, viewer: ViewerDep) -> dict[str, float]:
    """The scoring threshold and weights in force."""
    from dataclasses import asdict

    require(viewer, Perm.read)
    return {k: float(v) for k, v in asdict(service.get_config(session)).items()}


@router.put("/config")
def put_config(body: ScoringConfigIn, session: SessionDep, viewer: ViewerDep) -> dict[str, float]:
    """Administrators tune the threshold and weights (see docs/screening-service.md)."""
    from dataclasses import asdict

    return {
        k: float(v) for k, v in asdict(service.set_config(session, viewer, body.values)).items()
    }


@router.get("/resolution/pairs", response_model=list[PairOut])
def list_pairs(
    session: SessionDep,
    viewer: ViewerDep,
    unjudged: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    accept_language: AcceptLanguage = None,
) -> list[PairOut]:
    """Candidate pairs whose two records the viewer may both see in full, best first."""
    lang = service.pick_lang(None, accept_language)
    return resolution.list_pairs(session, viewer, unjudged=unjudged, limit=limit, lang=lang)


@router.post("/resolution/pairs/{pair_id}/judgement", response_model=PairOut)
def judge_pair(
    pair_id: uuid.UUID, body: JudgementIn, session: SessionDep, viewer: ViewerDep
) -> PairOut:
    """Positive, negative or unsure: recorded with its author; the records never change."""
    return resolution.judge(session, viewer, pair_id, body.verdict, body.note)


@router.get("/resolution/records/{record_id}/cluster", response_model=ClusterOut)
def cluster_of(record_id: uuid.UUID, session: SessionDep, viewer: ViewerDep) -> ClusterOut:
    """The confirmed cluster of a record, with only the members the viewer may see."""
    return resolution.cluster_for_record(session, viewer, record_id)


@router.get("/resolution/clusters/{cluster_id}", response_model=ClusterOut)
def cluster(cluster_id: uuid.UUID, session: SessionDep, viewer: ViewerDep) -> ClusterOut:
    return resolution.cluster_view(session, viewer, cluster_id)
