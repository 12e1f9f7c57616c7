"""The owner's access log: who read, searched, listed or changed the agency's records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from shekara.accounts.constants import Perm
from shekara.agencies.service import list_agencies
from shekara.api.deps import SessionDep
from shekara.audit.service import accesses_to_owner
from shekara.records.registry import RESOURCES
from shekara.records.service import require
from shekara.web.rendering import render
from shekara.web.security import SignedIn

router = APIRouter()
PAGE = 50


@router.get("/audit")
def access_log(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    v = require(viewer, Perm.audit_own)
    rows, total = accesses_to_owner(session, v.agency_id, limit=PAGE, offset=(page - 1) * PAGE)
    agencies = {a.id: a for a in list_agencies(session, v)}
    return render(
        request,
        "audit.html",
        {
            "rows": rows,
            "total": total,
            "page_no": page,
            "page_size": PAGE,
            "agencies": agencies,
            "own": agencies.get(v.agency_id),
            "record_types": set(RESOURCES),
        },
        viewer=viewer,
        session=session,
    )
