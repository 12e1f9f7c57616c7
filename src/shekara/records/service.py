"""Generic list/read/create/update/delete of shared records, through the policy and the audit.

Every function takes the viewer, applies :func:`shekara.policy.sharing.visible` and writes one
audit entry in the caller's transaction. Nothing here commits: the unit of work around the call
commits or rolls back as a whole.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.agencies.models import Agency, Country
from shekara.audit import service as audit
from shekara.db.base import new_id
from shekara.errors import Conflict, Forbidden, NotAuthenticated, NotFound, ValidationFailed
from shekara.policy.constants import Distribution
from shekara.policy.models import ShareGrant
from shekara.policy.sharing import Viewer, can_edit, is_hit_notice, visible
from shekara.records import detail
from shekara.records.schemas import AgencyRef, HitNotice, Page, SharingOut
from shekara.records.spec import ResourceSpec

SHARING_FIELDS = frozenset(
    {
        "distribution",
        "hit_only",
        "handling_code",
        "handling_note",
        "source_reliability",
        "info_credibility",
        "external_ref",
        "partner_countries",
        "partner_agencies",
    }
)
COUNT_CAP = 1_000


def require(viewer: Viewer | None, perm: Perm) -> Viewer:
    """Raise unless ``viewer`` is authenticated and holds ``perm``."""
    if viewer is None:
        raise NotAuthenticated("authentication required: send 'Authorization: Bearer <token>'")
    if not viewer.can(perm):
        raise Forbidden(f"the role {viewer.role.value!r} may not {perm.value}")
    return viewer


def snapshot(obj: Any) -> dict[str, Any]:
    """Column values of a row, for the audit's before/after."""
    return {a.key: getattr(obj, a.key) for a in inspect(obj).mapper.column_attrs}


_AGENCY_CACHE: dict[uuid.UUID, tuple[float, AgencyRef]] = {}
AGENCY_CACHE_SECONDS = 60.0


def agency_ref(session: Session, agency_id: uuid.UUID) -> AgencyRef:
    """The agency's directory entry (cached for a minute: agencies change rarely)."""
    now = time.monotonic()
    hit = _AGENCY_CACHE.get(agency_id)
    if hit is not None and now - hit[0] < AGENCY_CACHE_SECONDS:
        return hit[1]
    a = session.get(Agency, agency_id)
    if a is None:  # pragma: no cover - foreign key
        raise NotFound("agency not found")
    ref = AgencyRef(id=a.id, code=a.code, name=a.name, country=a.country, contact=a.contact)
    _AGENCY_CACHE[agency_id] = (now, ref)
    return ref


def sharing_out(session: Session, obj: Any) -> SharingOut:
    grants = (
        []
        if obj.distribution != Distribution.partners
        else session.execute(
            select(ShareGrant.partner_country, Agency.code)
            .outerjoin(Agency, Agency.id == ShareGrant.partner_agency_id)
            .where(ShareGrant.record_id == obj.id)
        ).all()
    )
    return SharingOut(
        owner_agency=agency_ref(session, obj.owner_agency_id),
        distribution=obj.distribution,
        hit_only=obj.hit_only,
        partner_countries=sorted({c for c, _ in grants if c}),
        partner_agencies=sorted({a for _, a in grants if a}),
        handling_code=obj.handling_code,
        handling_note=obj.handling_note,
        source_reliability=obj.source_reliability,
        info_credibility=obj.info_credibility,
        external_ref=obj.external_ref,
    )


