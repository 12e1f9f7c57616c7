"""Screening pages: the checkpoint's question, manifests, watchlists, the hit inbox, linkage.

Thin handlers over :mod:`shekara.screening` (``service``, ``manifest``, ``watchlist``,
``resolution``): each reads the form, calls one service function (which applies the sharing
policy and writes the audit entry) and renders. Reasons arrive as codes with parameters and are
rendered with gettext (:mod:`.screening_text`).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from shekara.accounts.constants import Perm
from shekara.api.deps import SessionDep
from shekara.db.base import utcnow
from shekara.errors import AppError, NotFound, ValidationFailed
from shekara.policy.sharing import Viewer
from shekara.records.service import require
from shekara.screening import manifest, resolution, service, watchlist
from shekara.screening.models import HitAction, HitStatus, Verdict
from shekara.screening.mrz import MRZResult, parse_mrz
from shekara.screening.names import parse_partial_date
from shekara.screening.schemas import (
    HitDecision,
    ManifestOut,
    ManifestRow,
    Reason,
    WatchlistEntryIn,
)
from shekara.web.forms import flat, nest, pydantic_errors, service_errors
from shekara.web.i18n import N_, Translator, translator
from shekara.web.rendering import render
from shekara.web.security import CheckedForm, SignedIn, locale_of
from shekara.web.views import screening_text as text

router = APIRouter(prefix="/screening")

LIMIT = 10
PERSON_FIELDS = ("name", "birth_date", "nationality", "document")
SCREEN_FIELDS = (*PERSON_FIELDS, "plate", "mrz")
#: field of the service's errors -> field of the form
SERVICE_FIELDS = {"names": "name", "documents": "document", "nationalities": "nationality"}


def _tabs(viewer: Viewer) -> list[tuple[str, str]]:
    tabs = [
        ("/screening", N_("Screen")),
        ("/screening/manifest", N_("Manifest")),
        ("/screening/watchlist", N_("Watchlist")),
        ("/screening/hits", N_("Hit inbox")),
    ]
    if viewer.can(Perm.stats):
        tabs.append(("/screening/resolution", N_("Linkage")))
    return tabs


def _page(
    request: Request,
    template: str,
    context: dict[str, Any],
    viewer: Viewer,
    session: Session,
    status_code: int = 200,
) -> Response:
    """Render with what every screening page needs: tabs and the label helpers."""
    t = translator(locale_of(request))

    def reason(r: Reason | dict[str, Any]) -> str:
        if isinstance(r, dict):
            return text.reason_text(t, str(r.get("code", "")), r.get("params") or {})
        return text.reason_text(t, r.code, r.params, r.text)

    def fmt_score(value: float | None) -> str:
        """Two decimals always (1.00 beside 0.87), in the locale's decimal sign."""
        out = f"{value or 0.0:.2f}"
        return out if t.locale == "en" else out.replace(".", ",")

    ctx = {
        "tabs": _tabs(viewer),
        "fmt_score": fmt_score,
        "reason": reason,
        "action_label": lambda a: text.label_of(text.ACTIONS, t, a),
        "status_label": lambda s: text.label_of(text.STATUSES, t, s),
        "verdict_label": lambda v: text.label_of(text.VERDICTS, t, v),
        "type_label": lambda k: text.label_of(text.RECORD_TYPES, t, k),
        "record_href": lambda k, i: f"/records/{text.RESOURCE_OF.get(str(k), str(k))}/{i}",
        "errors": {},
        **context,
    }
    return render(request, template, ctx, viewer=viewer, session=session, status_code=status_code)


# --------------------------------------------------------------------------------------------
# The checkpoint's question
# --------------------------------------------------------------------------------------------


def _mrz(values: dict[str, str], t: Translator, *, overwrite: bool) -> tuple[MRZResult, str]:
    """Fill the person fields from pasted MRZ lines (all of them, or only the blank ones)."""
    m = parse_mrz(values["mrz"])
    if m.format == "unknown":
        return m, t.gettext(
            "These lines are not a machine-readable zone: paste the 2 or 3 lines printed at "
            "the bottom of the document's data page."
        )
    found = {
        "name": m.full_name,
        "birth_date": m.birth_date or "",
        "nationality": m.nationality,
        "document": m.document_number,
    }
    for k, v in found.items():
        if v and (overwrite or not values.get(k)):
            values[k] = v
    return m, ""


