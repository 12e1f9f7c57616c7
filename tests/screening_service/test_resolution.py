"""Entity resolution: pairs across agencies, judgements, stable clusters, per-viewer views."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shekara.errors import NotFound
from shekara.persons.models import Person
from shekara.policy.constants import Distribution
from shekara.screening import resolution
from shekara.screening.models import ClusterMember, ResolutionPair, Verdict
from tests.conftest import ViewerFactory
from tests.screening_service.helpers import person


def test_pairs_judgements_and_clusters(session: Session, viewer: ViewerFactory) -> None:
    kz = person(session, "KZ-BS", ["Нұрғалиев Ерлан"], dob="1985-03-12")
    ru = person(session, "RU-FSB-PS", ["Нургалиев Ерлан"], dob="1985-03-12")
    kg = person(session, "KG-POL", ["NURGALIEV ERLAN"], dob="1985",
                distribution=Distribution.agency)  # fmt: skip
    same_agency = person(session, "KZ-BS", ["Nurgaliev Erlan"], dob="1985-03-12")
    counts = resolution.run(session)
    assert counts["person_pairs"] >= 3
    pairs = session.execute(select(ResolutionPair)).scalars().all()
    keys = {frozenset((p.left_id, p.right_id)) for p in pairs}
    assert frozenset((kz.id, ru.id)) in keys
    assert frozenset((kz.id, same_agency.id)) not in keys  # same agency: not a linkage task
    assert all(p.reasons for p in pairs)

    analyst = viewer("kz-analyst")  # KZ: sees KZ and RU records, not KG's agency-only one
    listed = resolution.list_pairs(session, analyst)
    assert listed and all(kg.id not in (p.left_id, p.right_id) for p in listed)
    pair = next(p for p in listed if {p.left_id, p.right_id} == {kz.id, ru.id})
    resolution.judge(session, analyst, pair.id, Verdict.positive, "same passport photo")
    kg_pair = next(
        p for p in pairs if kg.id in (p.left_id, p.right_id) and ru.id in (p.left_id, p.right_id)
    )
    with pytest.raises(NotFound):
        resolution.judge(session, analyst, kg_pair.id, Verdict.positive)
    resolution.judge(session, viewer("ru-analyst"), pair.id, Verdict.positive)
    # records are never rewritten by a judgement
    assert session.get(Person, kz.id).display_name == "Нұрғалиев Ерлан"  # type: ignore[union-attr]
    cid = session.get(ClusterMember, kz.id).cluster_id  # type: ignore[union-attr]
    assert session.get(ClusterMember, ru.id).cluster_id == cid  # type: ignore[union-attr]

    # stable canonical id across re-runs and growth of the cluster
    resolution.run(session)
    resolution.rebuild_clusters(session)
    assert session.get(ClusterMember, kz.id).cluster_id == cid  # type: ignore[union-attr]
    # a KG officer confirms the link with her own record: cluster keeps its id
    kg_pair_row = session.execute(
        select(ResolutionPair).where(
            ResolutionPair.left_id == min(kg.id, ru.id),
            ResolutionPair.right_id == max(kg.id, ru.id),
        )
    ).scalar_one()
    kg_pair_row.verdict = Verdict.positive
    resolution.rebuild_clusters(session)
    assert session.get(ClusterMember, kg.id).cluster_id == cid  # type: ignore[union-attr]

    # each viewer sees only the members the policy lets her see
    kz_view = resolution.cluster_view(session, analyst, cid)
    assert {m.id for m in kz_view.members} == {kz.id, ru.id}
    kg_view = resolution.cluster_view(session, viewer("kg-officer"), cid)
    assert kg.id in {m.id for m in kg_view.members}
    assert resolution.cluster_for_record(session, analyst, ru.id).cluster_id == cid
    with pytest.raises(NotFound):
        resolution.cluster_for_record(session, analyst, kg.id)

    # a negative judgement splits the cluster
    resolution.judge(session, analyst, pair.id, Verdict.negative)
    assert session.get(ClusterMember, kz.id) is None


def test_incremental_resolution(session: Session) -> None:
    a = person(session, "KZ-BS", ["Бекмуратов Даурен"], dob="1977-07-07")
    b = person(session, "RU-FSB-PS", ["BEKMURATOV DAUREN"], dob="1977-07-07")
    assert resolution.resolve_records(session, [b.id]) == 1
    row = session.execute(select(ResolutionPair)).scalar_one()
    assert {row.left_id, row.right_id} == {a.id, b.id}


def test_batch_run_same_pairs_on_every_core(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch job finds the same pairs with the same scores and reasons whether it scores
    in one process or shares the work with worker processes, and whether it reads the
    profiles by id or the tables whole."""
    from sqlalchemy import delete

    people = [
        ("KZ-BS", ["Нұрғалиев Ерлан Маратұлы", "NURGALIEV ERLAN"], "1985-03-12", ["N1234567"]),
        ("RU-FSB-PS", ["Нургалиев Ерлан Маратович"], "1985-03-12", []),
        ("KG-POL", ["NURGALIEV ERLAN"], "1985", []),
        ("KG-POL", ["Иванова Анна Сергеевна"], "1990-06-01", []),
        ("KZ-BS", ["IVANOVA ANNA"], "1990-06-01", []),
        ("RU-FSB-PS", ["Иванова Анна"], None, []),
        ("KZ-BS", ["Иванова Анна"], "1971-02-02", []),  # namesake, another date of birth
        ("RU-FSB-PS", ["Петров Олег"], "1970-01-05", ["N1234567"]),  # same passport number
        ("KZ-BS", ["PETROV OLEG"], "1970-01-05", []),
    ]
    for agency, names, dob, docs in people:
        person(session, agency, names, dob=dob, documents=docs)
    session.flush()

    def stored() -> dict[tuple[object, object], tuple[float, list[dict[str, object]]]]:
        rows = session.execute(select(ResolutionPair)).scalars().all()
        return {(p.left_id, p.right_id): (p.score, p.reasons) for p in rows}

    monkeypatch.setattr(resolution, "_SCAN_SHARE", 1e9)  # profiles read by id
    serial = resolution.run(session, parallel=False)
    alone = stored()
    session.execute(delete(ResolutionPair))
    monkeypatch.setattr(resolution, "_SCAN_SHARE", 0.0)  # tables read whole
    monkeypatch.setattr(resolution, "SCORE_CHUNK", 2)  # many tasks, most in the workers
    parallel = resolution.run(session, parallel=True)
    assert parallel == serial and serial["person_pairs"] >= 5
    assert stored() == alone
    assert all(left < right for left, right in alone)  # type: ignore[operator]


