"""Export: only what the viewer may see, never hit-only, audited with every id."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime

import pytest
from followthemoney import model as ftm_model
from sqlalchemy.orm import Session

from shekara.audit.models import AuditAccess
from shekara.errors import Forbidden, NotAuthenticated, ValidationFailed
from shekara.io import exporter
from shekara.io.ftm import entity_id
from tests.conftest import ViewerFactory, World
from tests.io.conftest import last_audit, make, person


def _export(session: Session, viewer: ViewerFactory, user: str, resource: str, fmt: str,
            filters: dict[str, str] | None = None, q: str | None = None,
            batch_size: int = 500) -> str:
    job = exporter.start_export(session, viewer(user), resource, fmt, filters, q)
    return "".join(exporter.stream(session, job, batch_size=batch_size))


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line]


@pytest.fixture
def records(session: Session, viewer: ViewerFactory) -> dict[str, uuid.UUID]:
    owner = viewer("kz-officer")  # KZ-BS
    return {
        "agency": person(session, owner, "Agency Only").id,
        "country": person(session, owner, "Country Wide", distribution="country").id,
        "hit": person(session, owner, "Hit Only", distribution="all", hit_only=True).id,
        "all": person(session, owner, "Everyone", distribution="all").id,
        "ru": person(session, viewer("ru-officer"), "Russian Partner", distribution="partners",
                     partner_countries=["KZ"]).id,
    }


def _ids(rows: list[dict[str, object]]) -> set[str]:
    return {str(r["id"]) for r in rows}


def test_export_follows_the_sharing_policy(session: Session, viewer: ViewerFactory,
                                           records: dict[str, uuid.UUID]) -> None:
    r = {k: str(v) for k, v in records.items()}
    own = _ids(_lines(_export(session, viewer, "kz-supervisor", "persons", "json")))
    assert {r["agency"], r["country"], r["hit"], r["all"], r["ru"]} <= own
    kz = _ids(_lines(_export(session, viewer, "kz-analyst", "persons", "json")))
    assert {r["country"], r["all"], r["ru"]} <= kz
    assert r["agency"] not in kz and r["hit"] not in kz
    ru = _ids(_lines(_export(session, viewer, "ru-analyst", "persons", "json")))
    assert r["country"] not in ru and r["agency"] not in ru and r["hit"] not in ru
    # the world has no member countries, so 'all' reaches no foreign agency
    assert r["ru"] in ru


def test_export_is_audited_with_every_id_and_owner(session: Session, viewer: ViewerFactory,
                                                   world: World,
                                                   records: dict[str, uuid.UUID]) -> None:
    text = _export(session, viewer, "kz-analyst", "persons", "json", {"sex": "U"})
    exported = _ids(_lines(text))
    entry = last_audit(session, "export")
    assert entry.resource == "persons" and entry.username == "kz-analyst"
    assert set(entry.result_ids or []) == exported and exported
    assert entry.query == {"format": "json", "filters": {"sex": "U"}, "q": None,
                           "count": len(exported)}
    owners = {a.owner_agency_id for a in session.query(AuditAccess).filter(
        AuditAccess.seq == entry.seq)}
    assert owners == {world.agencies["KZ-BS"], world.agencies["RU-FSB-PS"]}


def test_filters_and_batches(session: Session, viewer: ViewerFactory) -> None:
    owner = viewer("kz-supervisor")
    for i in range(7):
        make(session, owner, "persons", names=[{"full_name": f"Batch {i}"}], birth_year=1950)
    text = _export(session, viewer, "kz-supervisor", "persons", "json",
                   {"birth_year": "1950"}, batch_size=3)
    rows = _lines(text)
    assert len(rows) == 7 and all(r["birth_year"] == 1950 for r in rows)
    rows = _lines(_export(session, viewer, "kz-supervisor", "persons", "json",
                          {"birth_year": "1950"}, q="batch"))
    assert len(rows) == 7
    with pytest.raises(ValidationFailed) as e:
        _export(session, viewer, "kz-supervisor", "persons", "json", {"colour": "red"})
    assert e.value.errors[0]["field"] == "colour"
    with pytest.raises(ValidationFailed):
        _export(session, viewer, "kz-supervisor", "persons", "json", {"birth_year": "old"})
    with pytest.raises(ValidationFailed):
        _export(session, viewer, "kz-supervisor", "persons", "xml")


def test_csv_export(session: Session, viewer: ViewerFactory,
                    records: dict[str, uuid.UUID]) -> None:
    text = _export(session, viewer, "kz-analyst", "persons", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    by_id = {r["id"]: r for r in rows}
    row = by_id[str(records["country"])]
    assert row["display_name"] == "Country Wide"
    assert row["owner_agency"] == "KZ-BS" and row["distribution"] == "country"
    assert json.loads(row["names"])[0]["full_name"] == "Country Wide"
    assert str(records["hit"]) not in by_id


def test_ftm_entities_parse_back(session: Session, viewer: ViewerFactory) -> None:
    owner = viewer("kz-supervisor")
    p = make(session, owner, "persons", names=[{"full_name": "Нұрғалиев Ерлан",
                                               "surname": "Нұрғалиев", "given_name": "Ерлан"},
                                              {"full_name": "NURGALIEV ERLAN",
                                               "kind": "passport"}],
             sex="M", birth_year=1984, birth_month=3, nationalities=["KZ"])
    make(session, owner, "documents", kind="passport", number="N0123456",
         issuing_country="KZ", person_id=p.id)
    make(session, owner, "phones", number="+7 701 555 0101", person_id=p.id)
    v = make(session, owner, "vehicles", plate="123 ABC 02", kind="truck", country="KZ")
    make(session, owner, "organisations", name="Group Sever", kind="criminal_group",
         members=[{"person_id": p.id, "role": "courier"}])
    make(session, owner, "incidents", category="drug_trafficking",
         occurred_at=datetime(2024, 5, 14, 6, 30, tzinfo=UTC), summary="Heroin",
         involvements=[{"person_id": p.id, "role": "suspect"},
                       {"vehicle_id": v.id, "role": "suspect"}],
         seizures=[{"commodity": "heroin", "quantity": "4.2", "unit": "kg"}])
    schemata: dict[str, set[str]] = {}
    for resource in ("persons", "documents", "phones", "vehicles", "organisations",
                     "incidents", "cases", "sources", "crossings"):
        for line in _lines(_export(session, viewer, "kz-supervisor", resource, "ftm")):
            proxy = ftm_model.get_proxy(line)
            schemata.setdefault(resource, set()).add(proxy.schema.name)
            assert proxy.id and str(proxy.id).startswith("shekara-")
            if proxy.id == entity_id(p.id) and resource == "persons":
                assert proxy.get("birthDate") == ["1984-03"]
                assert proxy.get("nationality") == ["kz"]
                assert proxy.get("gender") == ["male"]
                assert "NURGALIEV ERLAN" in proxy.get("alias")
            if proxy.schema.name == "Passport":
                assert proxy.get("holder") == [entity_id(p.id)]
            if resource == "phones":
                assert proxy.id == entity_id(p.id) and proxy.get("phone")
            if proxy.schema.name == "Event":
                assert proxy.get("involved") == [entity_id(p.id)]
                assert "Seized: 4.2 kg heroin" in (proxy.first("description") or "")
    assert schemata["persons"] == {"Person"}
    assert schemata["documents"] == {"Passport"}
    assert schemata["vehicles"] == {"Vehicle"}
    assert schemata["organisations"] == {"Organization", "Membership"}
    assert schemata["incidents"] == {"Event", "UnknownLink"}


def test_ftm_links_only_to_visible_records(session: Session, viewer: ViewerFactory) -> None:
    secret = person(session, viewer("kz-officer"), "Secret holder")  # KZ-BS only
    make(session, viewer("kz-police"), "documents", kind="id_card", number="X1",
         distribution="country", person_id=None)
    doc = make(session, viewer("kz-officer"), "documents", kind="passport", number="X2",
               distribution="country", person_id=secret.id)
    lines = _lines(_export(session, viewer, "kz-analyst", "documents", "ftm"))
    mine = [x for x in lines if x["id"] == entity_id(doc.id)]
    assert mine and mine[0]["schema"] == "Note"  # the holder is not visible to KZ-CUS
    assert str(secret.id) not in json.dumps(lines)


def test_export_needs_the_export_permission(session: Session, viewer: ViewerFactory) -> None:
    with pytest.raises(Forbidden):
        exporter.start_export(session, viewer("kz-officer"), "persons", "json")
    with pytest.raises(NotAuthenticated):
        exporter.start_export(session, None, "persons", "json")
    with pytest.raises(ValidationFailed):
        exporter.start_export(session, viewer("kz-analyst"), "aliens", "json")
