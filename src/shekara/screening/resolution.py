"""Entity resolution: records that different agencies hold on the same person or vehicle.

1. *Blocking* on the screening index: persons that share a full pair key (two name parts
   together, any script and order) and the year of birth in a block of at most
   :data:`BLOCK_CAP` records, or a full pair key alone in a block of at most
   :data:`SMALL_BLOCK`, or hold documents with the same number; vehicles that share a plate
   or VIN key.
2. *Scoring* of each pair of records of **different agencies** with the same pure functions as
   screening; pairs at or above ``min_score`` are stored with their reasons.
3. *Judgements* by analysts (positive, negative, unsure) are kept as history with their author;
   they never change the source records.
4. *Clusters*: connected components of the positively judged pairs. A cluster keeps its
   canonical id across re-runs: a component takes the id most of its members already carried
   (the smallest on a tie), a new component gets a new id.

Listing pairs and showing clusters goes through :func:`shekara.policy.sharing.visible`: a viewer
sees a pair only when she may see both records in full, and a cluster only with the members she
may see (hit/no-hit-only members as notices).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.orm import Session, aliased

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.db.base import new_id
from shekara.errors import NotFound
from shekara.persons.models import Document, Person, PersonName
from shekara.policy.sharing import Viewer, is_hit_notice, visible
from shekara.records.service import agency_ref, require
from shekara.screening import index
from shekara.screening.models import (
    ClusterMember,
    Judgement,
    KeyKind,
    RecordType,
    ResolutionPair,
    ScreeningKey,
    Verdict,
)
from shekara.screening.names import compare_dates, parse_partial_date
from shekara.screening.schemas import ClusterMemberOut, ClusterOut, PairOut
from shekara.screening.scoring import DEFAULT_CONFIG, ScoringConfig, score_person
from shekara.screening.scoring import Person as ScoredPerson
from shekara.screening.service import _birth, reasons_out
from shekara.vehicles.models import Vehicle

BLOCK_CAP = 50
SMALL_BLOCK = 6
MIN_SCORE = 0.75
Progress = Callable[[str, int, int], None]
Pair = tuple[uuid.UUID, uuid.UUID]


def _blocked_pairs(
    session: Session, kind: str, prefix: str = "", cap: int = BLOCK_CAP
) -> set[Pair]:
    """Pairs of records sharing a key of ``kind`` in a block of at most ``cap`` records."""
    a, b = aliased(ScreeningKey), aliased(ScreeningKey)
    conds = [ScreeningKey.kind == kind]
    if prefix:
        conds.append(ScreeningKey.key.like(prefix + "%"))
    blocks = (
        select(ScreeningKey.key)
        .where(*conds)
        .group_by(ScreeningKey.key)
        .having(func.count() > 1, func.count() <= cap)
        .subquery()
    )
    stmt = (
        select(a.record_id, b.record_id)
        .join(blocks, blocks.c.key == a.key)
        .join(b, and_(b.kind == kind, b.key == a.key, a.record_id < b.record_id))
        .where(a.kind == kind)
        .distinct()
    )
    return {(x, y) for x, y in session.execute(stmt)}


def _document_pairs(session: Session) -> set[Pair]:
    """Persons holding documents with the same number (match key)."""
    docs = _blocked_pairs(session, KeyKind.doc.value)
    if not docs:
        return set()
    ids = {i for p in docs for i in p}
    holder = dict(
        session.execute(
            select(Document.id, Document.person_id).where(
                Document.id.in_(ids), Document.person_id.isnot(None)
            )
        )
    )
    out: set[Pair] = set()
    for x, y in docs:
        px, py = holder.get(x), holder.get(y)
        if px is not None and py is not None and px != py:
            out.add((min(px, py), max(px, py)))
    return out


def _person_profiles(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    ids = list(ids)
    out: dict[uuid.UUID, Any] = {}
    names: dict[uuid.UUID, list[str]] = defaultdict(list)
    docs: dict[uuid.UUID, list[str]] = defaultdict(list)
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        for pid, n in session.execute(
            select(PersonName.person_id, PersonName.full_name).where(
                PersonName.person_id.in_(chunk)
            )
        ):
            names[pid].append(n)
        for holder, number in session.execute(
            select(Document.person_id, Document.number).where(Document.person_id.in_(chunk))
        ):
            if holder is not None:
                docs[holder].append(number)
        for p in session.execute(select(Person).where(Person.id.in_(chunk))).scalars():
            out[p.id] = (
                p.owner_agency_id,
                ScoredPerson(
                    tuple(names[p.id]) or (p.display_name,),
                    _birth(p),
                    tuple(p.nationalities or ()),
                    tuple(docs[p.id]),
                ),
            )
    return out


def score_pairs(
    session: Session,
    pairs: Iterable[Pair],
    *,
    min_score: float = MIN_SCORE,
    config: ScoringConfig = DEFAULT_CONFIG,
    progress: Progress | None = None,
) -> int:
    """Score person pairs of different agencies and store those at or above ``min_score``
    (scores and reasons refreshed, judgements kept); returns pairs stored."""
    pairs = sorted(pairs)
    profiles = _person_profiles(session, {i for p in pairs for i in p})
    existing = {
        (p.left_id, p.right_id): p
        for p in session.execute(
            select(ResolutionPair).where(ResolutionPair.record_type == RecordType.person)
        ).scalars()
    }
    stored = 0
    skip_conflicts = min_score > 1.0 - config.dob_conflict_penalty
    new_rows: list[dict[str, Any]] = []
    for n, (x, y) in enumerate(pairs, start=1):
        px, py = profiles.get(x), profiles.get(y)
        if px is None or py is None or px[0] == py[0]:
            continue
        if skip_conflicts and (
            compare_dates(
                parse_partial_date(px[1].birth_date), parse_partial_date(py[1].birth_date)
            ).outcome
            == "conflict"
        ):
            continue  # cannot reach min_score: the name scores at most 1
        s = score_person(px[1], py[1], config)
        if s.value < min_score:
            continue
        reasons = [r.as_dict() for r in s.reasons]
        row = existing.get((x, y))
        if row is None:
            new_rows.append({
                "id": new_id(), "record_type": RecordType.person.value, "left_id": x,
                "right_id": y, "score": s.value, "reasons": reasons,
            })  # fmt: skip
        else:
            row.score, row.reasons = s.value, reasons
        stored += 1
        if progress and n % 1000 == 0:
            progress("scoring", n, len(pairs))
    if new_rows:
        session.execute(insert(ResolutionPair), new_rows)
    session.flush()
    if progress:
        progress("scoring", len(pairs), len(pairs))
    return stored


def _vehicle_pairs(session: Session) -> int:
    pairs = _blocked_pairs(session, KeyKind.plate.value) | _blocked_pairs(
        session, KeyKind.vin.value
    )
    if not pairs:
        return 0
    ids = {i for p in pairs for i in p}
    rows = {v.id: v for v in session.execute(select(Vehicle).where(Vehicle.id.in_(ids))).scalars()}
    existing = {
        (p.left_id, p.right_id)
        for p in session.execute(
            select(ResolutionPair).where(ResolutionPair.record_type == RecordType.vehicle)
        ).scalars()
    }
    stored = 0
    for x, y in sorted(pairs):
        a, b = rows.get(x), rows.get(y)
        if a is None or b is None or a.owner_agency_id == b.owner_agency_id:
            continue
        reasons: list[dict[str, Any]] = []
        if a.vin and a.vin == b.vin:
            reasons.append({"code": "vin_match", "vin": a.vin})
        if index.vehicle_keys(a.plate) == index.vehicle_keys(b.plate):
            reasons.append({"code": "plate_match", "plate": a.plate})
        score = 1.0 if a.vin and a.vin == b.vin else 0.9
        if (x, y) not in existing:
            session.add(
                ResolutionPair(
                    id=new_id(),
                    record_type=RecordType.vehicle,
                    left_id=x,
                    right_id=y,
                    score=score,
                    reasons=reasons,
                )  # fmt: skip
            )
        stored += 1
    session.flush()
    return stored


def run(
    session: Session,
    *,
    min_score: float = MIN_SCORE,
    config: ScoringConfig = DEFAULT_CONFIG,
    progress: Progress | None = None,
) -> dict[str, int]:
    """The batch job: block, score, store candidate pairs (persons and vehicles)."""
    index.catch_up(session)
    if progress:
        progress("blocking", 0, 1)
    # full name pairs born the same year; full name pairs alone only in small blocks (records
    # without a date of birth), so that frequent names do not make quadratic blocks
    pairs = (
        _blocked_pairs(session, KeyKind.pair_year.value, "=")
        | _blocked_pairs(session, KeyKind.pair.value, "=", cap=SMALL_BLOCK)
        | _document_pairs(session)
    )
    if progress:
        progress("blocking", 1, 1)
    persons = score_pairs(session, pairs, min_score=min_score, config=config, progress=progress)
    vehicles = _vehicle_pairs(session)
    return {"candidate_pairs": len(pairs), "person_pairs": persons, "vehicle_pairs": vehicles}


def resolve_records(
    session: Session, person_ids: Iterable[uuid.UUID], *, min_score: float = MIN_SCORE
) -> int:
    """Incremental: pairs for newly arrived or changed persons (screening candidates)."""
    index.catch_up(session)
    pairs: set[Pair] = set()
    profiles = _person_profiles(session, person_ids)
    for pid, (_, p) in profiles.items():
        year = int(p.birth_date[:4]) if p.birth_date else None
        for cid in index.person_candidates(session, p.names, p.documents, year):
            if cid != pid:
                pairs.add((min(pid, cid), max(pid, cid)))
    return score_pairs(session, pairs, min_score=min_score)


# --------------------------------------------------------------------------------------------
# Judgements and clusters
# --------------------------------------------------------------------------------------------

_L, _R = aliased(Person), aliased(Person)
_VL, _VR = aliased(Vehicle), aliased(Vehicle)


def _labels(session: Session, rtype: str, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    model: Any = Person if rtype == RecordType.person else Vehicle
    return {
        r.id: r for r in session.execute(select(model).where(model.id.in_(list(ids)))).scalars()
    }


def _label(obj: Any) -> str:
    return str(obj.display_name) if isinstance(obj, Person) else str(obj.plate)


def _pair_out(
    session: Session, p: ResolutionPair, objs: dict[uuid.UUID, Any], lang: str
) -> PairOut:
    left, right = objs[p.left_id], objs[p.right_id]
    reasons = [(r["code"], {k: v for k, v in r.items() if k != "code"}) for r in p.reasons]
    return PairOut(
        id=p.id,
        record_type=p.record_type,
        left_id=p.left_id,
        right_id=p.right_id,
        left_label=_label(left),
        right_label=_label(right),
        left_owner=agency_ref(session, left.owner_agency_id),
        right_owner=agency_ref(session, right.owner_agency_id),
        score=p.score,
        reasons=reasons_out(reasons, lang),
        verdict=p.verdict,
    )


def list_pairs(
    session: Session,
    viewer: Viewer | None,
    *,
    unjudged: bool = True,
    limit: int = 50,
    lang: str = "en",
) -> list[PairOut]:
    """Pairs whose two records the viewer may see in full, best score first; audited."""
    v = require(viewer, Perm.stats)
    out: list[PairOut] = []
    for rtype, la, ra in ((RecordType.person, _L, _R), (RecordType.vehicle, _VL, _VR)):
        stmt = (
            select(ResolutionPair)
            .join(la, la.id == ResolutionPair.left_id)
            .join(ra, ra.id == ResolutionPair.right_id)
            .where(ResolutionPair.record_type == rtype, visible(v, la), visible(v, ra))
        )
        if unjudged:
            stmt = stmt.where(ResolutionPair.verdict.is_(None))
        rows = (
            session.execute(stmt.order_by(ResolutionPair.score.desc()).limit(limit)).scalars().all()
        )
        objs = _labels(session, rtype, {i for p in rows for i in (p.left_id, p.right_id)})
        out.extend(_pair_out(session, p, objs, lang) for p in rows)
    out.sort(key=lambda p: -p.score)
    out = out[:limit]
    owners = [o.id for p in out for o in (p.left_owner, p.right_owner)]
    audit.record(
        session, v, "list", "resolution_pair", query={"unjudged": unjudged, "limit": limit},
        result_ids=[i for p in out for i in (p.left_id, p.right_id)], owners=owners,
    )  # fmt: skip
    return out


def judge(
    session: Session, viewer: Viewer | None, pair_id: uuid.UUID, verdict: Verdict, note: str = ""
) -> PairOut:
    """Record an analyst's judgement (the viewer must see both records); clusters follow."""
    v = require(viewer, Perm.stats)
    p = session.get(ResolutionPair, pair_id)
    if p is None:
        raise NotFound("pair not found")
    model: Any = Person if p.record_type == RecordType.person else Vehicle
    seen = session.execute(
        select(func.count())
        .select_from(model)
        .where(model.id.in_([p.left_id, p.right_id]), visible(v, model))
    ).scalar_one()
    if seen != 2:
        raise NotFound("pair not found")
    before = {"verdict": p.verdict.value if p.verdict else None}
    session.add(Judgement(pair_id=p.id, verdict=verdict, note=note, user_id=v.user_id,
                          agency_id=v.agency_id))  # fmt: skip
    p.verdict = verdict
    session.flush()
    rebuild_clusters(session)
    objs = _labels(session, p.record_type, (p.left_id, p.right_id))
    audit.record(
        session, v, "judge", "resolution_pair", record_id=p.id,
        owners=[o.owner_agency_id for o in objs.values()],
        before=before, after={"verdict": verdict.value, "note": note},
    )  # fmt: skip
    return _pair_out(session, p, objs, "en")


