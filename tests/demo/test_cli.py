"""``shekara demo``: loads once, refuses to overwrite without --reset, refuses production."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shekara.cli.demo_cmds import demo_cmd, demo_load
from shekara.persons.models import Person
from shekara.settings import Settings, get_settings
from tests.demo.conftest import TINY, EngineFactory


@pytest.fixture
def clean_settings_cache() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_demo_load_once_then_reset(new_engine: EngineFactory) -> None:
    eng = new_engine()
    url = eng.url.render_as_string(hide_password=False)
    settings = Settings(env="development", database_url=url)
    report = demo_load(TINY, seed=5, settings=settings)
    assert report is not None and report.counts["persons"] == TINY.persons
    assert demo_load(TINY, seed=5, settings=settings) is None  # not empty: nothing generated
    again = demo_load(TINY, seed=6, reset_data=True, settings=settings)
    assert again is not None
    with Session(eng) as s:
        assert s.execute(select(func.count()).select_from(Person)).scalar_one() == TINY.persons


def test_demo_refuses_production(new_engine: EngineFactory) -> None:
    eng = new_engine()
    settings = Settings(env="production", secret_key="x" * 40,
                        database_url=eng.url.render_as_string(hide_password=False))
    with pytest.raises(typer.Exit):
        demo_load(TINY, settings=settings)


def test_demo_command_without_server(new_engine: EngineFactory, clean_settings_cache: None,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    eng = new_engine()
    monkeypatch.setenv("SHEKARA_DATABASE_URL", eng.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHEKARA_ENV", "development")
    app = typer.Typer()
    app.command()(demo_cmd)
    result = CliRunner().invoke(app, ["--size", "tiny", "--persons", "30", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "kz-ps-knb.officer" in result.output and "shekara-demo" in result.output
    assert "/api/v1/auth/token" in result.output
    with Session(eng) as s:
        assert s.execute(select(func.count()).select_from(Person)).scalar_one() == 30
