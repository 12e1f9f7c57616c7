"""Recording and editing an incident with its seizures and involved persons, validated as typed.

Editing goes through :func:`shekara.records.service.update_record` (owner agency only, audited
with before/after); the form is first checked against the create schema, so a required field
left empty gets the same message as on the new-incident form.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.api.deps import SessionDep
from shekara.core.quantities import CURRENCIES, UNITS
from shekara.errors import AppError, Forbidden, NotFound
from shekara.incidents.models import Involvement
from shekara.incidents.resource import INCIDENTS
from shekara.incidents.schemas import IncidentCreate, IncidentUpdate
from shekara.organisations.models import Organisation
from shekara.persons.models import Person
from shekara.persons.resource import PERSONS
from shekara.places.service import list_places
from shekara.policy.constants import Distribution, HandlingCode, InfoCredibility, SourceReliability
from shekara.policy.sharing import Viewer, visible
from shekara.records.service import create_record, get_record, list_records, require, update_record
from shekara.vehicles.models import Vehicle
from shekara.vocab.admin import list_terms
from shekara.web.forms import flat, nest, pydantic_errors, service_errors, slug
from shekara.web.i18n import translator
from shekara.web.rendering import render
from shekara.web.security import CheckedForm, SignedIn, locale_of

router = APIRouter(prefix="/incidents")
ROW = re.compile(r"^(seizures|involvements)\[(\d+)\]\.(\w+)$")
MAX_ROWS = 50
SEIZURE_FIELDS = (
    "commodity",
    "quantity",
    "unit",
    "concealment",
    "detection",
    "origin_country",
    "transit_countries",
    "destination_country",
    "origin_place_id",
    "destination_place_id",
    "notes",
)
PERSON_FIELDS = ("person_q", "person_id", "person_label", "role")
# What the edit form sends: every other field of the incident stays as it is.
EDITED_FIELDS = (
    "reference",
    "category",
    "occurred_at",
    "place_id",
    "border_section_id",
    "lat",
    "lon",
    "summary",
    "description",
    "seizures",
    "involvements",
    "distribution",
    "hit_only",
    "partner_countries",
    "partner_agencies",
    "handling_code",
    "handling_note",
    "source_reliability",
    "info_credibility",
)


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
        for extra in ("person_q", "person_label", "label"):
            inv.pop(extra, None)
    data["involvements"] = [
        i for i in data.get("involvements", []) if set(i) - {"role"}
    ]  # a role alone is an untouched row
    return data


def as_update(model: IncidentCreate, locked_involvements: bool = False) -> IncidentUpdate:
    """The edit form's fields, every one set (an emptied field is cleared, not left as it was)."""
    fields = [f for f in EDITED_FIELDS if not (locked_involvements and f == "involvements")]
    return IncidentUpdate.model_validate({f: getattr(model, f) for f in fields})


def validate(
    session: Session,
    viewer: Viewer,
    data: dict[str, Any],
    locale: str,
    *,
    save: bool,
    record_id: uuid.UUID | None = None,
    locked_involvements: bool = False,
) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Errors by field path, and the created (or updated) record when ``save`` and valid.

    Validation runs the real create (or update of ``record_id``) in a savepoint, rolled back
    unless saving, so what is checked as the user types is exactly what saving checks.
    """
    t = translator(locale)
    try:
        model = IncidentCreate.model_validate(data)
    except ValidationError as e:
        return pydantic_errors(e, t), None
    update = as_update(model, locked_involvements) if record_id is not None else None
    nested = session.begin_nested()
    try:
        if record_id is None or update is None:
            created = create_record(session, viewer, INCIDENTS, model)
        else:
            created = update_record(session, viewer, INCIDENTS, record_id, update)
    except (NotFound, Forbidden):
        nested.rollback()
        raise  # the same 404/403 as the API: not a field error
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
    record_id: uuid.UUID | None = None,
    locked_involvements: bool = False,
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
            "record_id": record_id,
            "action_url": f"/incidents/{record_id}/edit" if record_id else "/incidents/new",
            "locked_involvements": locked_involvements,
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


def _rows_action(action: str, values: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """Add or remove a seizure or person row (buttons that work without JavaScript)."""
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
    return top, groups


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
        top, groups = _rows_action(action, values)
        return _form_page(request, session, viewer, top, {}, groups=groups)
    data = payload(values, form.get("hit_only") == "on")
    errors, created = validate(session, viewer, data, locale_of(request), save=True)
    if errors or created is None:
        return _form_page(request, session, viewer, values, errors, status_code=422)
    target = f"/records/incidents/{created['id']}"
    return RedirectResponse(target, status_code=303)


def _live(
    request: Request,
    session: Session,
    viewer: Viewer,
    form: Any,
    record_id: uuid.UUID | None = None,
    locked_involvements: bool = False,
) -> Response:
    """A summary, and each field's message swapped in place (htmx OOB)."""
    values = flat(form)
    data = payload(values, form.get("hit_only") == "on")
    errors, _ = validate(
        session,
        viewer,
        data,
        locale_of(request),
        save=False,
        record_id=record_id,
        locked_involvements=locked_involvements,
    )
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
            "record_id": record_id,
        },
        viewer=viewer,
        session=session,
    )


