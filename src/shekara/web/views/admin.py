"""Administration: agencies, users and vocabularies (each change audited by the service)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from shekara.accounts import service as accounts
from shekara.accounts.constants import Perm, Role
from shekara.accounts.schemas import UserCreate, UserUpdate
from shekara.agencies import service as agencies
from shekara.agencies.constants import AgencyKind
from shekara.agencies.schemas import AgencyCreate
from shekara.api.deps import SessionDep
from shekara.errors import AppError
from shekara.places import service as places
from shekara.places.constants import CheckpointKind, ImpactLevel
from shekara.policy.sharing import Viewer
from shekara.records.service import require
from shekara.vocab import admin as vocab
from shekara.vocab.service import VOCABULARIES
from shekara.web.forms import flat, nest, pydantic_errors, service_errors
from shekara.web.i18n import N_, translator
from shekara.web.rendering import render
from shekara.web.security import CheckedForm, SignedIn, locale_of

router = APIRouter(prefix="/admin")

VOCABULARY_NAMES = {
    "threat_category": N_("Threat categories"),
    "commodity": N_("Commodities"),
    "concealment": N_("Concealment methods"),
    "detection": N_("Detection methods"),
    "involvement_role": N_("Roles in incidents"),
    "crossing_result": N_("Crossing results"),
    "vehicle_kind": N_("Vehicle kinds"),
    "source_kind": N_("Source kinds"),
}


def _admin(viewer: Viewer) -> Viewer:
    return require(viewer, Perm.admin)


def _save(
    request: Request,
    session: Session,
    schema: type[BaseModel],
    values: dict[str, Any],
    action: Any,
) -> dict[str, str]:
    """Validate with the API's schema and call the service; errors by field, else {}."""
    t = translator(locale_of(request))
    try:
        data = schema.model_validate(values)
    except ValidationError as e:
        return pydantic_errors(e, t)
    try:
        with session.begin_nested():
            action(data)
    except AppError as e:
        return service_errors(e, t)
    return {}


@router.get("")
def admin_home(viewer: SignedIn) -> Response:
    _admin(viewer)
    return RedirectResponse("/admin/agencies", status_code=303)


def _agencies_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/agencies.html",
        {
            "agencies": agencies.list_agencies(session, viewer),
            "countries": [c for c in agencies.list_countries(session)],
            "kinds": [k.value for k in AgencyKind],
            "v": values,
            "errors": errors,
        },
        viewer=viewer,
        session=session,
        status_code=status_code,
    )


