"""One query over every resource: full hits for visible records, hit notices for hit-only ones."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.policy.sharing import Viewer, is_hit_notice, visible
from shekara.records.registry import RESOURCES
from shekara.records.schemas import AgencyRef
from shekara.records.service import agency_ref, require


class SearchHit(BaseModel):
    id: str
    type: str
    label: str
    hit_only: bool = False
    owner_agency: AgencyRef


class SearchResult(BaseModel):
    q: str
    hits: list[SearchHit]


def search(
    session: Session,
    viewer: Viewer | None,
    q: str,
    *,
    types: list[str] | None = None,
    limit: int = 20,
) -> SearchResult:
    viewer = require(viewer, Perm.read)
    hits: list[SearchHit] = []
    owners = []
    for spec in RESOURCES.values():
        if spec.text_search is None or (types and spec.name not in types):
            continue
        model = spec.model
        cond = visible(viewer, model, include_hit_only=True)
        if spec.search_select is not None:
            found = session.execute(spec.search_select(q).where(cond).limit(limit * 3))
            rows: list[Any] = list({r.id: r for r in found.scalars()}.values())[:limit]
        else:
            rows = list(
                session.execute(
                    select(model).where(cond, spec.text_search(q)).limit(limit)
                ).scalars()
            )
        for r in rows:
            notice = is_hit_notice(viewer, r)
            hits.append(
                SearchHit(
                    id=str(r.id),
                    type=spec.name,
                    label="" if notice else spec.label(r),
                    hit_only=notice,
                    owner_agency=agency_ref(session, r.owner_agency_id),
                )
            )
            owners.append(r.owner_agency_id)
    audit.record(
        session,
        viewer,
        "search",
        "all",
        query={"q": q, "types": types},
        result_ids=[uuid.UUID(h.id) for h in hits],
        owners=owners,
    )
    return SearchResult(q=q, hits=hits)
