"""Record pages: a list per resource and one page per record, through the record service."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.agencies.service import list_agencies, list_countries
from shekara.api.deps import SessionDep
from shekara.cases.constants import ALLOWED_TRANSITIONS, CaseStatus
from shekara.errors import NotFound
from shekara.places.models import Place
from shekara.policy.sharing import Viewer
from shekara.records.registry import RESOURCES
from shekara.records.service import get_record, list_records
from shekara.records.spec import ResourceSpec
from shekara.vocab.admin import list_terms
from shekara.web.editing import CREATABLE, EDITABLE, NEW_TITLES
from shekara.web.i18n import N_
from shekara.web.presenters import (
    COLUMNS,
    FIELDS,
    FILTER_LABELS,
    LINKS,
    RESOURCE_PLURAL,
    TITLE_FIELD,
)
from shekara.web.rendering import render
from shekara.web.security import SignedIn, locale_of

router = APIRouter(prefix="/records")
PAGE = 50


def spec_for(resource: str) -> ResourceSpec:
    spec = RESOURCES.get(resource)
    if spec is None:
        raise NotFound(f"no resource {resource}")
    return spec


def _filter_value(kind: type, raw: str) -> Any:
    if kind is datetime:  # a date field on the page: the day starts at 00:00 UTC
        return datetime.combine(date.fromisoformat(raw), time(0), tzinfo=UTC)
    return TypeAdapter(kind).validate_python(raw)


@router.get("/{resource}")
def list_page(
    request: Request,
    resource: str,
    session: SessionDep,
    viewer: SignedIn,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    spec = spec_for(resource)
    filters: dict[str, Any] = {}
    raw_filters: dict[str, str] = {}
    errors: list[str] = []
    for name, (kind, _desc, _cond) in spec.filters.items():
        raw = request.query_params.get(name, "").strip()
        if not raw:
            continue
        raw_filters[name] = raw
        try:
            filters[name] = _filter_value(kind, raw)
        except (ValueError, ValidationError):
            errors.append(name)
    result = list_records(
        session, viewer, spec, filters=filters, limit=PAGE, offset=(page - 1) * PAGE
    )
    locale = locale_of(request)
    return render(
        request,
        "records/list.html",
        {
            "resource": resource,
            "title": RESOURCE_PLURAL[resource],
            "page": result,
            "page_no": page,
            "page_size": PAGE,
            "title_field": TITLE_FIELD[resource],
            "columns": [f for f in FIELDS[resource] if f.key in COLUMNS[resource]],
            "filters": raw_filters,
            "filter_labels": FILTER_LABELS,
            "filter_errors": errors,
            "filter_names": [
                n
                for n in (
                    "category",
                    "commodity",
                    "since",
                    "until",
                    "owner_country",
                    "status",
                    "kind",
                    "country",
                )
                if n in spec.filters
            ],
            "bad_filter": N_("Check this filter: %(name)s. Dates look like 2024-05-31."),
            "filter_options": filter_options(session, viewer, resource, locale),
            "new_url": f"/records/{resource}/new"
            if resource in CREATABLE and viewer.can(Perm.write)
            else ("/incidents/new" if resource == "incidents" and viewer.can(Perm.write) else ""),
            "new_label": NEW_TITLES.get(resource, N_("New incident")),
        },
        viewer=viewer,
        session=session,
    )


FILTER_VOCABULARIES: dict[tuple[str, str], str] = {
    ("incidents", "category"): "threat_category",
    ("incidents", "commodity"): "commodity",
    ("vehicles", "kind"): "vehicle_kind",
    ("sources", "kind"): "source_kind",
}


def filter_options(
    session: Session, viewer: Viewer, resource: str, locale: str
) -> dict[str, list[tuple[str, str]]]:
    """Choices for the list filters that take a code (vocabulary terms, countries, statuses)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for (res, name), vocabulary in FILTER_VOCABULARIES.items():
        if res == resource:
            out[name] = sorted(
                (
                    (x.code, getattr(x, f"name_{locale}") or x.name_en)
                    for x in list_terms(session, viewer, vocabulary)
                    if x.active
                ),
                key=lambda r: r[1].casefold(),
            )
    countries = [
        (c.code, f"{c.code} – {getattr(c, f'name_{locale}') or c.name_en}")
        for c in list_countries(session)
        if c.member
    ]
    out["owner_country"] = countries
    if resource == "cases":
        out["status"] = [(c.value, c.value) for c in CaseStatus]
    return out


def edit_url(resource: str, record_id: uuid.UUID) -> str:
    """Where the owner edits the record ("" when the console has no form for it)."""
    if resource == "incidents":
        return f"/incidents/{record_id}/edit"
    if resource in EDITABLE:
        return f"/records/{resource}/{record_id}/edit"
    return ""


@router.get("/{resource}/{record_id}")
def record_page(
    request: Request,
    resource: str,
    record_id: uuid.UUID,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    return show_record(request, session, viewer, resource, record_id)


def show_record(
    request: Request,
    session: Session,
    viewer: Viewer,
    resource: str,
    record_id: uuid.UUID,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """A record's page (audited read); ``values``/``errors`` re-display a form on it."""
    spec = spec_for(resource)
    record = get_record(session, viewer, spec, record_id)  # audited; NotFound when invisible
    if record.get("hit_only") and "sharing" not in record:
        return render(
            request,
            "records/hit_notice.html",
            {"resource": resource, "record": record},
            viewer=viewer,
            session=session,
        )
    locale = locale_of(request)
    for key in ("place", "checkpoint"):  # reference places: their name in the user's language
        link = record.get(key)
        if isinstance(link, dict) and link.get("type") == "places":
            place = session.get(Place, uuid.UUID(str(link["id"])))
            if place is not None:
                link["label"] = place.name(locale)
    agency_list = list_agencies(session, viewer)
    agencies = {str(a.id): a for a in agency_list}
    transitions: list[str] = []
    takers: list[tuple[str, str]] = []
    if resource == "cases" and record.get("editable"):
        # the forms of the case page: allowed next statuses, and who may take the case over
        transitions = sorted(s.value for s in ALLOWED_TRANSITIONS[CaseStatus(record["status"])])
        owner = str(record["sharing"]["owner_agency"]["id"])
        takers = [
            (a.code, f"{a.code} – {getattr(a, f'name_{locale}', '') or a.name}")
            for a in agency_list
            if a.active and str(a.id) != owner
        ]
    return render(
        request,
        "records/detail.html",
        {
            "resource": resource,
            "record": record,
            "fields": FIELDS[resource],
            "links": LINKS.get(resource, ()),
            "title_field": TITLE_FIELD[resource],
            "agencies": agencies,
            "plural": RESOURCE_PLURAL[resource],
            "edit_url": edit_url(resource, record_id),
            "transitions": transitions,
            "takers": takers,
            "v": values or {},
            "errors": errors or {},
        },
        viewer=viewer,
        session=session,
        status_code=status_code,
    )
