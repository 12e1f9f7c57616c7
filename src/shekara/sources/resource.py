from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from shekara.policy.sharing import Viewer
from shekara.records.spec import ResourceSpec
from shekara.sources import schemas as s
from shekara.sources.models import Source
from shekara.vocab.service import check_term


def _build(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    check_term(session, "source_kind", obj.kind, "kind")


SOURCES = ResourceSpec(
    name="sources",
    title="Sources",
    model=Source,
    create_schema=s.SourceCreate,
    update_schema=s.SourceUpdate,
    public_schema=s.SourcePublic,
    label=lambda r: r.title,
    filters={"kind": (str, "Source kind", lambda v: Source.kind == v)},
    text_search=lambda q: Source.title.ilike(f"%{q}%"),
    build=_build,
    create_example={
        "kind": "report",
        "title": "Patrol report 17/2024",
        "source_reliability": "B",
        "info_credibility": "2",
    },
)
