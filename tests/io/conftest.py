"""Helpers for the import/export tests: counting rows, making records, an API client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from shekara.api.app import create_app
from shekara.api.deps import get_session
from shekara.audit.models import AuditEntry
from shekara.io.api import router
from shekara.policy.sharing import Viewer
from shekara.records.registry import RESOURCES
from shekara.records.service import new_record
from shekara.settings import Settings


def count(session: Session, resource: str) -> int:
    model = RESOURCES[resource].model
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def audit_count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def last_audit(session: Session, action: str) -> AuditEntry:
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq.desc())
    ).scalars().first()
    assert entry is not None, f"no {action} audit entry"
    return entry


def make(session: Session, viewer: Viewer, resource: str, **data: Any) -> Any:
    spec = RESOURCES[resource]
    return new_record(session, viewer, spec, spec.create_schema.model_validate(data))


def person(session: Session, viewer: Viewer, name: str, **sharing: Any) -> Any:
    return make(session, viewer, "persons", names=[{"full_name": name}], **sharing)


def mapping_json(**kw: Any) -> str:
    return json.dumps(kw, ensure_ascii=False)


@pytest.fixture
def io_client(engine: Engine, settings: Settings, session: Session) -> Iterator[TestClient]:
    """The API with the import/export router under /api/v1 (as the application mounts it)."""
    app = create_app(settings, engine)
    if not any(getattr(r, "path", "") == "/api/v1/import" for r in app.routes):
        app.include_router(router, prefix="/api/v1")

    def _session() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    app.dependency_overrides[get_session] = _session
    with TestClient(app) as c:
        yield c
