"""Creating persons and vehicles, and editing persons, vehicles, documents and organisations.

The form is checked against the resource's create schema (the same messages as the incident
form), then saved by :func:`shekara.records.service.create_record` or
:func:`~shekara.records.service.update_record`: only the owner agency's users with ``write``
edit, a hidden record answers 404 and a visible one of another agency 403, as in the API, and
every change is audited with its before and after.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.api.deps import SessionDep
from shekara.errors import AppError, Forbidden, NotFound
from shekara.persons.constants import DocumentKind, NameKind, Sex
from shekara.policy.constants import Distribution, HandlingCode, InfoCredibility, SourceReliability
from shekara.policy.sharing import Viewer
from shekara.records.registry import RESOURCES
from shekara.records.service import create_record, get_record, require, update_record
from shekara.records.spec import ResourceSpec
from shekara.vocab.admin import list_terms
from shekara.web import editing
from shekara.web.forms import flat, nest, pydantic_errors, service_errors, slug
from shekara.web.i18n import translator
from shekara.web.presenters import RESOURCE_PLURAL
from shekara.web.rendering import render
from shekara.web.security import CheckedForm, SignedIn, locale_of

router = APIRouter(prefix="/records")
ENUMS: dict[str, list[str]] = {
    "sex": [s.value for s in Sex],
    "document_kind": [d.value for d in DocumentKind],
    "organisation_kind": ["company", "criminal_group", "other"],
    "name_kind": [n.value for n in NameKind],
}


def _spec(resource: str, allowed: frozenset[str]) -> ResourceSpec:
    spec = RESOURCES.get(resource)
    if spec is None or resource not in allowed:
        raise NotFound(f"no form for {resource}")
    return spec


def _editable(
    session: Session, viewer: Viewer, spec: ResourceSpec, record_id: uuid.UUID
) -> dict[str, Any]:
    """The record as its owner reads it (audited); 404 / 403 exactly as the API's PATCH."""
    record = get_record(session, viewer, spec, record_id)
    if "sharing" not in record:  # a hit notice: as good as absent
        raise NotFound(f"no {spec.name} record {record_id}")
    if not record.get("editable"):
        raise Forbidden("only the owner agency edits this record")
    return record


def _options(session: Session, viewer: Viewer, locale: str) -> dict[str, list[tuple[str, str]]]:
    vehicle_kinds = sorted(
        (
            (x.code, getattr(x, f"name_{locale}") or x.name_en)
            for x in list_terms(session, viewer, "vehicle_kind")
            if x.active
        ),
        key=lambda r: r[1].casefold(),
    )
    return {"vocab:vehicle_kind": vehicle_kinds}


def _page(
    request: Request,
    session: Session,
    viewer: Viewer,
    resource: str,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    record_id: uuid.UUID | None = None,
    status_code: int = 200,
) -> Response:
    action = f"/records/{resource}/{record_id}/edit" if record_id else f"/records/{resource}/new"
    return render(
        request,
        "records/edit.html",
        {
            "resource": resource,
            "inputs": editing.INPUTS[resource],
            "plural": RESOURCE_PLURAL[resource],
            "heading": (editing.EDIT_TITLES if record_id else editing.NEW_TITLES)[resource],
            "v": values,
            "names": editing.name_rows(values) if resource == "persons" else [],
            "errors": errors,
            "slug": slug,
            "record_id": record_id,
            "action_url": action,
            "hit_only": values.get("hit_only") == "on",
            "enums": ENUMS,
            "options": _options(session, viewer, locale_of(request)),
            "distributions": [d.value for d in Distribution],
            "handling_codes": [h.value for h in HandlingCode],
            "reliabilities": [r.value for r in SourceReliability],
            "credibilities": [c.value for c in InfoCredibility],
        },
        viewer=viewer,
        session=session,
        status_code=status_code,
    )


