"""The screening service's reads give the same answers on every backend, whatever way they
are written: for each key the first ``key_cap + 1`` record ids (by id), for a query the same
candidates, weights and name frequencies as a plain per-key read of the index, and the
candidates loaded as the sharing policy admits them."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.persons.models import Person
from shekara.policy.constants import Distribution
from shekara.policy.sharing import visible
from shekara.screening import index, service
from shekara.screening.models import KeyKind, RecordType, ScreeningKey
from tests.conftest import ViewerFactory
from tests.screening_service.helpers import person

Key = tuple[str, str]


def _ids(rng: random.Random, n: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=rng.getrandbits(128)) for _ in range(n)]


def _store(session: Session, rows: dict[Key, list[uuid.UUID]]) -> None:
    index._insert(
        session,
        [(kind, key, RecordType.person, rid) for (kind, key), ids in rows.items() for rid in ids],
    )


def reference_lookup(
    session: Session, keys: Any, cap: int = index.KEY_CAP, *, every: bool = False
) -> dict[Key, list[Any]]:
    """The lookup's meaning, one plain statement per key: the first ``key_cap + 1`` ids."""
    out: dict[Key, list[Any]] = {}
    for kind, key in keys:
        out[(kind, key)] = list(
            session.execute(
                select(ScreeningKey.record_id)
                .where(ScreeningKey.kind == kind, ScreeningKey.key == key)
                .order_by(ScreeningKey.record_id)
                .limit(index.key_cap(kind, cap, key) + 1)
            ).scalars()
        )
    return out


def _meaning(
    hits: dict[Key, list[Any]], cap: int = index.KEY_CAP, doc_ids: bool = True
) -> dict[Key, Any]:
    """What candidate generation uses of a lookup: the ids of a key that counts (and of a
    document key read from the index), only how many records carry a too common one."""
    return {
        (kind, key): [index._as_uuid(r) for r in ids]
        if len(ids) <= index.key_cap(kind, cap, key) or (kind == KeyKind.doc and doc_ids)
        else len(ids)
        for (kind, key), ids in hits.items()
    }


def test_lookup_reads_the_first_ids_of_each_key_up_to_its_cap(session: Session) -> None:
    rng = random.Random(4)
    rows = {
        (KeyKind.pair.value, "=ahmetov|erlan"): _ids(rng, 301),  # too common
        (KeyKind.pair.value, "=ahmetov|serik"): _ids(rng, 300),  # exactly the cap
        (KeyKind.pair.value, "^ahm|erl"): _ids(rng, 101),  # a typo key: cap 100
        (KeyKind.pair.value, "$tov|lan"): _ids(rng, 100),
        (KeyKind.pair_year.value, "=ahmetov|erlan@1985"): _ids(rng, 7),
        (KeyKind.name.value, "ahmetov"): _ids(rng, 31),  # single parts: cap 30
        (KeyKind.name.value, "erlan"): _ids(rng, 30),
        (KeyKind.doc.value, "N1234567"): _ids(rng, 302),  # a document key: ids all the same
        (KeyKind.plate.value, "123ABC02"): _ids(rng, 1),
    }
    _store(session, rows)
    keys = sorted([*rows, (KeyKind.name.value, "nobody"), (KeyKind.vin.value, "X")])
    want = _meaning(reference_lookup(session, keys))
    assert want[(KeyKind.pair.value, "=ahmetov|erlan")] == 301
    assert want[(KeyKind.name.value, "erlan")] == sorted(rows[(KeyKind.name.value, "erlan")])
    assert want[(KeyKind.name.value, "nobody")] == []

    first = index.lookup(session, keys)
    assert set(first) == set(keys)
    assert _meaning(first) == want
    # the too common keys are remembered: not read again (a document key neither), only
    # counted
    assert _meaning(index.lookup(session, keys), doc_ids=False) == _meaning(
        reference_lookup(session, keys), doc_ids=False
    )
    # many queries' keys together (a manifest): the same
    index._COMMON.clear()
    assert _meaning(index.lookup_many(session, keys * 2)) == want
    # every id, however common the key (the fallback of a query made only of common keys)
    every = index.lookup(session, keys, every=True)
    assert {k: [index._as_uuid(r) for r in v] for k, v in every.items()} == {
        k: v for k, v in reference_lookup(session, keys).items()
    }
    # a lower cap (the caps per kind of key follow it)
    index._COMMON.clear()
    assert _meaning(index.lookup(session, keys, cap=5), 5) == _meaning(
        reference_lookup(session, keys, 5), 5
    )


