"""The synthetic dataset: deterministic, complete, valid, realistic."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from shekara.accounts.models import User
from shekara.accounts.security import verify_password
from shekara.audit import service as audit
from shekara.audit.models import AuditEntry
from shekara.cases.models import Case, CaseEvent
from shekara.crossings.models import Crossing
from shekara.db.models import Base
from shekara.demo import (
    DEMO_PASSWORD,
    SIZES,
    GenerationReport,
    Sizes,
    demo_accounts,
    generate,
    load_reference,
)
from shekara.demo.common import TABLE_ORDER
from shekara.demo.corridors import JOINT_CHECKPOINTS
from shekara.incidents.models import Incident, Involvement, Seizure
from shekara.organisations.models import Membership, Organisation
from shekara.persons.models import Document, Person, PersonName, Phone
from shekara.places.models import Place
from shekara.policy.models import ShareGrant
from shekara.sources.models import Source
from shekara.vehicles.models import Vehicle
from shekara.vocab.models import VocabTerm
from tests.demo.conftest import TINY, EngineFactory, make_dataset


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every generated row of every table, in a stable order, as text."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as c:
        for table in TABLE_ORDER:
            rows = c.execute(select(table)).all()
            out[table.name] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def test_same_seed_same_rows_other_seed_other_rows(
        tiny: tuple[Engine, GenerationReport], new_engine: EngineFactory) -> None:
    again, _ = make_dataset(new_engine, seed=7)
    first = dump(tiny[0])
    assert first == dump(again)
    assert all(first[t.name] for t in TABLE_ORDER), "every table gets rows"
    other, _ = make_dataset(new_engine, seed=8)
    different = dump(other)
    assert different["persons"] != first["persons"]
    pos = [c.name for c in Incident.__table__.columns].index("id")
    assert {r[pos] for r in different["incidents"]}.isdisjoint(
        {r[pos] for r in first["incidents"]})


def test_every_record_type_with_the_requested_counts(
        tiny: tuple[Engine, GenerationReport], tiny_session: Session) -> None:
    _, report = tiny
    s = tiny_session
    for model, n in ((Person, TINY.persons), (Incident, TINY.incidents),
                     (Crossing, TINY.crossings), (Vehicle, TINY.vehicles),
                     (Source, TINY.sources)):
        assert s.execute(select(func.count()).select_from(model)).scalar_one() == n
    assert report.counts["organisations"] == TINY.groups + TINY.companies
    for table in TABLE_ORDER:
        assert report.counts.get(table.name, 0) > 0, table.name
    assert s.execute(select(func.count()).select_from(Case)).scalar_one() > 0
    kinds = set(s.execute(select(Organisation.kind)).scalars())
    assert kinds == {"criminal_group", "company"}
    assert s.execute(select(func.count()).select_from(Membership)).scalar_one() >= TINY.groups


def test_vocabulary_codes_are_valid(tiny_session: Session) -> None:
    s = tiny_session
    vocab: dict[str, set[str]] = {}
    for voc, code in s.execute(select(VocabTerm.vocabulary, VocabTerm.code)):
        vocab.setdefault(voc, set()).add(code)
    checks = [
        (Incident.category, "threat_category"), (Seizure.commodity, "commodity"),
        (Seizure.concealment, "concealment"), (Seizure.detection, "detection"),
        (Involvement.role, "involvement_role"), (Crossing.result, "crossing_result"),
        (Vehicle.kind, "vehicle_kind"), (Source.kind, "source_kind"),
    ]
    for column, voc in checks:
        used = set(s.execute(select(column).distinct()).scalars()) - {None}
        assert used, column
        assert used <= vocab[voc], (column, used - vocab[voc])
    # Seizures are normalised to kg, l, pcs or a currency.
    units = set(s.execute(select(Seizure.normalised_unit).distinct()).scalars())
    assert units <= {"kg", "l", "pcs", "USD", "RUB", "KZT", "EUR"}


def test_places_are_reference_places(tiny_session: Session) -> None:
    s = tiny_session
    kinds = Counter(s.execute(select(Place.kind)).scalars())
    assert kinds["checkpoint"] > 50 and kinds["city"] > 1000 and kinds["border_section"] > 10
    assert kinds["region"] > 30
    zhaisan = s.execute(select(Place).where(Place.code == "zhaisan")).scalar_one()
    assert (zhaisan.country, zhaisan.country2) == ("KZ", "RU")
    assert zhaisan.name_ru and zhaisan.name_kk and zhaisan.checkpoint_kind == "road"
    section = s.execute(select(Place).where(Place.code == "bs-kz-ru-caspian-atyrau")).scalar_one()
    assert section.impact_level == "high" and section.geometry is not None
    assert section.geometry["type"] in ("LineString", "MultiLineString")
    lon, lat = section.geometry["coordinates"][0]
    assert 45 < lat < 49 and 46 < lon < 50, "GeoJSON is lon, lat"
    # Incidents sit at checkpoints/cities or on a border section; crossings at checkpoints.
    bad = s.execute(select(func.count()).select_from(Incident).where(
        Incident.place_id.is_(None), Incident.border_section_id.is_(None))).scalar_one()
    assert bad == 0
    cp_kinds = set(s.execute(select(Place.kind).join(Crossing, Crossing.checkpoint_id == Place.id)
                             .distinct()).scalars())
    assert cp_kinds == {"checkpoint"}
    joint = s.execute(select(Crossing.inspected_for, Place.code).join(
        Place, Crossing.checkpoint_id == Place.id)).all()
    assert all(len(f) == 2 for f, code in joint if code in JOINT_CHECKPOINTS)
    assert all(len(f) == 1 for f, code in joint if code not in JOINT_CHECKPOINTS)


def test_names_in_several_scripts(tiny_session: Session) -> None:
    s = tiny_session
    scripts: dict[uuid.UUID, set[str]] = {}
    for pid, script in s.execute(select(PersonName.person_id, PersonName.script)):
        scripts.setdefault(pid, set()).add(str(script.value if hasattr(script, "value")
                                               else script))
    assert all("Latn" in v for v in scripts.values()), "everyone has a passport Latin name"
    assert sum(1 for v in scripts.values() if {"Cyrl", "Latn"} <= v) > len(scripts) * 0.9
    # The same individual recorded by two agencies (same external_ref, different records).
    clusters = s.execute(select(Person.external_ref).group_by(Person.external_ref)
                         .having(func.count() > 1)).scalars().all()
    assert clusters
    # Partial dates of birth: some year only.
    assert s.execute(select(func.count()).select_from(Person).where(
        Person.birth_month.is_(None))).scalar_one() > 0
    numbers = s.execute(select(Document.number)).scalars().all()
    assert all("00" in n for n in numbers), "document numbers are from the synthetic range"
    notes = s.execute(select(Person.notes)).scalars().all()
    assert all("SYNTHETIC" in n for n in notes)
    assert s.execute(select(func.count()).select_from(Person).where(Person.hit_only)
                     ).scalar_one() >= 0


def test_kazakh_name_rendered_by_each_agency() -> None:
    import random

    from shekara.demo.names import Identity, render_names

    who = Identity("KZ", "kk", False, "Нұрғалиев", "Ержан", "Сәкенұлы", 1980, 5, 1)
    rng = random.Random(1)
    kz = render_names(rng, who, "KZ", variant=False)
    ru = render_names(rng, who, "RU", variant=False)
    assert kz[0].full_name == "Нұрғалиев Ержан Сәкенұлы" and kz[0].kind == "native"
    assert ru[0].full_name == "Нургалиев Ержан Сакенулы" and ru[0].kind == "transliteration"
    passports = {n.full_name for n in kz + ru if n.kind == "passport"}
    assert passports == {"NURGALIEV ERZHAN"}


def test_cases_have_histories_and_handovers(tiny_session: Session) -> None:
    s = tiny_session
    events = s.execute(select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.to_status)).all()
    by_case: dict[uuid.UUID, list[str]] = {}
    for cid, kind, _ in events:
        by_case.setdefault(cid, []).append(kind)
    assert all(kinds[0] == "status" for kinds in by_case.values())
    final: dict[uuid.UUID, Any] = dict(s.execute(select(Case.id, Case.status)).all())
    for cid, _kind, to in events:
        assert cid in final and (to is None or isinstance(to, str))


def test_share_grants_only_for_partner_records(tiny_session: Session) -> None:
    s = tiny_session
    ids = set(s.execute(select(ShareGrant.record_id)).scalars())
    partner_ids: set[uuid.UUID] = set()
    from shekara.screening.models import WatchlistEntry

    for model in (Person, Incident, Crossing, Vehicle, Document, Phone, Case, Organisation,
                  Source, WatchlistEntry):
        partner_ids |= set(s.execute(select(model.id).where(
            model.distribution == "partners")).scalars())
    assert ids and ids <= partner_ids


def test_demo_accounts_log_in(tiny_session: Session) -> None:
    s = tiny_session
    users = {u.username: u for u in s.execute(select(User)).scalars()}
    expected = {u for u, _, _ in demo_accounts()}
    assert expected <= set(users)
    roles = {str(users[u].role.value) for u in expected}
    assert len(roles) == 7, "one account per role"
    countries = {users[u].agency.country for u in expected}
    assert {"KZ", "RU", "KG"} <= countries
    assert verify_password(users["kz-ps-knb.officer"].password_hash, DEMO_PASSWORD)


def test_seasonal_pattern(new_engine: EngineFactory) -> None:
    sizes = Sizes(persons=40, incidents=2500, crossings=10, vehicles=10, groups=2, companies=1,
                  cases=5, sources=1)
    eng, _ = make_dataset(new_engine, seed=3, sizes=sizes)
    with Session(eng) as s:
        months = Counter(
            when.month for when in s.execute(
                select(Incident.occurred_at).join(Seizure, Seizure.incident_id == Incident.id)
                .where(Seizure.commodity == "cannabis")).scalars())
        caviar = Counter(
            when.month for when in s.execute(
                select(Incident.occurred_at).join(Seizure, Seizure.incident_id == Incident.id)
                .where(Seizure.commodity == "sturgeon_caviar")).scalars())
        years = Counter(when.year for when in s.execute(select(Incident.occurred_at)).scalars())
    late_summer = months[8] + months[9] + months[10]
    spring = months[2] + months[3] + months[4]
    assert late_summer > 4 * max(1, spring), months
    assert caviar[4] + caviar[5] > caviar[1] + caviar[2] + caviar[12], caviar
    assert set(years) == {2021, 2022, 2023, 2024, 2025}


def test_audit_chain_untouched(new_engine: EngineFactory) -> None:
    eng = new_engine()
    factory = sessionmaker(eng)
    with factory() as s:
        load_reference(s)
        audit.record(s, None, "create", "persons", record_id=uuid.uuid4())
        s.commit()
        sealer = getattr(audit, "seal_all", None)
        if sealer is not None:
            sealer(s)
            s.commit()
        before = s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    generate(factory, TINY, seed=1)
    with factory() as s:
        assert s.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == before
        problems = [p for _, p in audit.verify(s) if p is not None]
        assert problems == []


def test_load_reference_is_idempotent(new_engine: EngineFactory) -> None:
    eng = new_engine()
    with Session(eng) as s:
        first = load_reference(s)
        s.commit()
        assert first["places"] > 1000 and first["vocab_terms"] > 50
        again = load_reference(s)
        s.commit()
        assert again == {"countries": 0, "vocab_terms": 0, "places": 0}
        members = set(s.execute(text("SELECT code FROM countries WHERE member")).scalars())
        assert members == {"KZ", "RU", "BY", "KG", "UZ", "TJ"}


def test_sizes() -> None:
    assert SIZES["bench"].persons >= 1_000_000 and SIZES["bench"].incidents >= 1_000_000
    assert Sizes.of({"persons": 5}).persons == 5
    assert Sizes.of("tiny") == SIZES["tiny"]
    with pytest.raises(ValueError):
        Sizes.of("huge")
    with pytest.raises(ValueError):
        Sizes.of({"people": 5})


def test_deferred_indexes_are_rebuilt(new_engine: EngineFactory) -> None:
    from sqlalchemy import inspect

    eng = new_engine()
    before = {t.name: {i["name"] for i in inspect(eng).get_indexes(t.name)} for t in TABLE_ORDER}
    stages: list[str] = []
    generate(sessionmaker(eng), TINY, seed=2, defer_indexes=True,
             progress=lambda stage, done, total: stages.append(stage))
    after = {t.name: {i["name"] for i in inspect(eng).get_indexes(t.name)} for t in TABLE_ORDER}
    assert after == before
    assert "ix_person_names_search_key" in after["person_names"]
    assert {"persons", "incidents", "crossings", "indexes"} <= set(stages)


DIGEST_SCRIPT = """
import hashlib, sys
from sqlalchemy import create_engine, select
from shekara.db.models import Base
from shekara.demo.common import TABLE_ORDER
h = hashlib.sha256()
with create_engine(sys.argv[1]).connect() as c:
    for t in TABLE_ORDER:
        for r in sorted(tuple(str(v) for v in row) for row in c.execute(select(t))):
            h.update(repr(r).encode())
