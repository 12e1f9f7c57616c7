"""Import through the record service, on the real database."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.errors import Forbidden
from shekara.io.importer import ImportReport, import_file
from shekara.io.mapping import MappingError, UnsupportedFile
from shekara.persons.models import Document, Person
from shekara.policy.constants import Distribution, HandlingCode
from tests.conftest import ViewerFactory, World
from tests.io.conftest import audit_count, count, last_audit, person

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "mappings"

MAPPING = {
    "resource": "persons",
    "id_column": "ID",
    "fields": {
        "names[0].full_name": "Name",
        "names[1].full_name": "Latin",
        "sex": {"column": "Sex", "map": {"М": "M", "Ж": "F"}},
        "birth_year": {"column": "Born", "date_format": ["%d.%m.%Y", "%Y"], "part": "year"},
        "birth_month": {"column": "Born", "date_format": ["%d.%m.%Y", "%Y"], "part": "month"},
        "birth_day": {"column": "Born", "date_format": ["%d.%m.%Y", "%Y"], "part": "day"},
        "nationalities": {"column": "Nat", "split": ";"},
        "notes": "Notes",
    },
    "constants": {"names[1].kind": "passport", "distribution": "country", "handling_code": "H1"},
}
HEADER = "ID,Name,Latin,Sex,Born,Nat,Notes\n"
GOOD = (
    "A1,Нұрғалиев Ерлан,NURGALIEV ERLAN,М,12.03.1984,KZ,courier\n"
    "A2,Иванова Мария,,Ж,1990,RU;KZ,\n"
)
BAD = (
    "B1,,,М,12.03.1984,KZ,no name at all\n"          # row 4: names missing
    "B2,Петров Пётр,,Q,31.02.1984,KZ,\n"               # row 5: bad sex, impossible date
    "B3,Сидоров,,М,1984,KAZ,\n"                        # row 6: bad country code
)


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


def _run(session: Session, viewer: ViewerFactory, content: bytes, name: str = "p.csv",
         user: str = "kz-analyst", mapping: Any = None, dry_run: bool = False,
         partial: bool = False) -> ImportReport:
    return import_file(session, viewer(user), name, content, mapping or MAPPING,
                       dry_run=dry_run, partial=partial)


def test_import_creates_records_with_mapped_values(session: Session, viewer: ViewerFactory,
                                                   world: World) -> None:
    before = count(session, "persons")
    report = _run(session, viewer, _csv(HEADER + GOOD))
    assert report.ok and report.committed
    assert (report.created, report.updated, report.skipped) == (2, 0, 0)
    assert count(session, "persons") == before + 2
    p = session.get(Person, report.created_ids[0])
    assert p is not None
    assert p.display_name == "Нұрғалиев Ерлан"
    assert [(n.full_name, n.kind.value) for n in p.names] == [
        ("Нұрғалиев Ерлан", "native"), ("NURGALIEV ERLAN", "passport")]
    assert (p.birth_year, p.birth_month, p.birth_day) == (1984, 3, 12)
    assert p.sex.value == "M" and p.external_ref == "A1"
    assert p.distribution == Distribution.country and p.handling_code == HandlingCode.H1
    assert p.owner_agency_id == world.agencies["KZ-CUS"]
    p2 = session.get(Person, report.created_ids[1])
    assert p2 is not None and p2.nationalities == ["RU", "KZ"] and p2.birth_month is None


def test_every_record_and_the_import_are_audited(session: Session,
                                                 viewer: ViewerFactory) -> None:
    before = audit_count(session)
    report = _run(session, viewer, _csv(HEADER + GOOD), name="march.csv")
    assert audit_count(session) == before + 3  # two creates and the import summary
    entry = last_audit(session, "import")
    assert entry.resource == "persons" and entry.username == "kz-analyst"
    assert entry.query is not None
    assert entry.query["file"] == "march.csv"
    assert (entry.query["created"], entry.query["rejected"]) == (2, 0)
    assert sorted(entry.result_ids or []) == sorted(str(i) for i in report.created_ids)


def test_dry_run_reports_every_bad_row_and_writes_nothing(session: Session,
                                                          viewer: ViewerFactory) -> None:
    n, a = count(session, "persons"), audit_count(session)
    report = _run(session, viewer, _csv(HEADER + GOOD + BAD), dry_run=True)
    assert count(session, "persons") == n and audit_count(session) == a
    assert not report.committed and report.created_ids == []
    assert (report.rows, report.created, report.rejected) == (5, 2, 3)
    got = {(e.row, e.field, e.column) for e in report.errors}
    assert (4, "names", "Name, Latin") in got
    assert (5, "sex", "Sex") in got
    assert (5, "birth_year, birth_month, birth_day", "Born") in got  # 31.02: one error
    assert any(e.row == 5 and "'31.02.1984' does not match" in e.message for e in report.errors)
    assert (6, "nationalities", "Nat") in got
    assert {e.row for e in report.errors} == {4, 5, 6}


def test_service_errors_get_field_paths_and_columns(session: Session,
                                                    viewer: ViewerFactory) -> None:
    mapping = json.loads((EXAMPLES / "incidents.mapping.json").read_text("utf-8"))
    rows = [
        {"case_no": "I1", "when": "14.05.2024 06:30", "what": "heroin", "kg": 4.2,
         "summary": "ok", "post": {"name": "Zhaisan"}, "where_hidden": "trunk"},
        {"case_no": "I2", "when": "14.05.2024 06:30", "what": "unicorns", "kg": 1,
         "summary": "bad commodity"},
    ]
    n = count(session, "incidents")
    report = _run(session, viewer, json.dumps(rows).encode(), name="inc.json", mapping=mapping)
    assert report.rejected == 1 and not report.committed
    err = report.errors[0]
    assert (err.row, err.field, err.column) == (2, "seizures[0].commodity", "what")
    assert "unknown commodity 'unicorns'" in err.message
    assert count(session, "incidents") == n


def test_all_or_nothing_by_default(session: Session, viewer: ViewerFactory) -> None:
    n, a = count(session, "persons"), audit_count(session)
    report = _run(session, viewer, _csv(HEADER + GOOD + BAD))
    assert not report.ok and not report.committed
    assert report.rejected == 3 and len({e.row for e in report.errors}) == 3
    assert count(session, "persons") == n and audit_count(session) == a


def test_partial_keeps_the_good_rows(session: Session, viewer: ViewerFactory) -> None:
    n = count(session, "persons")
    report = _run(session, viewer, _csv(HEADER + BAD + GOOD), partial=True)
    assert report.committed and (report.created, report.rejected) == (2, 3)
    assert count(session, "persons") == n + 2
    entry = last_audit(session, "import")
    assert entry.query is not None and entry.query["rejected_rows"] == [2, 3, 4]


def test_reimport_is_idempotent(session: Session, viewer: ViewerFactory) -> None:
    first = _run(session, viewer, _csv(HEADER + GOOD))
    n, a = count(session, "persons"), audit_count(session)
    again = _run(session, viewer, _csv(HEADER + GOOD))
    assert (again.created, again.updated, again.skipped) == (0, 0, 2)
    assert count(session, "persons") == n
    assert audit_count(session) == a + 1  # only the import summary: nothing changed
    changed = GOOD.replace("courier", "courier seen again").replace("1990", "1991")
    third = _run(session, viewer, _csv(HEADER + changed))
    assert (third.created, third.updated, third.skipped) == (0, 2, 0)
    assert sorted(third.updated_ids) == sorted(first.created_ids)
    assert count(session, "persons") == n
    p = session.get(Person, first.created_ids[0])
    assert p is not None and p.notes == "courier seen again"
    updates = session.execute(select(Person.id).where(Person.external_ref == "A2")).all()
    assert len(updates) == 1


def test_same_id_of_another_agency_is_a_new_record(session: Session,
                                                   viewer: ViewerFactory) -> None:
    _run(session, viewer, _csv(HEADER + GOOD))
    other = _run(session, viewer, _csv(HEADER + GOOD), user="admin")
    assert other.created == 2  # external_ref is per owner agency
    # an administrator may import but not read records, so it cannot update them
    again = _run(session, viewer, _csv(HEADER + GOOD), user="admin", dry_run=True)
    assert again.rejected == 2 and "may not read" in again.errors[0].message


def test_duplicate_ids_in_one_file_are_rejected(session: Session,
                                                viewer: ViewerFactory) -> None:
    report = _run(session, viewer, _csv(HEADER + GOOD + GOOD.splitlines()[0] + "\n"))
    assert [(e.row, e.field) for e in report.errors] == [(4, "external_ref")]
    assert "first at row 2" in report.errors[0].message


def test_xlsx_round_trip(session: Session, viewer: ViewerFactory) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Документы"
    ws.append(["No", "Type", "Number", "Country", "Issued", "Expires"])
    ws.append([1, "Паспорт", 12345678, "KZ", date(2020, 1, 2), "02.01.2030"])
    ws.append([2, "ID", "N 0001", "RU", date(2019, 5, 6), None])
    ws.append([" ", None, None, None, None, None])  # blank rows are ignored
    ws.append([3, "Паспорт", "", "KZ", "yesterday", None])
    buf = io.BytesIO()
    wb.save(buf)
    mapping = {
        "resource": "documents", "sheet": "Документы", "id_column": "No",
        "fields": {
            "kind": {"column": "Type", "map": {"Паспорт": "passport", "ID": "id_card"}},
            "number": "Number", "issuing_country": "Country", "issued_on": "Issued",
            "expires_on": {"column": "Expires", "date_format": "%d.%m.%Y"},
        },
    }
    report = _run(session, viewer, buf.getvalue(), name="docs.xlsx", mapping=mapping,
                  partial=True)
    assert (report.created, report.rejected) == (2, 1)
    assert {(e.row, e.field) for e in report.errors} == {(5, "number"), (5, "issued_on")}
    docs = {d.external_ref: d for d in session.execute(
        select(Document).where(Document.id.in_(report.created_ids))).scalars()}
    assert docs["1"].number == "12345678" and docs["1"].issuing_country == "KZ"
    assert docs["1"].issued_on == date(2020, 1, 2) and docs["1"].expires_on == date(2030, 1, 2)
    assert docs["2"].kind.value == "id_card"
    again = _run(session, viewer, buf.getvalue(), name="docs.xlsx", mapping=mapping,
                 partial=True)
    assert (again.created, again.skipped) == (0, 2)


def test_json_lines_with_a_broken_line(session: Session, viewer: ViewerFactory) -> None:
    content = (EXAMPLES / "incidents.jsonl").read_bytes() + b"{broken\n"
    mapping = (EXAMPLES / "incidents.mapping.json").read_text("utf-8")
    report = _run(session, viewer, content, name="x.jsonl", mapping=mapping, dry_run=True)
    assert report.created == 2
    assert [(e.row, e.field) for e in report.errors] == [(3, "")]


def test_references_go_through_the_policy(session: Session, viewer: ViewerFactory) -> None:
    secret = person(session, viewer("ru-officer"), "Secret Person")  # agency-only, RU
    own = person(session, viewer("kz-police"), "Shared", distribution="country")
    mapping = {"resource": "documents", "fields": {"number": "n", "person_id": "holder"},
               "constants": {"kind": "passport"}}
    content = f"n,holder\nX1,{own.id}\nX2,{secret.id}\n".encode()
    report = _run(session, viewer, content, mapping=mapping, dry_run=True)
    assert report.created == 1
    assert [(e.row, e.field, e.column) for e in report.errors] == [(3, "person_id", "holder")]
    assert str(secret.id) in report.errors[0].message


def test_import_needs_the_import_permission(session: Session, viewer: ViewerFactory) -> None:
    with pytest.raises(Forbidden):
        _run(session, viewer, _csv(HEADER + GOOD), user="kz-officer")


def test_unusable_files_and_mappings(session: Session, viewer: ViewerFactory) -> None:
    with pytest.raises(UnsupportedFile):
        _run(session, viewer, b"x", name="people.pdf")
    with pytest.raises(MappingError) as e:
        _run(session, viewer, _csv("ID,Name\nA,B\n"))
    assert e.value.field == "fields.names[1].full_name"
    with pytest.raises(MappingError) as e:
        _run(session, viewer, b"a,b\n", mapping={"resource": "persons", "delimiter": ";",
                                                  "fields": {"names[0].full_name": "a"}})
    assert e.value.field == "fields.names[0].full_name"


def test_examples_import(session: Session, viewer: ViewerFactory) -> None:
    for data, mapping in (("persons.csv", "persons.mapping.json"),
                          ("incidents.jsonl", "incidents.mapping.json"),
                          ("vehicles.json", "vehicles.mapping.json")):
        report = _run(session, viewer, (EXAMPLES / data).read_bytes(), name=data,
                      mapping=(EXAMPLES / mapping).read_text("utf-8"))
        assert report.ok and report.created > 0, report.errors


def test_progress_is_reported_per_row(session: Session, viewer: ViewerFactory) -> None:
    seen: list[tuple[int, int]] = []
    import_file(session, viewer("kz-analyst"), "p.csv", _csv(HEADER + GOOD + BAD), MAPPING,
                dry_run=True, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