def _mrz_problems(m: MRZResult | None, t: Translator) -> list[str]:
    if m is None or m.format == "unknown":
        return []
    out = []
    for e in m.errors:
        where = (
            t.gettext("Line %(n)s", n=e.field[4:])
            if e.field.startswith("line")
            else text.label_of(text.MRZ_FIELDS, t, e.field)
        )
        out.append(f"{where}: {text.label_of(text.MRZ_CODES, t, e.code)}")
    return out


def _screen_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    person: Any = None,
    vehicle: Any = None,
    mrz: MRZResult | None = None,
    status_code: int = 200,
) -> Response:
    t = translator(locale_of(request))
    return _page(
        request,
        "screening/screen.html",
        {
            "v": values,
            "errors": errors or {},
            "person": person,
            "vehicle": vehicle,
            "mrz": mrz,
            "mrz_problems": _mrz_problems(mrz, t),
            "asked": bool(person or vehicle),
        },
        viewer,
        session,
        status_code,
    )


@router.get("")
def screen_form(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    require(viewer, Perm.read)
    return _screen_page(request, session, viewer, dict.fromkeys(SCREEN_FIELDS, ""))


@router.post("")
def screen(request: Request, form: CheckedForm, session: SessionDep, viewer: SignedIn) -> Response:
    """Screen a person (name, date of birth, nationality, document, or MRZ) and/or a plate."""
    v = require(viewer, Perm.read)
    lang = locale_of(request)
    t = translator(lang)
    values = {k: str(form.get(k) or "").strip()[:400] for k in SCREEN_FIELDS}
    errors: dict[str, str] = {}
    m = None
    if values["mrz"]:
        m, problem = _mrz(values, t, overwrite=False)
        if problem:
            errors["mrz"] = problem
    if values["birth_date"] and parse_partial_date(values["birth_date"]) is None:
        errors["birth_date"] = t.gettext(
            "Enter a date of birth such as 1985, 03.1985 or 12.03.1985."
        )
    if not errors and not (values["name"] or values["document"] or values["plate"]):
        errors["name"] = t.gettext(
            "Type a name, a document number or a plate, or paste the MRZ lines."
        )
    if errors:
        return _screen_page(request, session, v, values, errors=errors, mrz=m, status_code=422)
    person = vehicle = None
    try:
        if values["name"] or values["document"]:
            q = service.PersonInput.build(
                [values["name"]],
                values["birth_date"] or None,
                [values["nationality"]],
                [values["document"]],
            )
            person = service.screen_person(session, v, q, lang=lang, limit=LIMIT)
        if values["plate"]:
            vehicle = service.screen_vehicle(session, v, values["plate"], lang=lang, limit=LIMIT)
    except AppError as e:
        found = service_errors(e, t)
        errors = {SERVICE_FIELDS.get(k, k) or "name": msg for k, msg in found.items()}
        return _screen_page(request, session, v, values, errors=errors, mrz=m, status_code=422)
    return _screen_page(request, session, v, values, person=person, vehicle=vehicle, mrz=m)


@router.post("/mrz")
def mrz_fields(
    request: Request, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    """htmx: the person fields filled in from the pasted MRZ, with its check-digit problems."""
    v = require(viewer, Perm.read)
    t = translator(locale_of(request))
    values = {k: str(form.get(k) or "").strip()[:400] for k in SCREEN_FIELDS}
    errors: dict[str, str] = {}
    m = None
    if values["mrz"]:
        m, problem = _mrz(values, t, overwrite=True)
        if problem:
            errors["mrz"] = problem
    return _page(
        request,
        "screening/_person_fields.html",
        {"v": values, "errors": errors, "mrz": m, "mrz_problems": _mrz_problems(m, t)},
        v,
        session,
    )


# --------------------------------------------------------------------------------------------
# Manifests: parsed on upload, screened part by part by the page's own requests
# --------------------------------------------------------------------------------------------

#: seconds of screening per request: each part is one short transaction (SQLite has one
#: writer; a 10,000-row list must not hold it for minutes)
STEP_SECONDS = 0.5
JOB_TTL_SECONDS = 3600
JOBS_PER_USER = 5
#: rows shown in the results table (the CSV has them all)
TABLE_ROWS = 1000


@dataclass
class ManifestJob:
    """A manifest being screened for one user (kept in this server process's memory)."""

    id: str
    user_id: uuid.UUID
    filename: str
    rows: list[dict[str, str]]
    lang: str
    created: float = field(default_factory=time.monotonic)
    done: int = 0
    chunk: int = 20
    seconds: float = 0.0
    results: list[ManifestRow] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    def out(self) -> ManifestOut:
        r = self.results
        return ManifestOut(
            rows=self.total,
            matches=sum(1 for x in r if x.match and not x.notice),
            notices=sum(1 for x in r if x.notice),
            errors=sum(1 for x in r if x.error),
            seconds=round(self.seconds, 3),
            results=r,
        )


_JOBS: dict[str, ManifestJob] = {}
_JOBS_LOCK = threading.Lock()


def _add_job(job: ManifestJob) -> None:
    now = time.monotonic()
    with _JOBS_LOCK:
        for k in [k for k, j in _JOBS.items() if now - j.created > JOB_TTL_SECONDS]:
            del _JOBS[k]
        mine = sorted(
            (j for j in _JOBS.values() if j.user_id == job.user_id), key=lambda j: j.created
        )
        for old in mine[: max(0, len(mine) - JOBS_PER_USER + 1)]:
            _JOBS.pop(old.id, None)
        _JOBS[job.id] = job


def _job(viewer: Viewer, job_id: str) -> ManifestJob:
    job = _JOBS.get(job_id)
    if job is None or job.user_id != viewer.user_id:
        raise NotFound("no such manifest")
    return job


def _step(session: Session, viewer: Viewer, job: ManifestJob) -> None:
    """Screen the next part (about :data:`STEP_SECONDS` of work) in this request's transaction."""
    if job.finished or not job.lock.acquire(blocking=False):
        return  # done, or another request of this user is screening it right now
    try:
        start = time.perf_counter()
        part = job.rows[job.done : job.done + job.chunk]
        out = manifest.screen_manifest(
            session, viewer, b"", job.filename, lang=job.lang, rows=part, first=job.done + 1
        )
        elapsed = time.perf_counter() - start
        job.results.extend(out.results)
        job.done += len(part)
        job.seconds += elapsed
        job.chunk = max(5, min(1000, int(job.chunk * STEP_SECONDS / max(elapsed, 0.005))))
    finally:
        job.lock.release()


def _manifest_ctx(job: ManifestJob) -> dict[str, Any]:
    out = job.out()
    flagged = [r for r in out.results if r.match or r.notice or r.error]
    return {
        "job": job,
        "out": out,
        "flagged": flagged[:TABLE_ROWS],
        "more": max(0, len(flagged) - TABLE_ROWS),
        "clean": len(out.results) - len(flagged),
    }


def _jobs_of(viewer: Viewer) -> list[ManifestJob]:
    with _JOBS_LOCK:
        jobs = [j for j in _JOBS.values() if j.user_id == viewer.user_id]
    return sorted(jobs, key=lambda j: -j.created)


@router.get("/manifest")
def manifest_form(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    v = require(viewer, Perm.read)
    return _page(request, "screening/manifest.html", {"jobs": _jobs_of(v)}, v, session)


@router.post("/manifest")
def manifest_upload(
    request: Request, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    """Read and parse the file (errors shown on the form); the screening runs step by step."""
    v = require(viewer, Perm.read)
    t = translator(locale_of(request))
    upload = form.get("file")
    errors: dict[str, str] = {}
    rows: list[dict[str, str]] = []
    name = "manifest"
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = t.gettext("Choose a CSV or XLSX file, or a text file of MRZ lines.")
    else:
        name = upload.filename[:200]
        data = upload.file.read(manifest.MAX_BYTES + 1)
        try:
            rows = manifest.parse_manifest(data, name)
        except AppError as e:
            errors.update(service_errors(e, t))
        if not errors and not rows:
            errors["file"] = t.gettext("The file has no rows to screen.")
    if errors:
        ctx = {"jobs": _jobs_of(v), "errors": errors}
        return _page(request, "screening/manifest.html", ctx, v, session, 422)
    job = ManifestJob(uuid.uuid4().hex, v.user_id, name, rows, locale_of(request))
    _add_job(job)
    return RedirectResponse(f"/screening/manifest/{job.id}", status_code=303)


@router.get("/manifest/{job_id}")
def manifest_job(request: Request, job_id: str, session: SessionDep, viewer: SignedIn) -> Response:
    v = require(viewer, Perm.read)
    return _page(request, "screening/manifest_job.html", _manifest_ctx(_job(v, job_id)), v, session)


@router.post("/manifest/{job_id}/step")
def manifest_step(
    request: Request, job_id: str, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    """Screen the next part; htmx swaps in the progress (or, at the end, the results)."""
    v = require(viewer, Perm.read)
    job = _job(v, job_id)
    _step(session, v, job)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/screening/manifest/{job.id}", status_code=303)
    return _page(request, "screening/_manifest_progress.html", _manifest_ctx(job), v, session)


@router.get("/manifest/{job_id}/result.csv")
def manifest_csv(job_id: str, viewer: SignedIn) -> Response:
    v = require(viewer, Perm.read)
    job = _job(v, job_id)
    if not job.finished:
        raise NotFound("the manifest is still being screened")
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in job.filename.rsplit(".", 1)[0])
    return Response(
        manifest.to_csv(job.out()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stem[:80]}-screening.csv"'},
    )


# --------------------------------------------------------------------------------------------
# Watchlists and the owner's hit inbox
# --------------------------------------------------------------------------------------------


def _watchlist_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    t = translator(locale_of(request))
    return _page(
        request,
        "screening/watchlist.html",
        {
            "entries": watchlist.list_entries(session, viewer),
            "actions": [(a.value, text.label_of(text.ACTIONS, t, a)) for a in HitAction],
            "v": values,
            "errors": errors,
            "added": request.query_params.get("added") == "1",
        },
        viewer,
        session,
        status_code,
    )


@router.get("/watchlist")
def watchlist_page(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    target_type: Annotated[str, Query(pattern="^(|person|document|vehicle)$")] = "",
    target_id: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    v = require(viewer, Perm.read)
    values = {"target_type": target_type or "person", "target_id": target_id}
    return _watchlist_page(request, session, v, values, {})


@router.post("/watchlist")
def watchlist_add(
    request: Request, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    """Put a record on the own agency's watchlist (roles that write records)."""
    v = require(viewer, Perm.write)
    t = translator(locale_of(request))
    values = flat(form)
    data: dict[str, Any] = nest(values)
    data["action"] = data.pop("on_hit", None)  # "action" names the form's submit control
    for key, clock in (("valid_from", "00:00:00"), ("valid_until", "23:59:59")):
        day = data.get(key)
        if isinstance(day, str) and len(day) == 10:  # a day (date input): that day, in UTC
            data[key] = f"{day}T{clock}Z"
    data["hit_only"] = form.get("hit_only") == "on"
    data["partner_countries"] = [
        c.strip().upper() for c in str(form.get("partner_countries") or "").split(",") if c.strip()
    ]
    errors: dict[str, str] = {}
    try:
        entry = WatchlistEntryIn.model_validate(data)
    except ValidationError as e:
        errors = {("on_hit" if k == "action" else k): m for k, m in pydantic_errors(e, t).items()}
    else:
        try:
            with session.begin_nested():
                watchlist.create_entry(session, v, entry)
        except AppError as e:
            errors = service_errors(e, t)
    if errors:
        values["partner_countries"] = str(form.get("partner_countries") or "")
        values["hit_only"] = "on" if data["hit_only"] else ""
        return _watchlist_page(request, session, v, values, errors, 422)
    return RedirectResponse("/screening/watchlist?added=1", status_code=303)


@router.post("/watchlist/{entry_id}/deactivate")
def watchlist_deactivate(
    entry_id: uuid.UUID, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    watchlist.deactivate_entry(session, viewer, entry_id)
    return RedirectResponse("/screening/watchlist", status_code=303)


def _time_left(deadline: datetime, now: datetime, t: Translator) -> tuple[str, bool]:
    """ "5 h 20 min left" or "overdue by 1 h 5 min", and whether it is overdue."""
    seconds = int((deadline - now).total_seconds())
    h, m = divmod(abs(seconds) // 60, 60)
    span = t.gettext("%(h)s h %(m)s min", h=h, m=m)
    if seconds < 0:
        return t.gettext("overdue by %(span)s", span=span), True
    return t.gettext("%(span)s left", span=span), False


@router.get("/hits")
def hits_page(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    status: Annotated[str, Query(pattern="^(|pending|confirmed|rejected|all)$")] = "",
) -> Response:
    """Watchlist hits on the own agency's entries: answer within 12 hours."""
    v = require(viewer, Perm.read)
    chosen = status or "pending"
    hits = watchlist.list_hits(session, v, None if chosen == "all" else HitStatus(chosen))
    # opening the inbox reads the agency's new notifications
    new = watchlist.notifications(session, v, unread_only=True, mark_read=True)
    t = translator(locale_of(request))
    now = utcnow()
    clocks = {h.id: _time_left(h.deadline, now, t) for h in hits}
    entries = {e.id: e for e in watchlist.list_entries(session, v)} if hits else {}
    return _page(
        request,
        "screening/hits.html",
        {
            "hits": hits,
            "clocks": clocks,
            "entries": entries,
            "status": chosen,
            "statuses": ["pending", "confirmed", "rejected", "all"],
            "hours": watchlist.RESPONSE_HOURS,
            "new_hits": sum(1 for n in new if n.kind == "watchlist_hit"),
            "decided": request.query_params.get("decided", ""),
        },
        v,
        session,
    )


@router.post("/hits/{hit_id}/decision")
def hit_decision(
    request: Request, hit_id: uuid.UUID, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    """The owner agency confirms or rejects a hit; a rejected pair does not alert again."""
    status = str(form.get("status") or "")
    if status not in (HitStatus.confirmed, HitStatus.rejected):
        raise ValidationFailed([{"field": "status", "message": "confirmed or rejected"}])
    note = str(form.get("note") or "").strip()[:1000]
    watchlist.decide(session, viewer, hit_id, HitDecision(status=HitStatus(status), note=note))
    return RedirectResponse(f"/screening/hits?decided={status}", status_code=303)


# --------------------------------------------------------------------------------------------
# Entity resolution: candidate pairs judged by analysts, clusters per viewer
# --------------------------------------------------------------------------------------------


@router.get("/resolution")
def pairs_page(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    all: Annotated[bool, Query()] = False,
) -> Response:
    v = require(viewer, Perm.stats)
    pairs = resolution.list_pairs(session, v, unjudged=not all, limit=50, lang=locale_of(request))
    return _page(
        request,
        "screening/pairs.html",
        {
            "pairs": pairs,
            "all": all,
            "verdicts": [x.value for x in Verdict],
            "judged": request.query_params.get("judged", ""),
            "judged_record": request.query_params.get("record", ""),
        },
        v,
        session,
    )


@router.post("/resolution/pairs/{pair_id}/judgement")
def judge_pair(
    pair_id: uuid.UUID, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    verdict = str(form.get("verdict") or "")
    if verdict not in {x.value for x in Verdict}:
        raise ValidationFailed([{"field": "verdict", "message": "positive, negative or unsure"}])
    note = str(form.get("note") or "").strip()[:1000]
    out = resolution.judge(session, viewer, pair_id, Verdict(verdict), note)
    back = "/screening/resolution?all=1" if form.get("all") == "1" else "/screening/resolution"
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}judged={verdict}&record={out.left_id}", status_code=303)


@router.get("/resolution/clusters/{cluster_id}")
def cluster_page(
    request: Request, cluster_id: uuid.UUID, session: SessionDep, viewer: SignedIn
) -> Response:
    """A confirmed cluster with only the members this viewer may see."""
    v = require(viewer, Perm.read)
    c = resolution.cluster_view(session, v, cluster_id)
    return _page(request, "screening/cluster.html", {"cluster": c}, v, session)


@router.get("/resolution/records/{record_id}/cluster")
def record_cluster(
    request: Request, record_id: uuid.UUID, session: SessionDep, viewer: SignedIn
) -> Response:
    v = require(viewer, Perm.read)
    c = resolution.cluster_for_record(session, v, record_id)
    return _page(request, "screening/cluster.html", {"cluster": c}, v, session)
