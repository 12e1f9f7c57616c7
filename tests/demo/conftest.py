"""Fresh, migrated databases for the generator tests (the shared test database is not used:
generation needs empty tables). SQLite files, or PostgreSQL databases with
``SHEKARA_TEST_DB=postgres``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.demo import GenerationReport, Sizes, generate
from shekara.settings import Settings
from tests.conftest import BACKEND, PG_ADMIN_URL

TINY = Sizes(persons=80, incidents=120, crossings=150, vehicles=30, groups=3, companies=3,
             cases=25, sources=6)
EngineFactory = Callable[[], Engine]


@pytest.fixture(scope="module")
def new_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineFactory]:
    """Make fresh migrated engines; they are disposed (and PostgreSQL databases dropped)."""
    made: list[tuple[Engine, str | None]] = []
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT") if BACKEND == "postgres" \
        else None
    settings = Settings(env="test", data_dir=tmp_path_factory.mktemp("demo-data"))

    def factory() -> Engine:
        name = None
        if admin is not None:
            name = f"shekara_demo_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        else:
            url = f"sqlite:///{Path(tmp_path_factory.mktemp('demo-db')) / 'demo.db'}"
        eng = make_engine(settings, url)
        upgrade(eng)
        made.append((eng, name))
        return eng

    yield factory
    for eng, name in made:
        eng.dispose()
        if admin is not None and name is not None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if admin is not None:
        admin.dispose()


def make_dataset(factory: EngineFactory, seed: int, sizes: Sizes = TINY
                 ) -> tuple[Engine, GenerationReport]:
    eng = factory()
    report = generate(sessionmaker(eng), sizes, seed=seed)
    return eng, report


@pytest.fixture(scope="module")
def tiny(new_engine: EngineFactory) -> tuple[Engine, GenerationReport]:
    return make_dataset(new_engine, seed=7)


@pytest.fixture
def tiny_session(tiny: tuple[Engine, GenerationReport]) -> Iterator[Session]:
    with Session(tiny[0]) as s:
        yield s