def _linked(session: Session) -> set[frozenset[object]]:
    return {
        frozenset(p)
        for p in session.execute(select(ResolutionPair.left_id, ResolutionPair.right_id))
    }


def test_namesakes_born_the_same_year_are_not_linked(session: Session) -> None:
    """Two records of different agencies that share a common name and the year of birth and
    nothing else are a possible match, not a link (the rule of screening's grade: among
    the namesakes, one born that year is likely); the same person written by two agencies is
    still linked on a full date of birth, on a document, or with a year and a rare name."""
    # a common name: namesakes in other agencies, born in other years
    for i in range(12):
        agency = ("KZ-BS", "RU-FSB-PS", "KG-POL")[i % 3]
        person(session, agency, ["Ахметов Ерлан"], dob=f"{1960 + i}-0{1 + i % 9}-1{i % 9}")
    year_kz = person(session, "KZ-BS", ["Ахметов Ерлан"], dob="1985")
    year_ru = person(session, "RU-FSB-PS", ["AKHMETOV ERLAN"], dob="1985-04-02")
    full_kz = person(session, "KZ-BS", ["Ахметов Ерлан"], dob="1990-05-05")
    full_ru = person(session, "RU-FSB-PS", ["AKHMETOV ERLAN"], dob="1990-05-05")
    doc_kz = person(session, "KZ-BS", ["Ахметов Ерлан"], dob="1993", documents=["N7654321"])
    doc_kg = person(session, "KG-POL", ["AHMETOV ERLAN"], dob="1993", documents=["N7654321"])
    # a rare name: the year is enough
    rare_kz = person(session, "KZ-BS", ["Жолдасбеков Тимур"], dob="1979")
    rare_ru = person(session, "RU-FSB-PS", ["ZHOLDASBEKOV TIMUR"], dob="1979-02-03")
    session.flush()

    resolution.run(session)
    linked = _linked(session)
    assert frozenset((year_kz.id, year_ru.id)) not in linked
    assert frozenset((full_kz.id, full_ru.id)) in linked
    assert frozenset((doc_kz.id, doc_kg.id)) in linked
    assert frozenset((rare_kz.id, rare_ru.id)) in linked

    # the incremental path grades the same way
    session.execute(delete(ResolutionPair))
    resolution.resolve_records(session, [year_ru.id, full_ru.id, rare_ru.id])
    linked = _linked(session)
    assert frozenset((year_kz.id, year_ru.id)) not in linked
    assert frozenset((full_kz.id, full_ru.id)) in linked
    assert frozenset((rare_kz.id, rare_ru.id)) in linked