@router.get("/agencies")
def agencies_page(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    return _agencies_page(request, session, _admin(viewer), {}, {})


@router.post("/agencies")
def add_agency(
    request: Request, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    v = _admin(viewer)
    values = flat(form)
    errors = _save(
        request,
        session,
        AgencyCreate,
        nest(values),
        lambda d: agencies.admin_create_agency(session, v, d),
    )
    if errors:
        return _agencies_page(request, session, v, values, errors, 422)
    return RedirectResponse("/admin/agencies?added=1", status_code=303)


def _users_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/users.html",
        {
            "users": accounts.list_users(session, viewer),
            "agencies": agencies.list_agencies(session, viewer),
            "roles": [r.value for r in Role],
            "v": values,
            "errors": errors,
        },
        viewer=viewer,
        session=session,
        status_code=status_code,
    )


@router.get("/users")
def users_page(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    return _users_page(request, session, _admin(viewer), {}, {})


@router.post("/users")
def add_user(
    request: Request, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    v = _admin(viewer)
    values = flat(form)
    errors = _save(
        request,
        session,
        UserCreate,
        nest(values),
        lambda d: accounts.admin_create_user(session, v, d),
    )
    if errors:
        values.pop("password", None)
        return _users_page(request, session, v, values, errors, 422)
    return RedirectResponse("/admin/users?added=1", status_code=303)


def _vocab_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    vocabulary: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/vocabularies.html",
        {
            "vocabularies": [(v, VOCABULARY_NAMES[v]) for v in VOCABULARIES],
            "current": vocabulary,
            "terms": vocab.list_terms(session, viewer, vocabulary),
            "v": values,
            "errors": errors,
        },
        viewer=viewer,
        session=session,
        status_code=status_code,
    )


@router.post("/users/{user_id}")
def change_user(
    request: Request, user_id: uuid.UUID, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    """Change a user's role, or lock / unlock the account."""
    v = _admin(viewer)
    values = {"role": str(form.get("role") or ""), "active": form.get("active") == "on"}
    errors = _save(
        request,
        session,
        UserUpdate,
        values,
        lambda d: accounts.admin_update_user(session, v, user_id, d),
    )
    if errors:
        return _users_page(request, session, v, {}, errors, 422)
    return RedirectResponse("/admin/users?added=1", status_code=303)


PLACE_KINDS = ("checkpoint", "border_section", "city", "region")
PLACE_KIND_PATTERN = "^(" + "|".join(PLACE_KINDS) + ")$"
GEOMETRY_MAX_BYTES = 5_000_000


def _place_options(session: Session) -> dict[str, Any]:
    return {
        "place_kinds": PLACE_KINDS,
        "countries": [c.code for c in agencies.list_countries(session) if c.member]
        or [c.code for c in agencies.list_countries(session)],
        "checkpoint_kinds": [k.value for k in CheckpointKind],
        "impact_levels": [k.value for k in ImpactLevel],
    }


def _places_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    kind: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/places.html",
        {
            "kind": kind,
            "places": places.list_places(session, viewer, kind, None, 5000, 0),
            "v": values,
            "errors": errors,
            **_place_options(session),
        },
        viewer=viewer,
        session=session,
        status_code=status_code,
    )


@router.get("/places")
def places_page(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    kind: Annotated[str, Query(pattern=PLACE_KIND_PATTERN)] = "checkpoint",
) -> Response:
    return _places_page(request, session, _admin(viewer), kind, {}, {})


def _geometry(form: Any, values: dict[str, str], t: Any) -> tuple[Any, dict[str, str]]:
    """The pasted GeoJSON, else the uploaded file's; (geometry or None, errors by field)."""
    text = values.get("geometry", "").strip()
    upload = form.get("geometry_file")
    if not text and upload is not None and not isinstance(upload, str):
        raw = upload.file.read(GEOMETRY_MAX_BYTES + 1)
        if len(raw) > GEOMETRY_MAX_BYTES:
            return None, {"geometry": t.gettext("The file is larger than 5 MB.")}
        try:
            text = raw.decode("utf-8-sig").strip()
        except UnicodeDecodeError:
            return None, {"geometry": t.gettext("The file is not UTF-8 text (GeoJSON).")}
        values["geometry"] = text
    if not text:
        return None, {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as e:
        msg = t.gettext(
            "This is not GeoJSON: %(detail)s (line %(line)s, column %(col)s).",
            detail=e.msg,
            line=e.lineno,
            col=e.colno,
        )
        return None, {"geometry": msg}
    try:
        return places.check_geometry(parsed), {}
    except AppError as e:
        return None, service_errors(e, t)


def _place_data(values: dict[str, str]) -> dict[str, Any]:
    data = nest({k: v for k, v in values.items() if k != "geometry"})
    if data.get("kind") != "checkpoint":
        data.pop("checkpoint_kind", None)
    if data.get("kind") != "border_section":
        data.pop("impact_level", None)
    return data


@router.post("/places")
def add_place(
    request: Request, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    """Add a checkpoint, a border section (with its geometry), a city or a region."""
    v = _admin(viewer)
    t = translator(locale_of(request))
    values = flat(form)
    kind = values.get("kind", "checkpoint")
    kind = kind if kind in PLACE_KINDS else "checkpoint"
    values["kind"] = kind
    geometry, errors = _geometry(form, values, t)
    if kind == "border_section" and geometry is None and not errors:
        errors = {"geometry": t.gettext("Paste the section's GeoJSON line or upload a file.")}
    if not errors:
        data: dict[str, Any] = {**_place_data(values), "geometry": geometry}
        errors = _save(
            request, session, places.PlaceIn, data, lambda d: places.create_place(session, v, d)
        )
    if errors:
        return _places_page(request, session, v, kind, values, errors, 422)
    return RedirectResponse(f"/admin/places?kind={kind}&added=1", status_code=303)


def _place_edit_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    place_id: uuid.UUID,
    values: dict[str, str] | None,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    place = places.get_place(session, viewer, place_id)
    if values is None:
        values = {
            key: "" if getattr(place, key) is None else str(getattr(place, key))
            for key in ("name_en", "name_ru", "name_kk", "lat", "lon")
        }
        values["checkpoint_kind"] = place.checkpoint_kind.value if place.checkpoint_kind else ""
        values["impact_level"] = place.impact_level.value if place.impact_level else ""
        values["geometry"] = json.dumps(place.geometry, indent=1) if place.geometry else ""
    return render(
        request,
        "admin/place_edit.html",
        {"place": place, "v": values, "errors": errors, **_place_options(session)},
        viewer=viewer,
        session=session,
        status_code=status_code,
    )


@router.get("/places/{place_id}")
def edit_place_page(
    request: Request, place_id: uuid.UUID, session: SessionDep, viewer: SignedIn
) -> Response:
    return _place_edit_page(request, session, _admin(viewer), place_id, None, {})


@router.post("/places/{place_id}")
def save_place(
    request: Request, place_id: uuid.UUID, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    """Change a place's names in the three languages, position, kind, impact level, geometry."""
    v = _admin(viewer)
    t = translator(locale_of(request))
    values = flat(form)
    place = places.get_place(session, v, place_id)
    geometry, errors = _geometry(form, values, t)
    if place.kind == "border_section" and geometry is None and not errors:
        errors = {"geometry": t.gettext("Paste the section's GeoJSON line or upload a file.")}
    if not errors:
        data: dict[str, Any] = {
            "name_en": values.get("name_en", "").strip(),
            "name_ru": values.get("name_ru", "").strip(),
            "name_kk": values.get("name_kk", "").strip(),
        }
        if place.kind != "border_section":
            data["lat"] = values.get("lat", "").strip() or None
            data["lon"] = values.get("lon", "").strip() or None
        if place.kind == "checkpoint":
            data["checkpoint_kind"] = values.get("checkpoint_kind") or None
        if place.kind == "border_section":
            data["impact_level"] = values.get("impact_level") or None
            data["geometry"] = geometry
        errors = _save(
            request,
            session,
            places.PlaceUpdate,
            data,
            lambda d: places.update_place(session, v, place_id, d),
        )
    if errors:
        return _place_edit_page(request, session, v, place_id, values, errors, 422)
    return RedirectResponse(f"/admin/places?kind={place.kind}&added=1", status_code=303)


@router.get("/vocabularies")
def vocabularies_page(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    v: Annotated[str, Query()] = VOCABULARIES[0],
) -> Response:
    return _vocab_page(
        request, session, _admin(viewer), v if v in VOCABULARIES else VOCABULARIES[0], {}, {}
    )


@router.post("/vocabularies/{vocabulary}")
def add_term(
    request: Request, vocabulary: str, form: CheckedForm, session: SessionDep, viewer: SignedIn
) -> Response:
    v = _admin(viewer)
    if vocabulary not in VOCABULARIES:
        vocabulary = VOCABULARIES[0]
    values = flat(form)
    errors = _save(
        request,
        session,
        vocab.TermIn,
        nest(values),
        lambda d: vocab.add_term(session, v, vocabulary, d),
    )
    if errors:
        return _vocab_page(request, session, v, vocabulary, values, errors, 422)
    return RedirectResponse(f"/admin/vocabularies?v={vocabulary}&added=1", status_code=303)