@router.post("/new/validate")
def validate_incident(
    request: Request,
    form: CheckedForm,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    """Live validation of the new-incident form."""
    _writer(viewer)
    return _live(request, session, viewer, form)


def hidden_involvements(session: Session, viewer: Viewer, incident_id: uuid.UUID) -> int:
    """How many of the incident's involvements link records the viewer may not see.

    The form cannot show those, so when there are any the persons are not edited here (saving
    would otherwise drop the links the editor cannot see).
    """
    seen = (
        Involvement.person_id.in_(select(Person.id).where(visible(viewer, Person)))
        | Involvement.vehicle_id.in_(select(Vehicle.id).where(visible(viewer, Vehicle)))
        | Involvement.organisation_id.in_(
            select(Organisation.id).where(visible(viewer, Organisation))
        )
    )
    return int(
        session.execute(
            select(func.count())
            .select_from(Involvement)
            .where(Involvement.incident_id == incident_id, ~seen)
        ).scalar_one()
    )


def _editable(session: Session, viewer: Viewer, record_id: uuid.UUID) -> dict[str, Any]:
    """The incident as its owner sees it (audited read); 404/403 exactly as the API's PATCH."""
    record = get_record(session, viewer, INCIDENTS, record_id)
    if "sharing" not in record:  # a hit notice: as good as absent
        raise NotFound(f"no incidents record {record_id}")
    if not record.get("editable"):
        raise Forbidden("only the owner agency edits this record")
    return record


def record_values(record: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
    """The form's values for an existing incident."""

    def text(v: Any) -> str:
        return "" if v is None else str(v)

    sh = record["sharing"]
    top = {
        "category": text(record.get("category")),
        "occurred_at": text(record.get("occurred_at"))[:16],
        "reference": text(record.get("reference")),
        "summary": text(record.get("summary")),
        "description": text(record.get("description")),
        "place_id": text(record.get("place_id")),
        "border_section_id": text(record.get("border_section_id")),
        "lat": text(record.get("lat")),
        "lon": text(record.get("lon")),
        "distribution": text(sh["distribution"]),
        "partner_countries": ", ".join(sh.get("partner_countries") or []),
        "partner_agencies": ", ".join(sh.get("partner_agencies") or []),
        "handling_code": text(sh["handling_code"]),
        "handling_note": text(sh.get("handling_note")),
        "source_reliability": text(sh["source_reliability"]),
        "info_credibility": text(sh["info_credibility"]),
    }
    if sh.get("hit_only"):
        top["hit_only"] = "on"
    seizures = [
        {
            k: (", ".join(z.get(k) or []) if k == "transit_countries" else text(z.get(k)))
            for k in SEIZURE_FIELDS
        }
        for z in record.get("seizures") or []
    ]
    for z in seizures:  # 12.5000 -> 12.5
        if "." in z["quantity"]:
            z["quantity"] = z["quantity"].rstrip("0").rstrip(".")
    people = [
        {"person_id": str(p["id"]), "person_label": p["label"], "role": p.get("role", "")}
        for p in record.get("persons") or []
    ]
    others = [
        {f"{key[:-1]}_id": str(x["id"]), "label": x["label"], "role": x.get("role", "")}
        for key in ("vehicles", "organisations")
        for x in record.get(key) or []
    ]
    return top, {"seizures": seizures, "involvements": people + others}


@router.get("/{record_id}/edit")
def edit_incident(
    request: Request, record_id: uuid.UUID, session: SessionDep, viewer: SignedIn
) -> Response:
    _writer(viewer)
    record = _editable(session, viewer, record_id)
    top, groups = record_values(record)
    locked = hidden_involvements(session, viewer, record_id) > 0
    return _form_page(
        request,
        session,
        viewer,
        top,
        {},
        groups=groups,
        record_id=record_id,
        locked_involvements=locked,
    )


@router.post("/{record_id}/edit")
def save_incident(
    request: Request,
    record_id: uuid.UUID,
    form: CheckedForm,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    _writer(viewer)
    values = flat(form)
    locked = hidden_involvements(session, viewer, record_id) > 0
    action = str(form.get("action") or "save")
    if action != "save":
        top, groups = _rows_action(action, values)
        _editable(session, viewer, record_id)
        return _form_page(
            request,
            session,
            viewer,
            top,
            {},
            groups=groups,
            record_id=record_id,
            locked_involvements=locked,
        )
    data = payload(values, form.get("hit_only") == "on")
    errors, saved = validate(
        session,
        viewer,
        data,
        locale_of(request),
        save=True,
        record_id=record_id,
        locked_involvements=locked,
    )
    if errors or saved is None:
        return _form_page(
            request,
            session,
            viewer,
            values,
            errors,
            status_code=422,
            record_id=record_id,
            locked_involvements=locked,
        )
    return RedirectResponse(f"/records/incidents/{record_id}", status_code=303)


@router.post("/{record_id}/edit/validate")
def validate_edit(
    request: Request,
    record_id: uuid.UUID,
    form: CheckedForm,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    """Live validation of the edit form (the real update, rolled back)."""
    _writer(viewer)
    locked = hidden_involvements(session, viewer, record_id) > 0
    return _live(request, session, viewer, form, record_id, locked)


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
