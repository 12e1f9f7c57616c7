"""Test fixtures: a real database (SQLite file or PostgreSQL), migrated with Alembic.

``SHEKARA_TEST_DB=sqlite`` (default) or ``postgres`` selects the backend; ``make test`` runs the
suite on both. Each test runs inside a transaction rolled back at the end (SAVEPOINT mode), so
tests see a clean, seeded world.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from shekara.accounts.constants import Role
from shekara.accounts.models import ApiToken, User
from shekara.accounts.security import hash_password, token_digest
from shekara.accounts.service import viewer_for
from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.api.app import create_app
from shekara.api.deps import get_session
from shekara.db.base import utcnow
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.places.constants import CheckpointKind, PlaceKind, Precision
from shekara.places.models import Place
from shekara.policy.sharing import Viewer
from shekara.settings import Settings
from shekara.vocab.seed import seed_countries, seed_vocabularies

BACKEND = os.environ.get("SHEKARA_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "SHEKARA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct-horse-battery"


def pytest_report_header(config: pytest.Config) -> str:
    return f"shekara test database: {BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BACKEND == "sqlite" and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only"))
        if BACKEND == "postgres" and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="SQLite only"))


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path_factory.mktemp("data"),
        member_countries=[],
        audit_seal_seconds=0,
    )


@contextmanager
def database_of_its_own(prefix: str, sqlite_path: Path) -> Iterator[str]:
    """URL of a fresh database on the backend under test, for data that other processes or
    connections must see committed: a PostgreSQL database dropped afterwards, or a SQLite
    file at ``sqlite_path``."""
    if BACKEND != "postgres":
        yield f"sqlite:///{sqlite_path}"
        return
    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with database_of_its_own("shekara_test", tmp_path_factory.mktemp("db") / "test.db") as url:
        eng = make_engine(settings, url)
        upgrade(eng)
        with Session(eng) as s:
            seed_countries(s, ["KZ", "RU", "KG", "BY", "UZ", "TJ"])
            seed_vocabularies(s)
            build_world(s)
            s.commit()
        yield eng
        eng.dispose()


@dataclass
class World:
    """Agencies of several countries and one user per role, with ready bearer tokens."""

    agencies: dict[str, uuid.UUID] = field(default_factory=dict)
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    checkpoint_id: uuid.UUID | None = None

    def headers(self, user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}


WORLD = World()
AGENCIES = [
    ("KZ-BS", "KZ", AgencyKind.border),
    ("KZ-CUS", "KZ", AgencyKind.customs),
    ("KZ-POL", "KZ", AgencyKind.police),
    ("RU-FSB-PS", "RU", AgencyKind.border),
    ("KG-POL", "KG", AgencyKind.police),
]
# username: (agency, role)
USERS = {
    "kz-officer": ("KZ-BS", Role.officer),
    "kz-officer2": ("KZ-BS", Role.inspector),
    "kz-supervisor": ("KZ-BS", Role.supervisor),
    "kz-analyst": ("KZ-CUS", Role.analyst),
    "kz-police": ("KZ-POL", Role.officer),
    "ru-analyst": ("RU-FSB-PS", Role.analyst),
    "ru-officer": ("RU-FSB-PS", Role.officer),
    "kg-officer": ("KG-POL", Role.officer),
    "admin": ("KZ-BS", Role.administrator),
    "kz-duty": ("KZ-BS", Role.duty_officer),
}


def build_world(s: Session) -> None:
    for code, country, kind in AGENCIES:
        a = Agency(
            code=code,
            name=f"Agency {code}",
            country=country,
            kind=kind,
            contact=f"duty@{code.lower()}.example",
        )
        s.add(a)
        s.flush()
        WORLD.agencies[code] = a.id
    pw = hash_password(PASSWORD)
    for username, (agency, role) in USERS.items():
        u = User(
            username=username,
            display_name=username,
            agency_id=WORLD.agencies[agency],
            role=role,
            password_hash=pw,
        )
        s.add(u)
        s.flush()
        WORLD.users[username] = u.id
        token = f"test-token-{username}"
        s.add(
            ApiToken(
                user_id=u.id,
                token_hash=token_digest(token),
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        WORLD.tokens[username] = token
    cp = Place(
        code="kz-ru-zhaisan",
        kind=PlaceKind.checkpoint,
        name_en="Zhaisan",
        name_ru="Жайсан",
        name_kk="Жайсаң",
        country="KZ",
        country2="RU",
        lat=50.85,
        lon=56.85,
        precision=Precision.approximate,
        checkpoint_kind=CheckpointKind.road,
    )
    s.add(cp)
    s.flush()
    WORLD.checkpoint_id = cp.id


@pytest.fixture
def world(engine: Engine) -> World:
    return WORLD


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    conn = engine.connect()
    trans = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        trans.rollback()
        conn.close()


@pytest.fixture
def client(engine: Engine, settings: Settings, session: Session) -> Iterator[TestClient]:
    app = create_app(settings, engine)

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


@pytest.fixture
def viewer(session: Session, world: World) -> ViewerFactory:
    return ViewerFactory(session)


class ViewerFactory:
    def __init__(self, session: Session):
        self.session = session

    def __call__(self, username: str) -> Viewer:
        user = self.session.get(User, WORLD.users[username])
        assert user is not None
        return viewer_for(self.session, user)
