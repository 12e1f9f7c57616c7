"""``shekara import`` and ``shekara export`` against a migrated temporary SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from followthemoney import model as ftm_model
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from shekara.accounts.constants import Role
from shekara.accounts.models import User
from shekara.accounts.security import hash_password
from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.audit.models import AuditEntry
from shekara.cli.main import app
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.persons.models import Person
from shekara.settings import Settings, get_settings
from shekara.vocab.seed import seed_countries, seed_vocabularies

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "mappings"
runner = CliRunner()


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("cli") / "cli.db"
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(env="test", database_url=url), url)
    upgrade(engine)
    with Session(engine) as s:
        seed_countries(s, ["KZ", "RU"])
        seed_vocabularies(s)
        for code, country in (("KZ-CUS", "KZ"), ("RU-FSB", "RU")):
            s.add(Agency(code=code, name=code, country=country, kind=AgencyKind.customs))
        s.flush()
        agencies = {a.code: a.id for a in s.execute(select(Agency)).scalars()}
        for name, agency, role in (("analyst", "KZ-CUS", Role.analyst),
                                   ("officer", "KZ-CUS", Role.officer),
                                   ("ru-analyst", "RU-FSB", Role.analyst)):
            s.add(User(username=name, display_name=name, agency_id=agencies[agency], role=role,
                       password_hash=hash_password("correct-horse-battery")))
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


def _persons(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(Person)).scalar_one())


def _audit(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(s.execute(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.seq)).scalars())


def _import(*args: str) -> Result:
    return runner.invoke(app, ["import", str(EXAMPLES / "persons.csv"), "--mapping",
                               str(EXAMPLES / "persons.mapping.json"), *args])


def test_import_dry_run_then_real_then_again(env: Engine) -> None:
    before = _persons(env)
    r = _import("--as", "analyst", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "dry run: 3 rows" in r.output and _persons(env) == before
    r = _import("--as", "analyst")
    assert r.exit_code == 0, r.output
    assert "3 created" in r.output and _persons(env) == before + 3
    r = _import("--as", "analyst")
    assert r.exit_code == 0 and "3 unchanged" in r.output
    assert _persons(env) == before + 3
    assert _audit(env, "import")[-1].query["skipped"] == 3  # type: ignore[index]


def test_rejected_rows_exit_1_with_a_table(env: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("ID;ФИО;ФИО латиницей;Пол;Дата рождения;Гражданство;Примечание\n"
                   "X1;;;М;1980;KZ;\nX2;Кто-то;;Ы;1980;KZ;\n", encoding="utf-8")
    before = _persons(env)
    r = runner.invoke(app, ["import", str(bad), "--mapping",
                            str(EXAMPLES / "persons.mapping.json"), "--as", "analyst"])
    assert r.exit_code == 1, r.output
    assert "rejected rows" in r.output and "names" in r.output and "Пол" in r.output
    assert "nothing was written" in r.output and _persons(env) == before
    r = runner.invoke(app, ["import", str(bad), "--mapping",
                            str(EXAMPLES / "persons.mapping.json"), "--as", "analyst",
                            "--partial"])
    assert r.exit_code == 1 and "2 rejected" in r.output


def test_usage_errors_exit_2(env: Engine, tmp_path: Path) -> None:
    pdf = tmp_path / "people.pdf"
    pdf.write_bytes(b"%PDF")
    r = runner.invoke(app, ["import", str(pdf), "--mapping",
                            str(EXAMPLES / "persons.mapping.json"), "--as", "analyst"])
    assert r.exit_code == 2 and "people.pdf" in r.output
    bad_map = tmp_path / "m.json"
    bad_map.write_text(json.dumps({"resource": "persons", "fields": {"sexx": "Пол"}}))
    r = runner.invoke(app, ["import", str(EXAMPLES / "persons.csv"), "--mapping", str(bad_map),
                            "--as", "analyst"])
    assert r.exit_code == 2 and "fields.sexx" in r.output
    r = _import("--as", "nobody")
    assert r.exit_code == 2 and "nobody" in r.output
    r = _import("--as", "officer")
    assert r.exit_code == 1 and "may not import" in r.output
    r = runner.invoke(app, ["export", "persons", "--as", "officer"])
    assert r.exit_code == 1 and "may not export" in r.output
    r = runner.invoke(app, ["export", "aliens", "--as", "analyst"])
    assert r.exit_code == 2 and "aliens" in r.output
    r = runner.invoke(app, ["export", "persons", "--as", "analyst", "--filter", "colour"])
    assert r.exit_code == 2 and "key=value" in r.output
    r = runner.invoke(app, ["export", "persons", "--as", "analyst", "--format", "xml"])
    assert r.exit_code == 2


def test_xlsx_import_from_the_cli(env: Engine, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["plate", "type"])
    ws.append(["001 XLS 01", "truck"])
    path = tmp_path / "cars.xlsx"
    wb.save(path)
    mapping = tmp_path / "cars.json"
    mapping.write_text(json.dumps({"resource": "vehicles",
                                   "fields": {"plate": "plate", "kind": "type"}}))
    r = runner.invoke(app, ["import", str(path), "--mapping", str(mapping), "--as", "analyst"])
    assert r.exit_code == 0 and "1 created" in r.output, r.output


def test_export_to_file_and_stdout(env: Engine, tmp_path: Path) -> None:
    _import("--as", "analyst")
    out = tmp_path / "persons.ftm.json"
    r = runner.invoke(app, ["export", "persons", "--format", "ftm", "--as", "analyst",
                            "--out", str(out), "--filter", "nationality=KZ"])
    assert r.exit_code == 0, r.output
    entities = [ftm_model.get_proxy(json.loads(x)) for x in out.read_text().splitlines()]
    assert entities and all(e.schema.name == "Person" for e in entities)
    assert all("kz" in e.get("nationality") for e in entities)
    entry = _audit(env, "export")[-1]
    assert entry.query == {"format": "ftm", "filters": {"nationality": "KZ"}, "q": None,
                           "count": len(entities)}
    assert len(entry.result_ids or []) == len(entities)
    r = runner.invoke(app, ["export", "persons", "--format", "csv", "--as", "ru-analyst"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("id,type,")
    assert len(r.stdout.splitlines()) == 1  # country records of KZ: nothing for RU