def serialise(
    session: Session,
    viewer: Viewer,
    spec: ResourceSpec,
    obj: Any,
    *,
    detail: bool = True,
    detail_values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The public form of a record; links to other records only on detail reads
    (``detail_values``: those of ``spec.detail_columns``, when the read selected them)."""
    data = {a.key: getattr(obj, a.key) for a in inspect(obj).mapper.column_attrs}
    data["type"] = spec.name
    data["sharing"] = sharing_out(session, obj)
    data["editable"] = can_edit(viewer, obj)
    if spec.summary:
        data.update(spec.summary(session, viewer, obj))
    if detail and spec.extra:
        data.update(spec.extra(session, viewer, obj, **(detail_values or {})))
    return spec.public_schema.model_validate(data).model_dump(mode="json")


def hit_notice(session: Session, spec: ResourceSpec, obj: Any) -> dict[str, Any]:
    return HitNotice(
        id=obj.id, type=spec.name, owner_agency=agency_ref(session, obj.owner_agency_id)
    ).model_dump(mode="json")


def ensure_visible(
    session: Session, viewer: Viewer, model: Any, record_id: uuid.UUID | None, field: str
) -> Any:
    """Load a referenced record the viewer may see in full, or fail naming the field."""
    if record_id is None:
        return None
    obj = session.execute(
        select(model).where(model.id == record_id, visible(viewer, model))
    ).scalar_one_or_none()
    if obj is None:
        raise ValidationFailed([{"field": field, "message": f"no such record {record_id}"}])
    return obj


def _apply_sharing(session: Session, viewer: Viewer, obj: Any, data: dict[str, Any]) -> None:
    for key in (
        "distribution",
        "hit_only",
        "handling_code",
        "handling_note",
        "source_reliability",
        "info_credibility",
    ):
        if data.get(key) is not None:
            setattr(obj, key, data[key])
    countries = data.get("partner_countries")
    agencies = data.get("partner_agencies")
    if countries is None and agencies is None:
        return
    errors: list[dict[str, Any]] = []
    rows: list[ShareGrant] = []
    for i, code in enumerate(countries or []):
        if session.get(Country, code.upper()) is None:
            errors.append(
                {"field": f"partner_countries[{i}]", "message": f"unknown country {code!r}"}
            )
        rows.append(ShareGrant(record_id=obj.id, partner_country=code.upper()))
    for i, code in enumerate(agencies or []):
        ag = session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
        if ag is None:
            errors.append(
                {"field": f"partner_agencies[{i}]", "message": f"unknown agency {code!r}"}
            )
        else:
            rows.append(ShareGrant(record_id=obj.id, partner_agency_id=ag.id))
    if (rows or errors) and obj.distribution != Distribution.partners:
        errors.append(
            {"field": "distribution", "message": "named partners need distribution 'partners'"}
        )
    if errors:
        raise ValidationFailed(errors)
    session.query(ShareGrant).filter(ShareGrant.record_id == obj.id).delete()
    session.add_all(rows)


def _generic_fields(spec: ResourceSpec, data: BaseModel, *, partial: bool) -> dict[str, Any]:
    skip = SHARING_FIELDS | spec.custom_fields
    values = data.model_dump(exclude_unset=partial)
    cols = {a.key for a in inspect(spec.model).column_attrs}
    return {k: v for k, v in values.items() if k not in skip and k in cols}


def list_records(
    session: Session,
    viewer: Viewer | None,
    spec: ResourceSpec,
    *,
    filters: dict[str, Any],
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[dict[str, Any]]:
    """A page of the records the viewer may see in full; audited with filters and ids."""
    viewer = require(viewer, Perm.read)
    model = spec.model
    conds = [visible(viewer, model)]
    for name, value in filters.items():
        if value is not None:
            conds.append(spec.filters[name][2](value))
    if q and spec.text_search is not None:
        conds.append(spec.text_search(q))
    base = select(model.id).where(*conds)
    total = session.execute(
        select(func.count()).select_from(base.limit(COUNT_CAP).subquery())
    ).scalar_one()
    order = spec.order_by() if spec.order_by else model.id.desc()
    stmt = select(model).where(*conds).order_by(order).limit(limit).offset(offset)
    if spec.load_options:
        stmt = stmt.options(*spec.load_options())
    rows = session.execute(stmt).scalars().all()
    audit.record(
        session,
        viewer,
        "list",
        spec.name,
        query={
            "filters": {k: v for k, v in filters.items() if v is not None},
            "q": q,
            "limit": limit,
            "offset": offset,
        },
        result_ids=[r.id for r in rows],
        owners=[r.owner_agency_id for r in rows],
    )
    return Page(
        items=[serialise(session, viewer, spec, r, detail=False) for r in rows],
        total=int(total),
        limit=limit,
        offset=offset,
    )


def get_record(
    session: Session, viewer: Viewer | None, spec: ResourceSpec, record_id: uuid.UUID
) -> dict[str, Any]:
    """One record in full, or a hit notice, or NotFound (also when invisible); audited."""
    viewer = require(viewer, Perm.read)
    found = detail.load(
        session, spec, visible(viewer, spec.model, include_hit_only=True), record_id
    )
    if found is None:
        raise NotFound(f"no {spec.name} record {record_id}")
    obj, values = found
    if is_hit_notice(viewer, obj):
        audit.record(
            session, viewer, "hit_notice", spec.name, record_id=obj.id, owners=[obj.owner_agency_id]
        )
        return hit_notice(session, spec, obj)
    audit.record(session, viewer, "read", spec.name, record_id=obj.id, owners=[obj.owner_agency_id])
    return serialise(session, viewer, spec, obj, detail_values=values)


def create_record(
    session: Session, viewer: Viewer | None, spec: ResourceSpec, data: BaseModel
) -> dict[str, Any]:
    viewer = require(viewer, Perm.write)
    obj = new_record(session, viewer, spec, data)
    return serialise(session, viewer, spec, obj)


def find_by_external_ref(
    session: Session, viewer: Viewer, spec: ResourceSpec, external_ref: str
) -> Any:
    model = spec.model
    return session.execute(
        select(model).where(
            model.owner_agency_id == viewer.agency_id, model.external_ref == external_ref
        )
    ).scalar_one_or_none()


def new_record(session: Session, viewer: Viewer, spec: ResourceSpec, data: BaseModel) -> Any:
    """Create a record owned by the viewer's agency (no permission check: callers do it)."""
    values = data.model_dump()
    ext = values.get("external_ref")
    if ext:
        existing = find_by_external_ref(session, viewer, spec, ext)
        if existing is not None:
            raise Conflict(
                f"a {spec.name} record with external_ref {ext!r} exists",
                field="external_ref",
                extra={"id": str(existing.id)},
            )
    obj = spec.model(
        id=new_id(),
        owner_agency_id=viewer.agency_id,
        owner_country=viewer.country,
        created_by=viewer.user_id,
        external_ref=ext,
        **_generic_fields(spec, data, partial=False),
    )
    _apply_sharing(session, viewer, obj, values)
    if spec.build:
        spec.build(session, viewer, obj, data)
    session.add(obj)
    session.flush()
    audit.record(
        session,
        viewer,
        "create",
        spec.name,
        record_id=obj.id,
        owners=[obj.owner_agency_id],
        after=snapshot(obj),
    )
    return obj


def _load_for_edit(
    session: Session, viewer: Viewer, spec: ResourceSpec, record_id: uuid.UUID
) -> Any:
    model = spec.model
    obj = session.execute(
        select(model).where(model.id == record_id, visible(viewer, model, include_hit_only=True))
    ).scalar_one_or_none()
    if obj is None:
        raise NotFound(f"no {spec.name} record {record_id}")
    if not can_edit(viewer, obj):
        if is_hit_notice(viewer, obj):
            raise NotFound(f"no {spec.name} record {record_id}")
        raise Forbidden("only the owner agency edits this record")
    return obj


def update_record(
    session: Session,
    viewer: Viewer | None,
    spec: ResourceSpec,
    record_id: uuid.UUID,
    data: BaseModel,
) -> dict[str, Any]:
    viewer = require(viewer, Perm.write)
    obj = _load_for_edit(session, viewer, spec, record_id)
    before = snapshot(obj)
    for k, v in _generic_fields(spec, data, partial=True).items():
        setattr(obj, k, v)
    _apply_sharing(session, viewer, obj, data.model_dump(exclude_unset=True))
    if spec.patch:
        spec.patch(session, viewer, obj, data)
    session.flush()
    audit.record(
        session,
        viewer,
        "update",
        spec.name,
        record_id=obj.id,
        owners=[obj.owner_agency_id],
        before=before,
        after=snapshot(obj),
    )
    return serialise(session, viewer, spec, obj)


def delete_record(
    session: Session, viewer: Viewer | None, spec: ResourceSpec, record_id: uuid.UUID
) -> None:
    viewer = require(viewer, Perm.write)
    obj = _load_for_edit(session, viewer, spec, record_id)
    before = snapshot(obj)
    session.query(ShareGrant).filter(ShareGrant.record_id == obj.id).delete()
    session.delete(obj)
    session.flush()
    audit.record(
        session,
        viewer,
        "delete",
        spec.name,
        record_id=record_id,
        owners=[before["owner_agency_id"]],
        before=before,
    )