def check(
    session: Session,
    viewer: Viewer,
    spec: ResourceSpec,
    values: dict[str, str],
    hit_only: bool,
    locale: str,
    *,
    save: bool,
    record_id: uuid.UUID | None = None,
) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Errors by field path, and the saved record when ``save`` and valid.

    The real create or update runs in a savepoint, rolled back unless saving, so live
    validation checks exactly what saving checks.
    """
    t = translator(locale)
    data = editing.payload(spec.name, nest(values), hit_only)
    try:
        model = spec.create_schema.model_validate(data)
    except ValidationError as e:
        return pydantic_errors(e, t), None
    nested = session.begin_nested()
    try:
        if record_id is None:
            saved = create_record(session, viewer, spec, model)
        else:
            update = editing.as_update(spec.name, model, spec.update_schema)
            saved = update_record(session, viewer, spec, record_id, update)
    except (NotFound, Forbidden):
        nested.rollback()
        raise  # the same 404/403 as the API, not a field error
    except AppError as e:
        nested.rollback()
        return service_errors(e, t), None
    if save:
        nested.commit()
        return {}, saved
    nested.rollback()
    return {}, None


def _live(
    request: Request,
    session: Session,
    viewer: Viewer,
    spec: ResourceSpec,
    form: Any,
    record_id: uuid.UUID | None = None,
) -> Response:
    values = flat(form)
    errors, _ = check(
        session,
        viewer,
        spec,
        values,
        form.get("hit_only") == "on",
        locale_of(request),
        save=False,
        record_id=record_id,
    )
    slots = sorted(
        (set(values) | set(errors)) - {"hit_only"}
        | {f"names[{i}]" for i in range(editing.MAX_NAMES) if f"names[{i}].full_name" in values}
    )
    return render(
        request,
        "incidents/validation.html",
        {
            "errors": errors,
            "slots": slots,
            "slug": slug,
            "ok_message": translator(locale_of(request)).gettext(
                "Everything looks right. Press “Save” when you are done."
            ),
        },
        viewer=viewer,
        session=session,
    )


@router.get("/{resource}/new")
def new_form(request: Request, resource: str, session: SessionDep, viewer: SignedIn) -> Response:
    _spec(resource, editing.CREATABLE)
    require(viewer, Perm.write)
    values = dict(editing.DEFAULTS)
    if resource == "vehicles":
        values["kind"] = "car"
    return _page(request, session, viewer, resource, values, {})


@router.post("/{resource}/new")
def create(
    request: Request, resource: str, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    spec = _spec(resource, editing.CREATABLE)
    require(viewer, Perm.write)
    values = flat(form)
    errors, saved = check(
        session, viewer, spec, values, form.get("hit_only") == "on", locale_of(request), save=True
    )
    if errors or saved is None:
        return _page(request, session, viewer, resource, values, errors, status_code=422)
    return RedirectResponse(f"/records/{resource}/{saved['id']}", status_code=303)


@router.post("/{resource}/new/validate")
def validate_new(
    request: Request, resource: str, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    spec = _spec(resource, editing.CREATABLE)
    require(viewer, Perm.write)
    return _live(request, session, viewer, spec, form)


@router.get("/{resource}/{record_id}/edit")
def edit_form(
    request: Request, resource: str, record_id: uuid.UUID, session: SessionDep, viewer: SignedIn
) -> Response:
    if resource == "incidents":
        return RedirectResponse(f"/incidents/{record_id}/edit", status_code=303)
    spec = _spec(resource, editing.EDITABLE)
    require(viewer, Perm.write)
    record = _editable(session, viewer, spec, record_id)
    values = editing.record_values(resource, record)
    return _page(request, session, viewer, resource, values, {}, record_id=record_id)


@router.post("/{resource}/{record_id}/edit")
def save(
    request: Request,
    resource: str,
    record_id: uuid.UUID,
    form: CheckedForm,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    spec = _spec(resource, editing.EDITABLE)
    require(viewer, Perm.write)
    values = flat(form)
    errors, saved = check(
        session,
        viewer,
        spec,
        values,
        form.get("hit_only") == "on",
        locale_of(request),
        save=True,
        record_id=record_id,
    )
    if errors or saved is None:
        return _page(
            request,
            session,
            viewer,
            resource,
            values,
            errors,
            record_id=record_id,
            status_code=422,
        )
    return RedirectResponse(f"/records/{resource}/{record_id}", status_code=303)


@router.post("/{resource}/{record_id}/edit/validate")
def validate_edit(
    request: Request,
    resource: str,
    record_id: uuid.UUID,
    form: CheckedForm,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    spec = _spec(resource, editing.EDITABLE)
    require(viewer, Perm.write)
    return _live(request, session, viewer, spec, form, record_id)
