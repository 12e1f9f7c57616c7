"""Recording an incident with its seizures and involved persons, validated as the user types."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.api.deps import SessionDep
from shekara.core.quantities import CURRENCIES, UNITS
from shekara.errors import AppError
from shekara.incidents.resource import INCIDENTS
from shekara.incidents.schemas import IncidentCreate
from shekara.persons.resource import PERSONS
from shekara.places.service import list_places
from shekara.policy.constants import Distribution, HandlingCode, InfoCredibility, SourceReliability
from shekara.policy.sharing import Viewer
from shekara.records.service import create_record, list_records, require
from shekara.vocab.admin import list_terms
from shekara.web.forms import flat, nest, pydantic_errors, service_errors, slug
from shekara.web.i18n import translator
from shekara.web.rendering import render
from shekara.web.security import CheckedForm, SignedIn, locale_of

router = APIRouter(prefix="/incidents")
ROW = re.compile(r"^(seizures|involvements)\[(\d+)\]\.(\w+)$")
MAX_ROWS = 50
SEIZURE_FIELDS = ("commodity", "quantity", "unit", "concealment", "detection")
PERSON_FIELDS = ("person_q", "person_id", "person_label", "role")


def _writer(viewer: Viewer) -> Viewer:
    return require(viewer, Perm.write)


def split_rows(values: dict[str, str]) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
    """Top-level values and the rows of each repeated group, renumbered from 0."""
    top: dict[str, str] = {}
    found: dict[str, dict[int, dict[str, str]]] = {"seizures": {}, "involvements": {}}
    for key, value in values.items():
        m = ROW.match(key)
        if m and int(m.group(2)) < MAX_ROWS:
            found[m.group(1)].setdefault(int(m.group(2)), {})[m.group(3)] = value
        elif not m:
            top[key] = value
    return top, {g: [rows[i] for i in sorted(rows)] for g, rows in found.items()}


def normalise_time(value: str) -> str:
    """``datetime-local`` sends no zone: the form asks for UTC, so say so to the schema."""
    v = value.strip().replace(" ", "T")
    if v and not re.search(r"(Z|[+-]\d\d:?\d\d)$", v):
        v += "Z"
    return v


def payload(values: dict[str, str], hit_only: bool) -> dict[str, Any]:
    data = nest(values)
    if "occurred_at" in data:
        data["occurred_at"] = normalise_time(data["occurred_at"])
    data["hit_only"] = hit_only
    for inv in data.get("involvements", []):
        for extra in ("person_q", "person_label"):
            inv.pop(extra, None)
    data["involvements"] = [
        i for i in data.get("involvements", []) if set(i) - {"role"}
    ]  # a role alone is an untouched row
    return data


def validate(
    session: Session, viewer: Viewer, data: dict[str, Any], locale: str, *, save: bool
) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Errors by field path, and the created record when ``save`` and valid.

    Validation runs the real create in a savepoint (rolled back unless saving), so what is
    checked as the user types is exactly what saving checks.
    """
    t = translator(locale)
    try:
        model = IncidentCreate.model_validate(data)
    except ValidationError as e:
        return pydantic_errors(e, t), None
    nested = session.begin_nested()
    try:
        created = create_record(session, viewer, INCIDENTS, model)
    except AppError as e:
        nested.rollback()
        return service_errors(e, t), None
    if save:
        nested.commit()
        return {}, created
    nested.rollback()
    return {}, None


def _options(session: Session, viewer: Viewer, locale: str) -> dict[str, Any]:
    def terms(vocabulary: str) -> list[tuple[str, str]]:
        rows = [
            (x.code, getattr(x, f"name_{locale}") or x.name_en)
            for x in list_terms(session, viewer, vocabulary)
            if x.active
        ]
        return sorted(rows, key=lambda r: r[1].casefold())

    def places(kind: str) -> list[tuple[str, str]]:
        rows = list_places(session, viewer, kind, None, 5000, 0)
        return sorted(
            (
                (
                    str(p.id),
                    f"{getattr(p, f'name_{locale}') or p.name_en} "
                    f"({'–'.join(c for c in (p.country, p.country2) if c)})",
                )
                for p in rows
            ),
            key=lambda r: r[1].casefold(),
        )

    return {
        "categories": terms("threat_category"),
        "commodities": terms("commodity"),
        "concealments": terms("concealment"),
        "detections": terms("detection"),
        "roles": terms("involvement_role"),
        "units": list(UNITS) + sorted(CURRENCIES),
        "checkpoints": places("checkpoint"),
        "sections": places("border_section"),
        "distributions": [d.value for d in Distribution],
        "handling_codes": [h.value for h in HandlingCode],
        "reliabilities": [r.value for r in SourceReliability],
        "credibilities": [c.value for c in InfoCredibility],
    }