@pytest.mark.parametrize("birth_year", [1985, None])
@pytest.mark.parametrize("common", [0.0, 0.5, 1.0])
def test_candidates_are_those_of_a_plain_read_of_the_index(
    session: Session, monkeypatch: pytest.MonkeyPatch, birth_year: int | None, common: float
) -> None:
    """The candidates, their weights and order, the namesakes and the name's rarity of a query
    are those computed from a plain per-key read (``common``: the share of the query's keys
    that are too common; all of them sends the query to its fallback)."""
    names = ["Ахметов Ерлан Маратович"]
    keys = index.person_query_keys(names, (), birth_year)
    rng = random.Random(f"{birth_year}-{common}")
    pool = _ids(rng, 450)  # records sharing several keys: weights add up, ties are broken
    rows: dict[Key, list[uuid.UUID]] = {}
    for kind, key in keys:
        cap = index.key_cap(kind, index.KEY_CAP, key)
        n = cap + 1 + rng.randrange(5) if rng.random() < common else rng.randrange(1, 9)
        rows[(kind, key)] = rng.sample(pool, min(n, len(pool))) + _ids(rng, max(0, n - len(pool)))
    _store(session, rows)

    got = index.person_candidate_stats(session, names, (), birth_year)
    again = index.person_candidate_stats(session, names, (), birth_year)  # keys remembered
    index._COMMON.clear()
    monkeypatch.setattr(index, "lookup", reference_lookup)
    want = index.person_candidate_stats(session, names, (), birth_year)

    assert want.weights
    for st in (got, again):
        assert list(st.weights.items()) == list(want.weights.items())
        assert st.namesakes == want.namesakes
        assert st.name_rarity == want.name_rarity


def test_candidates_are_loaded_as_the_sharing_policy_admits_them(
    session: Session, viewer: ViewerFactory
) -> None:
    """Stage 2 loads a candidate, with all its names in order, exactly when the viewer may know
    of it (hit/no-hit-only records of the audience included), on either backend's statement."""
    people = [
        person(session, agency, [f"Жумабаев Айдос {i}", f"ZHUMABAEV AIDOS {i}"], **kw)
        for i, (agency, kw) in enumerate(
            [
                ("KZ-BS", {"distribution": Distribution.agency}),
                ("KZ-POL", {"distribution": Distribution.agency}),
                ("KZ-POL", {"distribution": Distribution.country}),
                ("RU-FSB-PS", {"distribution": Distribution.country}),
                ("RU-FSB-PS", {"distribution": Distribution.partners, "partners": ["KZ"]}),
                ("RU-FSB-PS", {"distribution": Distribution.partners, "partners": ["BY"]}),
                ("KG-POL", {"distribution": Distribution.all, "nationalities": ["KG", "KZ"]}),
                ("KG-POL", {"distribution": Distribution.all, "hit_only": True}),
            ]
        )
    ]
    ids = [p.id for p in people] + [uuid.uuid4()]
    seen: dict[str, int] = {}
    for who in ("kz-officer", "kz-police", "ru-officer", "kg-officer"):
        v = viewer(who)
        want = {
            p.id: (p.display_name, p.birth_year, tuple(p.nationalities), p.hit_only)
            for p in session.execute(
                select(Person).where(Person.id.in_(ids), visible(v, Person, include_hit_only=True))
            ).scalars()
        }
        got = service._person_rows(session, v, ids)
        assert {
            pid: (c.display_name, c.birth_year, c.nationalities, c.hit_only)
            for pid, c in got.items()
        } == want, who
        for c in got.values():
            i = c.display_name.rsplit(" ", 1)[1]
            assert c.names == [f"Жумабаев Айдос {i}", f"ZHUMABAEV AIDOS {i}"]
            assert c.owner_agency_id == next(p for p in people if p.id == c.id).owner_agency_id
        seen[who] = len(got)
    assert seen == {"kz-officer": 5, "kz-police": 5, "ru-officer": 5, "kg-officer": 2}
