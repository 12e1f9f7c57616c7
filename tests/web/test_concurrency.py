"""Several officers at once on the embedded SQLite database, with the audit sealer running.

Every page view writes an audit entry, so every request is a write transaction. This drives a
real server with concurrent sessions and expects every page to answer 200 (with a deferred
``BEGIN`` they failed with "database is locked"; ``shekara.db.engine`` now begins IMMEDIATE).
"""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from shekara.accounts.constants import Role
from shekara.accounts.schemas import UserCreate
from shekara.accounts.service import create_user, viewer_for
from shekara.agencies.constants import AgencyKind
from shekara.agencies.schemas import AgencyCreate
from shekara.agencies.service import create_agency
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.incidents.resource import INCIDENTS
from shekara.records.service import create_record
from shekara.settings import Settings
from shekara.vocab.seed import seed_countries, seed_vocabularies
from tests.conftest import PASSWORD
from tests.web.live import live_server

USERS = [f"kz-officer-{i}" for i in range(3)]
ROUNDS = 2


def _seed(session: Session) -> str:
    seed_countries(session, ["KZ"])
    seed_vocabularies(session)
    create_agency(
        session,
        AgencyCreate(code="KZ-BS", name="Border Service", country="KZ", kind=AgencyKind.border),
    )
    users = [
        create_user(
            session, UserCreate(username=u, agency="KZ-BS", role=Role.officer, password=PASSWORD)
        )
        for u in USERS
    ]
    rec = create_record(
        session,
        viewer_for(session, users[0]),
        INCIDENTS,
        INCIDENTS.create_schema.model_validate(
            {
                "category": "drug_trafficking",
                "summary": "Heroin in a cylinder",
                "occurred_at": "2024-05-14T06:30:00Z",
                "distribution": "country",
            }
        ),
    )
    return str(rec["id"])


def _officer(url: str, username: str, record_id: str, failures: list[str]) -> None:
    with httpx.Client(base_url=url, timeout=60) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert token
        r = c.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        if r.status_code != 303:
            failures.append(f"{username} login: {r.status_code}")
            return
        for _ in range(ROUNDS):
            for path in (
                f"/records/incidents/{record_id}",
                "/search?q=heroin",
                "/map/incidents.geojson",
            ):
                r = c.get(path)
                if r.status_code != 200:  # one failure is enough (each can wait 30 s)
                    failures.append(f"{username} {path}: {r.status_code}")
                    return


@pytest.mark.sqlite_only
def test_concurrent_officers_on_sqlite(tmp_path: Path) -> None:
    settings = Settings(
        env="test",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path}/c.db",
        secret_key="concurrency-" + uuid.uuid4().hex,
        audit_seal_seconds=0.1,
    )
    engine = make_engine(settings)

    @event.listens_for(engine, "connect")
    def _shorter_wait(dbapi_conn: Any, _record: Any) -> None:
        # A failure otherwise costs the 30 s busy timeout; 5 s is ample for these requests.
        dbapi_conn.execute("PRAGMA busy_timeout=5000")

    upgrade(engine)
    with Session(engine) as s:
        record_id = _seed(s)
        s.commit()
    failures: list[str] = []
    with live_server(settings, engine) as url:
        threads = [
            threading.Thread(target=_officer, args=(url, u, record_id, failures)) for u in USERS
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    engine.dispose()
    assert not failures, f"{len(failures)} failed page views, e.g. {failures[:3]}"