def rebuild_clusters(session: Session) -> int:
    """Connected components of positive pairs; canonical ids kept stable. Returns clusters."""
    edges = session.execute(
        select(ResolutionPair.left_id, ResolutionPair.right_id, ResolutionPair.record_type).where(
            ResolutionPair.verdict == Verdict.positive
        )
    ).all()
    parent: dict[uuid.UUID, uuid.UUID] = {}
    rtypes: dict[uuid.UUID, str] = {}

    def find(x: uuid.UUID) -> uuid.UUID:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, rtype in edges:
        rtypes[a] = rtypes[b] = rtype
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    components: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for x in parent:
        components[find(x)].append(x)
    current = {m.record_id: m for m in session.execute(select(ClusterMember)).scalars()}
    used: set[uuid.UUID] = set()
    keep: set[uuid.UUID] = set()
    for members in sorted(components.values(), key=lambda ms: min(ms)):
        votes = Counter(current[m].cluster_id for m in members if m in current)
        choices = sorted(votes.items(), key=lambda t: (-t[1], t[0]))
        cid = next((c for c, _ in choices if c not in used), None) or new_id()
        used.add(cid)
        for m in members:
            keep.add(m)
            row = current.get(m)
            if row is None:
                session.add(ClusterMember(record_id=m, cluster_id=cid, record_type=rtypes[m]))
            elif row.cluster_id != cid:
                row.cluster_id = cid
    for rid, row in current.items():
        if rid not in keep:
            session.delete(row)
    session.flush()
    return len(components)


