"""The ``shekara`` command as an administrator uses it, on a fresh SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from shekara.cli.main import app
from shekara.settings import get_settings

runner = CliRunner()


@pytest.fixture
def fresh_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SHEKARA_DATABASE_URL", url)
    monkeypatch.setenv("SHEKARA_ENV", "development")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.output


def test_bootstrap_an_administrator_and_verify_the_audit(fresh_db: str) -> None:
    code, out = run("init", "--members", "KZ,RU")
    assert code == 0, out
    assert "members: ['KZ', 'RU']" in out
    code, out = run("agency", "add", "KZ-BS", "Border Service", "--country", "KZ",
                    "--kind", "border")
    assert code == 0, out
    code, out = run("user", "add", "chief", "--agency", "KZ-BS", "--role", "administrator",
                    "--password", "a-long-enough-password")
    assert code == 0, out
    code, out = run("user", "list")
    assert "chief" in out and "administrator" in out
    code, out = run("audit", "verify")
    assert code == 0 and "intact: 2 entries" in out, out
    # someone edits the audit log behind the service's back
    eng = create_engine(fresh_db)
    with eng.begin() as c:
        c.execute(text("UPDATE audit_log SET username = 'nobody' WHERE chain_pos = 1"))
    eng.dispose()
    code, out = run("audit", "verify")
    assert code == 1 and "changed" in out


def test_bad_input_gets_a_message_and_exit_code(fresh_db: str) -> None:
    assert run("init")[0] == 0
    code, out = run("agency", "add", "X-1", "Nowhere", "--country", "ZZ", "--kind", "border")
    assert code == 1 and "country" in out
    code, out = run("user", "add", "bob", "--agency", "NOPE", "--role", "officer",
                    "--password", "a-long-enough-password")
    assert code == 1 and "agency" in out
    code, out = run("user", "add", "bob", "--agency", "NOPE", "--role", "officer",
                    "--password", "short")
    assert code == 1 and "password" in out


def test_production_refuses_default_secret(
    fresh_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHEKARA_ENV", "production")
    monkeypatch.delenv("SHEKARA_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    code, out = run("serve")
    assert code == 2 and "SHEKARA_SECRET_KEY" in out


def test_db_check_agrees_with_models(fresh_db: str) -> None:
    assert run("db", "upgrade")[0] == 0
    code, out = run("db", "check")
    assert code == 0, out
