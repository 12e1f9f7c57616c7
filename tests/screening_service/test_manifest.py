"""Manifests: CSV, XLSX and MRZ lines; one audit entry; CSV result."""

from __future__ import annotations

import csv
import io

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.audit.models import AuditEntry
from shekara.screening import manifest
from tests.conftest import ViewerFactory, World
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
