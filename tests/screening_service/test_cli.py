"""``shekara screen ...`` against a migrated temporary SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shekara.accounts.constants import Role
from shekara.accounts.models import User
from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.cli import screening_cmds
from shekara.core.text import search_key
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.persons.constants import NameKind, Script
from shekara.persons.models import Person, PersonName
from shekara.policy.constants import Distribution
from shekara.settings import Settings, get_settings
from shekara.vocab.seed import seed_countries

runner = CliRunner()
# ``shekara screen`` as the main CLI mounts it (built here so the test does not depend on it)
app = typer.Typer()
app.add_typer(screening_cmds.app, name="screen")


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('screen-cli') / 'cli.db'}"
    engine = make_engine(Settings(env="test", database_url=url), url)
    upgrade(engine)
    with Session(engine) as s:
        seed_countries(s, ["KZ", "RU"])
        ag = Agency(code="KZ-BS", name="KZ-BS", country="KZ", kind=AgencyKind.border)
        s.add(ag)
        s.flush()
        s.add(User(username="officer", display_name="o", agency_id=ag.id, role=Role.officer,
                   password_hash="x"))  # fmt: skip
        for name in ["Нұрғалиев Ерлан", "Нургалиев Ерлан", "Ахметов Серик"]:
            p = Person(
                display_name=name,
                birth_year=1985,
                owner_agency_id=ag.id,
                owner_country="KZ",
                distribution=Distribution.all,
                nationalities=[],
            )
            p.names = [PersonName(full_name=name, script=Script.cyrillic, kind=NameKind.native,
                                  search_key=search_key(name), position=0)]  # fmt: skip
            s.add(p)
        s.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def env(cli_db: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("SHEKARA_DATABASE_URL", cli_db.url.render_as_string())
    monkeypatch.setenv("SHEKARA_ENV", "test")
    get_settings.cache_clear()
    yield cli_db
    get_settings.cache_clear()


def test_reindex_person_manifest_resolve(env: Engine, tmp_path: Path) -> None:
    r = runner.invoke(app, ["screen", "reindex"])
    assert r.exit_code == 0, r.output
    assert "indexed 3 persons" in r.output
    r = runner.invoke(app, ["screen", "person", "NURGALIEV ERLAN", "--as", "officer",
                            "--dob", "1985", "--lang", "ru"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Нургалиев" in r.output and "Фамилия" in r.output
    # a year of birth alone: the officer sees whether it is an alert or a possible match
    assert "grade" in r.output and ("ALERT" in r.output or "possible" in r.output)
    f = tmp_path / "bus.csv"
    f.write_text("name,birth_date\nErlan Nurgaliev,1985\nIvan Petrov,1970\n", encoding="utf-8")
    r = runner.invoke(app, ["screen", "manifest", str(f), "--as", "officer"])
    assert r.exit_code == 0, r.output
    out = (tmp_path / "bus.screened.csv").read_text(encoding="utf-8")
    assert out.count("\n") == 3 and "True" in out
    r = runner.invoke(app, ["screen", "person", "X", "--as", "nobody"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["screen", "resolve"])
    assert r.exit_code == 0, r.output
    with Session(env) as s:
        assert s.execute(select(User)).first()