def test_name_alone_links_only_a_rare_name(session: Session) -> None:
    """A record without a date of birth rests on the name alone: it is linked to another
    agency's record of a rare name, not to one of a name whose parts many records carry."""
    for i in range(32):  # the surname is too common to count
        person(session, "KG-POL", [f"Ахметов {chr(0x0410 + i)}{'ббас' * 2}"], dob="1970-01-01")
    for i in range(32):  # so is the given name
        person(session, "KG-POL", [f"{chr(0x0410 + i)}{'лдас' * 2}ов Ерлан"], dob="1971-01-01")
    common_kz = person(session, "KZ-BS", ["Ахметов Ерлан"])
    common_ru = person(session, "RU-FSB-PS", ["AKHMETOV ERLAN"], dob="1985-04-02")
    rare_kz = person(session, "KZ-BS", ["Жолдасбеков Тимур"])
    rare_ru = person(session, "RU-FSB-PS", ["ZHOLDASBEKOV TIMUR"], dob="1979-02-03")
    session.flush()

    resolution.run(session)
    linked = _linked(session)
    assert frozenset((common_kz.id, common_ru.id)) not in linked
    assert frozenset((rare_kz.id, rare_ru.id)) in linked


def _generated_people(session: Session, seed: int = 11) -> None:
    """A few hundred records of a handful of common names in three agencies: the same people
    written several times (scripts, patronymics, a year only, a typo in the date) among
    many namesakes born the same year or on other dates, some with documents."""
    import random

    rnd = random.Random(seed)
    surnames = [("Ахметов", "AKHMETOV"), ("Иванов", "IVANOV"), ("Сейткали", "SEITKALI")]
    given = [("Ерлан", "ERLAN"), ("Марат", "MARAT"), ("Олег", "OLEG")]
    fathers = ["Маратович", "Серикович", "Олегович"]
    agencies = ["KZ-BS", "RU-FSB-PS", "KG-POL"]
    for _ in range(70):
        (sc, sl), (gc, gl) = rnd.choice(surnames), rnd.choice(given)
        patronymic = rnd.choice(fathers) if rnd.random() < 0.4 else None
        year, month, day = rnd.choice([1980, 1981, 1985]), rnd.randint(1, 12), rnd.randint(1, 28)
        document = f"N{rnd.randint(1_000_000, 9_999_999)}" if rnd.random() < 0.15 else None
        nats = rnd.choice([None, ["KAZ"], ["RUS"], ["KAZ", "RUS"]])
        for agency in rnd.sample(agencies, rnd.randint(1, 3)):
            name = [f"{sc} {gc}" + (f" {patronymic}" if patronymic else ""), f"{sl} {gl}"]
            if rnd.random() < 0.5:
                name = name[1:]
            dob: str | None = rnd.choice([
                f"{year}-{month:02d}-{day:02d}", f"{year}-{month:02d}-{day:02d}",
                f"{year}-{month:02d}", str(year), None,
                f"{year}-{month:02d}-{(day % 28) + 1:02d}",  # another day: a conflict
                f"{year}-{month:02d}-{day + 10:02d}" if day < 10 else str(year),  # one digit
            ])  # fmt: skip
            docs = [document] if document and rnd.random() < 0.7 else []
            person(session, agency, name, dob=dob, nationalities=nats, documents=docs)
    session.flush()


@pytest.mark.parametrize("min_score", [0.75, 0.8])
def test_prefilter_stores_the_same_pairs(
    session: Session, monkeypatch: pytest.MonkeyPatch, min_score: float
) -> None:
    """The pairs ruled out before scoring (bounds of the score and of the grade) are exactly
    pairs that would not have been stored: the batch job stores the same pairs, scores and
    reasons with and without the prefilter, and the prefilter does rule pairs out."""
    _generated_people(session)

    def stored() -> dict[tuple[object, object], tuple[float, list[dict[str, object]]]]:
        rows = session.execute(select(ResolutionPair)).scalars().all()
        return {(p.left_id, p.right_id): (p.score, p.reasons) for p in rows}

    monkeypatch.setattr(resolution, "_PREFILTER", False)
    unfiltered = resolution.run(session, min_score=min_score, parallel=False)
    everything = stored()
    session.execute(delete(ResolutionPair))
    session.expire_all()
    monkeypatch.setattr(resolution, "_PREFILTER", True)
    filtered = resolution.run(session, min_score=min_score, parallel=False)
    assert stored() == everything
    assert filtered["person_pairs"] == unfiltered["person_pairs"] == len(everything) > 20
    assert unfiltered["ruled_out_by_score"] == unfiltered["ruled_out_by_grade"] == 0
    assert filtered["ruled_out_by_grade"] > 0
    if min_score > 1.0 - resolution.DEFAULT_CONFIG.dob_conflict_penalty:
        assert filtered["ruled_out_by_score"] > 0


def test_a_shared_document_links_despite_conflicting_dates(session: Session) -> None:
    """Records that share a document number but whose dates of birth conflict score above
    the threshold (the document outweighs the date): they are scored, not ruled out."""
    a = person(session, "KZ-BS", ["Ахметов Ерлан"], dob="1985-03-12", documents=["N5551234"])
    b = person(session, "RU-FSB-PS", ["AKHMETOV ERLAN"], dob="1979-11-02", documents=["N5551234"])
    session.flush()
    resolution.run(session, min_score=0.8)
    assert frozenset((a.id, b.id)) in _linked(session)
