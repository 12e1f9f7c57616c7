"""Entity resolution: pairs across agencies, judgements, stable clusters, per-viewer views."""

from __future__ import annotations

import pytest
from sqlalchemy import select
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
