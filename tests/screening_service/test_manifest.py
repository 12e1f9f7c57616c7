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