def _form_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    groups: dict[str, list[dict[str, str]]] | None = None,
) -> Response:
    top, found = split_rows(values)
    groups = groups if groups is not None else found
    if not groups["seizures"]:
        groups["seizures"] = [{}]
    if not groups["involvements"]:
        groups["involvements"] = [{}]
    return render(
        request,
        "incidents/form.html",
        {
            "v": top,
            "seizures": groups["seizures"],
            "involvements": groups["involvements"],
            "errors": errors,
            "slug": slug,
            "hit_only": top.get("hit_only") == "on",
            **_options(session, viewer, locale_of(request)),
        },
        viewer=viewer,
        session=session,
        status_code=status_code,
    )


@router.get("/new")
def new_incident(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    _writer(viewer)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    values = {
        "occurred_at": now,
        "distribution": "country",
        "handling_code": "H0",
        "source_reliability": "X",
        "info_credibility": "4",
    }
    return _form_page(request, session, viewer, values, {})


@router.post("/new")
def create_incident(
    request: Request,
    form: CheckedForm,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    _writer(viewer)
    values = flat(form)
    action = str(form.get("action") or "save")
    if action != "save":
        top, groups = split_rows(values)
        group, _, index = action.partition(":")
        if group == "add_seizure" and len(groups["seizures"]) < MAX_ROWS:
            groups["seizures"].append({})
        elif group == "add_person" and len(groups["involvements"]) < MAX_ROWS:
            groups["involvements"].append({})
        elif group in ("remove_seizure", "remove_person") and index.isdigit():
            rows = groups["seizures" if group == "remove_seizure" else "involvements"]
            if int(index) < len(rows):
                rows.pop(int(index))
        return _form_page(request, session, viewer, top, {}, groups=groups)
    data = payload(values, form.get("hit_only") == "on")
    errors, created = validate(session, viewer, data, locale_of(request), save=True)
    if errors or created is None:
        return _form_page(request, session, viewer, values, errors, status_code=422)
    target = f"/records/incidents/{created['id']}"
    return RedirectResponse(target, status_code=303)


@router.post("/new/validate")
def validate_incident(
    request: Request,
    form: CheckedForm,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    """Live validation: a summary, and each field's message swapped in place (htmx OOB)."""
    _writer(viewer)
    values = flat(form)
    data = payload(values, form.get("hit_only") == "on")
    errors, _ = validate(session, viewer, data, locale_of(request), save=False)
    shown = {k for k in values if not k.endswith(("person_q", "person_label", "hit_only"))}
    slots = sorted(
        shown
        | set(errors)
        | {
            f"{g}[{i}]"
            for g in ("seizures", "involvements")
            for i in range(MAX_ROWS)
            if any(k.startswith(f"{g}[{i}]") for k in values)
        }
    )
    return render(
        request,
        "incidents/validation.html",
        {
            "errors": errors,
            "slots": slots,
            "slug": slug,
        },
        viewer=viewer,
        session=session,
    )


@router.get("/new/persons")
def person_options(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    """Options for a person field: visible persons whose names match what was typed."""
    q = next((v for k, v in request.query_params.items() if k.endswith("person_q")), "").strip()
    selected = next((v for k, v in request.query_params.items() if k.endswith("person_id")), "")
    items: list[dict[str, Any]] = []
    if len(q) >= 2:
        items = list_records(session, viewer, PERSONS, filters={}, q=q, limit=20).items
    return render(
        request,
        "incidents/person_options.html",
        {
            "items": items,
            "q": q,
            "selected": selected,
        },
        viewer=viewer,
        session=session,
    )