def cluster_view(session: Session, viewer: Viewer | None, cluster_id: uuid.UUID) -> ClusterOut:
    """A cluster with only the members the viewer may see; NotFound if she sees none."""
    v = require(viewer, Perm.read)
    rows = (
        session.execute(select(ClusterMember).where(ClusterMember.cluster_id == cluster_id))
        .scalars()
        .all()
    )
    members: list[ClusterMemberOut] = []
    for rtype in (RecordType.person, RecordType.vehicle):
        ids = [m.record_id for m in rows if m.record_type == rtype]
        if not ids:
            continue
        model: Any = Person if rtype == RecordType.person else Vehicle
        for obj in session.execute(
            select(model).where(model.id.in_(ids), visible(v, model, include_hit_only=True))
        ).scalars():
            notice = is_hit_notice(v, obj)
            members.append(
                ClusterMemberOut(
                    id=obj.id,
                    type=rtype,
                    owner_agency=agency_ref(session, obj.owner_agency_id),
                    notice=notice,
                    label=None if notice else _label(obj),
                )
            )
    if not members:
        raise NotFound("cluster not found")
    members.sort(key=lambda m: str(m.id))
    audit.record(
        session, v, "read", "resolution_cluster", query={"cluster_id": str(cluster_id)},
        result_ids=[m.id for m in members], owners=[m.owner_agency.id for m in members],
    )  # fmt: skip
    return ClusterOut(cluster_id=cluster_id, members=members)


def cluster_for_record(session: Session, viewer: Viewer | None, record_id: uuid.UUID) -> ClusterOut:
    v = require(viewer, Perm.read)
    m = session.get(ClusterMember, record_id)
    if m is None:
        raise NotFound("record not in a confirmed cluster")
    model: Any = Person if m.record_type == RecordType.person else Vehicle
    if (
        session.execute(
            select(model.id).where(model.id == record_id, visible(v, model, include_hit_only=True))
        ).first()
        is None
    ):
        raise NotFound("record not in a confirmed cluster")
    return cluster_view(session, v, m.cluster_id)
