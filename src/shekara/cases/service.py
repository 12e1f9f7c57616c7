"""Status changes and hand-overs of cases (both append to the case's history)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.agencies.models import Agency
from shekara.audit import service as audit
from shekara.cases.constants import ALLOWED_TRANSITIONS
from shekara.cases.models import CaseEvent
from shekara.cases.resource import CASES
from shekara.cases.schemas import Handover, StatusChange
from shekara.errors import Conflict, ValidationFailed
from shekara.policy.models import ShareGrant
from shekara.policy.sharing import Viewer
from shekara.records.service import _load_for_edit, require, serialise, snapshot


def change_status(
    session: Session, viewer: Viewer | None, case_id: uuid.UUID, change: StatusChange
) -> dict[str, Any]:
    viewer = require(viewer, Perm.write)
    case = _load_for_edit(session, viewer, CASES, case_id)
    if change.status not in ALLOWED_TRANSITIONS[case.status]:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[case.status])) or "none (closed)"
        raise Conflict(
            f"a case {case.status.value!r} cannot become {change.status.value!r}; "
            f"allowed: {allowed}",
            field="status",
        )
    before = snapshot(case)
    case.events.append(
        CaseEvent(
            kind="status",
            from_status=case.status.value,
            to_status=change.status.value,
            user_id=viewer.user_id,
            note=change.note,
        )
    )
    case.status = change.status
    session.flush()
    audit.record(
        session,
        viewer,
        "update",
        "cases",
        record_id=case.id,
        owners=[case.owner_agency_id],
        before=before,
        after=snapshot(case),
    )
    return serialise(session, viewer, CASES, case)


def hand_over(
    session: Session, viewer: Viewer | None, case_id: uuid.UUID, req: Handover
) -> dict[str, Any]:
    """Transfer ownership to another agency; the former owner keeps read access."""
    viewer = require(viewer, Perm.write)
    case = _load_for_edit(session, viewer, CASES, case_id)
    target = session.execute(
        select(Agency).where(Agency.code == req.to_agency)
    ).scalar_one_or_none()
    if target is None or not target.active:
        raise ValidationFailed(
            [{"field": "to_agency", "message": f"unknown agency {req.to_agency!r}"}]
        )
    if target.id == case.owner_agency_id:
        raise ValidationFailed([{"field": "to_agency", "message": "the case is already theirs"}])
    before = snapshot(case)
    old_owner = case.owner_agency_id
    case.events.append(
        CaseEvent(
            kind="handover",
            from_agency_id=old_owner,
            to_agency_id=target.id,
            user_id=viewer.user_id,
            note=req.note,
        )
    )
    case.owner_agency_id = target.id
    case.owner_country = target.country
    if case.distribution.value in ("agency", "country"):
        case.distribution = case.distribution.__class__("partners")
    session.add(ShareGrant(record_id=case.id, partner_agency_id=old_owner))
    session.flush()
    audit.record(
        session,
        viewer,
        "handover",
        "cases",
        record_id=case.id,
        owners=[old_owner, target.id],
        before=before,
        after=snapshot(case),
    )
    return serialise(session, viewer, CASES, case)
