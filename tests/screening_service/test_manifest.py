"""Manifests: CSV, XLSX and MRZ lines; one audit entry; CSV result."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Role
from shekara.accounts.models import User
from shekara.agencies.constants import AgencyKind
from shekara.agencies.models import Agency
from shekara.audit.models import AuditEntry
from shekara.core.text import search_key
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.persons.constants import DocumentKind, NameKind, Script
from shekara.persons.models import Document, Person, PersonName
from shekara.policy.constants import Distribution
from shekara.policy.sharing import Viewer
from shekara.screening import manifest
from shekara.settings import Settings
from shekara.vocab.seed import seed_countries
from tests.conftest import ViewerFactory, World, database_of_its_own
from tests.screening_service.helpers import person

MRZ = "P<KAZNURGALIEV<<ERLAN<<<<<<<<<<<<<<<<<<<<<<<\nN123456781KAZ8503122M3001012<<<<<<<<<<<<<<00\n"


def test_csv_manifest(session: Session, viewer: ViewerFactory) -> None:
    p = person(session, "KZ-BS", ["Нургалиев Ерлан"], dob="1985-03-12")
    rows = ["surname;given_names;birth_date;nationality", "NURGALIEV;ERLAN;12.03.1985;KAZ"]
    rows += [f"PASSENGER{i};IVAN;1990;RUS" for i in range(200)]
    out = manifest.screen_manifest(
        session, viewer("kz-officer"), "\n".join(rows).encode(), "bus.csv"
    )
    assert out.rows == 201 and out.matches == 1 and out.errors == 0
    assert out.results[0].record_id == p.id and out.results[0].match
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.resource == "manifest")
    ).scalar_one()
    assert entry.query == {"file": "bus.csv", "rows": 201} and entry.result_ids == [str(p.id)]
    text = manifest.to_csv(out)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed[0]["record_id"] == str(p.id) and parsed[0]["match"] == "True"


def test_manifest_leaves_the_garbage_collector_as_it_found_it(
    session: Session, viewer: ViewerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector is paused while rows are screened; afterwards, even when screening
    fails, it runs again, and an application that turned it off finds it off."""
    person(session, "KZ-BS", ["Нургалиев Ерлан"], dob="1985-03-12")
    data = b"name;birth_date\nNURGALIEV ERLAN;1985-03-12\n"
    seen: list[bool] = []
    real = manifest._screen_chunk

    def watched(*args: object, **kw: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(manifest, "_screen_chunk", watched)
    v = viewer("kz-officer")
    assert manifest.screen_manifest(session, v, data, "a.csv").matches == 1
    assert seen == [False] and gc.isenabled()

    def broken(*args: object, **kw: object) -> object:
        raise RuntimeError("database gone")

    monkeypatch.setattr(manifest, "_screen_chunk", broken)
    with pytest.raises(RuntimeError):
        manifest.screen_manifest(session, v, data, "a.csv")
    assert gc.isenabled()

    monkeypatch.setattr(manifest, "_screen_chunk", watched)
    gc.disable()
    try:
        manifest.screen_manifest(session, v, data, "a.csv")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_mrz_and_xlsx_manifest_via_api(client: TestClient, world: World, session: Session) -> None:
    p = person(session, "KZ-BS", ["Нургалиев Ерлан"], dob="1985-03-12")
    r = client.post(
        "/api/v1/screening/manifest?format=csv",
        files={"file": ("mrz.txt", MRZ.encode(), "text/plain")},
        headers=world.headers("kz-officer"),
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert str(p.id) in r.text
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["ФИО", "Дата рождения"])
    ws.append(["Ерлан Нургалиев", "1985-03-12"])
    ws.append(["", ""])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        "/api/v1/screening/manifest",
        files={"file": ("list.xlsx", buf.getvalue(), "application/octet-stream")},
        headers=world.headers("kz-officer"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rows"] == 1 and body["results"][0]["record_id"] == str(p.id)


def test_batched_manifest_answers_like_single_queries(
    session: Session, viewer: ViewerFactory
) -> None:
    """A manifest large enough to be batched and scored on every core gives each row the
    answer the same query gets alone (same best record, score and grade), invisible records
    included: they appear in neither."""
    from shekara.policy.constants import Distribution
    from shekara.screening import service

    person(session, "KZ-BS", ["Нұрғалиев Ерлан Маратұлы", "NURGALIEV ERLAN"], dob="1985-03-12")
    person(session, "RU-FSB-PS", ["Иванова Анна Сергеевна"], dob="1990")
    person(session, "KZ-BS", ["Тоқтарұлы Арман"], nationalities=["KZ"])
    person(
        session, "RU-FSB-PS", ["Петров Олег"], dob="1970-01-05", distribution=Distribution.agency
    )
    person(session, "KG-POL", ["ASANOV BAKYT"], dob="1979-11-30")
    session.commit()
    rows = [
        ("Ерлан Нургалиев", "1985-03-12"), ("IVANOVA ANNA", "1990-06-01"),
        ("TOKTARULY ARMAN", ""), ("Петров Олег", "1970-01-05"), ("Асанов Бакыт", "1979"),
        ("Nobody Known", "2000-01-01"),
    ]  # fmt: skip
    lines = ["name,birth_date"] + [f"{n},{d}" for n, d in rows] * 45  # 270 rows
    v = viewer("kz-officer")
    out = manifest.screen_manifest(session, v, "\n".join(lines).encode(), "train.csv")
    assert out.rows == 270 and out.errors == 0
    for r in out.results:
        name, dob = rows[(r.row - 1) % len(rows)]
        alone = service.screen_person(session, v, service.PersonInput.build([name], dob or None))
        best = alone.hits[0] if alone.hits else None
        assert r.record_id == (best.id if best else None), r
        assert r.best_score == (best.score if best else None)
        assert r.match == bool(best and (best.match or best.notice))
    first = out.results[:6]
    assert first[0].match and first[3].record_id is None and first[5].record_id is None


@pytest.fixture(scope="module")
def committed_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of its own whose records are committed (worker processes read them on
    connections of their own), on the backend under test."""
    path = tmp_path_factory.mktemp("manifest") / "manifest.db"
    with database_of_its_own("shekara_test_manifest", path) as url:
        engine = make_engine(Settings(env="test", database_url=url, audit_seal_seconds=0), url)
        upgrade(engine)
        yield engine
        engine.dispose()


def test_manifest_shared_with_workers_answers_like_single_queries(
    committed_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks screened by worker processes on their own connections (committed records)
    give every row the answer the same query gets alone, and the same result as screening
    the whole manifest in one process; the audit entry and alerts stay with the job."""
    from shekara.screening import index, service

    with Session(committed_db) as s:
        seed_countries(s, ["KZ", "RU", "KG"])
        agencies = {}
        for code in ("KZ-BS", "RU-FSB-PS", "KG-POL"):
            a = Agency(code=code, name=code, country=code[:2], kind=AgencyKind.border)
            s.add(a)
            s.flush()
            agencies[code] = a.id
        officer = User(username="officer", display_name="o", agency_id=agencies["KZ-BS"],
                       role=Role.officer, password_hash="x")  # fmt: skip
        s.add(officer)
        people = [
            ("KZ-BS", ["Нұрғалиев Ерлан Маратұлы", "NURGALIEV ERLAN"], (1985, 3, 12), "N7654321"),
            ("RU-FSB-PS", ["Иванова Анна Сергеевна"], (1990, None, None), None),
            ("KZ-BS", ["Тоқтарұлы Арман"], (None, None, None), None),
            ("RU-FSB-PS", ["Петров Олег"], (1970, 1, 5), None),
            ("KG-POL", ["ASANOV BAKYT"], (1979, 11, 30), "AN0012345"),
        ]
        for i, (code, names, (y, m, d), doc) in enumerate(people):
            p = Person(
                display_name=names[0], birth_year=y, birth_month=m, birth_day=d,
                owner_agency_id=agencies[code], owner_country=code[:2],
                distribution=Distribution.agency if i == 3 else Distribution.all,
                nationalities=[],
            )  # fmt: skip
            p.names = [
                PersonName(full_name=n, script=Script.latin if n.isascii() else Script.cyrillic,
                           kind=NameKind.native, search_key=search_key(n), position=k)
                for k, n in enumerate(names)
            ]  # fmt: skip
            s.add(p)
            s.flush()
            if doc:
                s.add(Document(kind=DocumentKind.passport, number=doc, number_key=doc,
                               issuing_country=code[:2], person_id=p.id,
                               owner_agency_id=agencies[code], owner_country=code[:2],
                               distribution=Distribution.all))  # fmt: skip
        s.commit()
        index.catch_up(s)
        s.commit()
        v = Viewer(user_id=officer.id, username="officer", agency_id=agencies["KZ-BS"],
                   country="KZ", role=Role.officer)  # fmt: skip

    rows = [
        ("Ерлан Нургалиев", "1985-03-12", ""), ("IVANOVA ANNA", "1990-06-01", ""),
        ("TOKTARULY ARMAN", "", ""), ("Петров Олег", "1970-01-05", ""),
        ("Асанов Бакыт", "1979", ""), ("Nobody Known", "2000-01-01", ""),
        ("Someone Else", "", "AN 0012345"),
    ]  # fmt: skip
    lines = ["name,birth_date,document"] + [",".join(r) for r in rows] * 40  # 280 rows
    data = "\n".join(lines).encode()
    monkeypatch.setattr(manifest, "CHUNK_ROWS", 20)
    monkeypatch.setattr(manifest, "PARALLEL_ROWS", 100)
    with Session(committed_db) as s:
        shared = manifest.screen_manifest(s, v, data, "train.csv")
        entry = s.execute(select(AuditEntry).where(AuditEntry.resource == "manifest")).scalar_one()
        assert sorted(entry.result_ids) == sorted(
            str(r.record_id) for r in shared.results if r.match
        )
        s.rollback()
    assert manifest.workers._POOL, "the worker pool was not used"
    monkeypatch.setattr(manifest, "PARALLEL_ROWS", 10_000)
    with Session(committed_db) as s:
        alone_job = manifest.screen_manifest(s, v, data, "train.csv")
        assert shared.model_dump(exclude={"seconds"}) == alone_job.model_dump(exclude={"seconds"})
        assert shared.rows == 280 and shared.errors == 0
        for r in shared.results:
            name, dob, doc = rows[(r.row - 1) % len(rows)]
            q = service.PersonInput.build(
                [name] if name else [], dob or None, (), [doc] if doc else []
            )
            alone = service.screen_person(s, v, q)
            best = alone.hits[0] if alone.hits else None
            assert r.record_id == (best.id if best else None), r
            assert r.best_score == (best.score if best else None)
            assert r.match == bool(best and (best.match or best.notice))
        s.rollback()
    first = shared.results[:7]
    assert first[0].match and first[3].record_id is None and first[5].record_id is None
    assert first[6].match and first[6].record_type == "document"