print(h.hexdigest())
"""
GENERATE_SCRIPT = """
import sys
from sqlalchemy.orm import sessionmaker
from shekara.db.engine import make_engine
from shekara.demo import Sizes, generate
from shekara.settings import Settings
generate(sessionmaker(make_engine(Settings(env="test"), sys.argv[1])),
         Sizes(**{k: int(v) for k, v in (a.split("=") for a in sys.argv[2:])}), seed=7)
"""


def test_same_rows_in_another_process(tiny: tuple[Engine, GenerationReport],
                                      new_engine: EngineFactory) -> None:
    """No dependence on hash randomisation or anything else of the process."""
    import os
    import subprocess
    import sys

    other = new_engine()
    url = other.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    counts = [f"{k}={v}" for k, v in TINY.__dict__.items()]
    subprocess.run([sys.executable, "-c", GENERATE_SCRIPT, url, *counts], check=True, env=env)
    digests = [
        subprocess.run([sys.executable, "-c", DIGEST_SCRIPT, u], check=True, env=env,
                       capture_output=True, text=True).stdout.strip()
        for u in (url, tiny[0].url.render_as_string(hide_password=False))
    ]
    assert digests[0] == digests[1]


def test_search_indexes_are_filled(tiny_session: Session) -> None:
    """Name tokens (search in any script) and the screening key index cover generated data."""
    from shekara.persons.resource import name_condition

    s = tiny_session
    latin = s.execute(select(PersonName.person_id, PersonName.surname).where(
        PersonName.kind == "passport").limit(5)).all()
    for person_id, surname in latin:
        found = set(s.execute(select(Person.id).where(name_condition(surname))).scalars())
        assert person_id in found
    tables = set(Base.metadata.tables)
    if "screening_keys" in tables:
        keys = Base.metadata.tables["screening_keys"]
        dirty = Base.metadata.tables["screening_dirty"]
        assert s.execute(select(func.count()).select_from(keys)).scalar_one() > 0
        assert s.execute(select(func.count()).select_from(dirty)).scalar_one() == 0


def test_watchlist_entries_point_at_records(tiny_session: Session) -> None:
    from shekara.screening.models import WatchlistEntry

    s = tiny_session
    targets = {"person": Person, "document": Document, "vehicle": Vehicle}
    entries = s.execute(select(WatchlistEntry)).scalars().all()
    assert entries
    for e in entries:
        model = targets[e.target_type]
        assert s.get(model, e.target_id) is not None
        assert "SYNTHETIC" in e.reason and e.valid_until > e.valid_from
