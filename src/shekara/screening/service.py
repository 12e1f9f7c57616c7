"""Screening: is this person, document or vehicle known?

Two measured stages: candidate generation from the key index (:mod:`.index`), then scoring of
the candidates with the pure functions of :mod:`.scoring`. Between them the sharing policy
(:func:`shekara.policy.sharing.visible`, hit/no-hit-only records included) decides which
candidates the viewer may learn about at all; a hit/no-hit-only record of another agency comes
back as a notice (whom to contact), never with its content or score. Every query writes one
audit entry with the query, the returned ids and their owners. Matches on watchlist entries
raise watchlist hits (:mod:`.watchlist`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, String, Uuid, any_, bindparam, cast, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.db.driver import pg_rows
from shekara.errors import ValidationFailed
from shekara.persons.models import Document, Person, PersonName
from shekara.policy.sharing import Viewer, is_hit_notice, visible
from shekara.records.service import agency_ref, require
from shekara.screening import index
from shekara.screening import watchlist as wl
from shekara.screening.identifiers import (
    country_alpha2,
    document_match_key,
    normalize_document_number,
    normalize_plate,
    plate_match_key,
)
from shekara.screening.models import KeyKind, RecordType, ScreeningState
from shekara.screening.mrz import parse_mrz
from shekara.screening.names import PartialDate, compare_dates, name_key, parse_partial_date
from shekara.screening.schemas import Hit, Reason, ScreeningOut
from shekara.screening.scoring import (
    DEFAULT_CONFIG,
    Score,
    ScoringConfig,
    grade_person,
    render_reason,
    score_person,
)
from shekara.screening.scoring import Person as ScoredPerson
from shekara.vehicles.models import Vehicle

LANGS = ("en", "ru", "kk")
#: candidates below this score are not shown at all (the match flag uses the threshold)
REPORT_FLOOR = 0.6
#: candidates fully scored per query, after the cheap pre-ranking
SCORE_LIMIT = 8
#: of which at most this many with a conflicting date of birth
CONFLICT_LIMIT = 2
NOTICE_TEXT = {
    "en": "The owner agency holds information on this record; contact it to learn more.",
    "ru": "Ведомство-владелец располагает сведениями по этой записи; обратитесь к нему.",
    "kk": "Иесі ведомствода осы жазба бойынша мәлімет бар; соған хабарласыңыз.",
}
MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "plate_match": "Plate: same ({plate})",
        "plate_similar": "Plate: {query} ~ {candidate}, O/0 or I/1 confusion",
        "vin_match": "VIN: same ({vin})",
        "country_match": "Country: same ({country})",
        "country_conflict": "Country differs: {query} / {candidate}",
        "holder": "Holder: {name}",
    },
    "ru": {
        "plate_match": "Госномер совпадает ({plate})",
        "plate_similar": "Госномер: {query} ~ {candidate}, путаница O/0 или I/1",
        "vin_match": "VIN совпадает ({vin})",
        "country_match": "Страна совпадает ({country})",
        "country_conflict": "Страна различается: {query} / {candidate}",
        "holder": "Владелец документа: {name}",
    },
    "kk": {
        "plate_match": "Мемлекеттік нөмірі бірдей ({plate})",
        "plate_similar": "Мемлекеттік нөмірі: {query} ~ {candidate}, O/0 немесе I/1 шатасуы",
        "vin_match": "VIN бірдей ({vin})",
        "country_match": "Елі бірдей ({country})",
        "country_conflict": "Елі әртүрлі: {query} / {candidate}",
        "holder": "Құжат иесі: {name}",
    },
}


def pick_lang(lang: str | None, accept_language: str | None = None) -> str:
    """``lang`` if given, else the first of en/ru/kk in an Accept-Language header, else en."""
    if lang and lang[:2].lower() in LANGS:
        return lang[:2].lower()
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in LANGS:
            return code
    return "en"


def render(code: str, params: Mapping[str, Any], lang: str) -> str:
    template = MESSAGES.get(lang, MESSAGES["en"]).get(code)
    if template is None:
        return render_reason(code, params, lang)
    return template.format_map(defaultdict(str, params))


def reasons_out(codes: Sequence[Any], lang: str) -> list[Reason]:
    """``scoring.Reason`` objects or (code, params) pairs, rendered in ``lang``."""
    out = []
    for r in codes:
        code, params = (r.code, dict(r.params)) if hasattr(r, "code") else r
        out.append(Reason(code=code, text=render(code, params, lang), params=params))
    return out


# --------------------------------------------------------------------------------------------
# Configuration (administrator-tunable)
# --------------------------------------------------------------------------------------------

_CONFIG_CACHE: dict[str, tuple[float, ScoringConfig]] = {}


def get_config(session: Session) -> ScoringConfig:
    """The deployment's scoring configuration (defaults plus stored overrides; cached 10 s)."""
    now = time.monotonic()
    hit = _CONFIG_CACHE.get("cfg")
    if hit is not None and now - hit[0] < 10:
        return hit[1]
    row = session.get(ScreeningState, "scoring_config")
    cfg = DEFAULT_CONFIG
    if row is not None and row.value:
        cfg = replace(DEFAULT_CONFIG, **json.loads(row.value))
    _CONFIG_CACHE["cfg"] = (now, cfg)
    return cfg


def set_config(
    session: Session, viewer: Viewer | None, values: Mapping[str, float]
) -> ScoringConfig:
    """Store overrides of the threshold and weights (administrators); audited."""
    require(viewer, Perm.admin)
    known = {f.name for f in fields(ScoringConfig)}
    bad = [k for k in values if k not in known]
    errors = [{"field": k, "message": "unknown setting"} for k in bad]
    errors += [
        {"field": k, "message": "must be between 0 and 1"}
        for k, v in values.items()
        if k in known and not 0.0 <= float(v) <= 1.0
    ]
    if errors:
        raise ValidationFailed(errors)
    row = session.get(ScreeningState, "scoring_config")
    before = json.loads(row.value) if row is not None and row.value else {}
    after = {**before, **{k: float(v) for k, v in values.items()}}
    session.merge(ScreeningState(name="scoring_config", value=json.dumps(after, sort_keys=True)))
    audit.record(session, viewer, "update", "screening_config", before=before, after=after)
    _CONFIG_CACHE.clear()
    return replace(DEFAULT_CONFIG, **after)


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------


@dataclass
class PersonInput:
    names: list[str]
    birth_date: str | None = None
    nationalities: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    mrz_errors: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        names: Sequence[str] = (),
        birth_date: str | None = None,
        nationalities: Sequence[str] = (),
        documents: Sequence[str] = (),
        mrz: str | None = None,
    ) -> PersonInput:
        q = cls(
            [n.strip() for n in names if n and n.strip()],
            (birth_date or "").strip() or None,
            [n.strip() for n in nationalities if n and n.strip()],
            [d.strip() for d in documents if d and d.strip()],
        )
        if mrz and mrz.strip():
            m = parse_mrz(mrz)
            if m.format == "unknown":
                raise ValidationFailed([{"field": "mrz", "message": "not a machine-readable zone"}])
            if m.full_name:
                q.names.append(m.full_name)
            q.birth_date = q.birth_date or m.birth_date
            if m.nationality:
                q.nationalities.append(m.nationality)
            if m.document_number:
                q.documents.append(m.document_number)
            q.mrz_errors = [e.as_dict() for e in m.errors]
        if not q.names and not q.documents:
            raise ValidationFailed(
                [{"field": "names", "message": "give a name, a document or MRZ"}]
            )
        return q

    def identity(self) -> str:
        """Order-free identity of what was screened (keys the rejected pairs)."""
        names = sorted({name_key(n) for n in self.names})
        docs = sorted({document_match_key(d) for d in self.documents})
        return f"p:{'/'.join(names)}|{self.birth_date or ''}|{'/'.join(docs)}"[:300]

    def as_dict(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "birth_date": self.birth_date,
            "nationalities": self.nationalities,
            "documents": self.documents,
        }

    def scored(self) -> ScoredPerson:
        return ScoredPerson(
            tuple(self.names), self.birth_date, tuple(self.nationalities), tuple(self.documents)
        )


def _birth_of(year: int | None, month: int | None, day: int | None) -> str | None:
    if year is None:
        return None
    out = f"{year:04d}"
    if month:
        out += f"-{month:02d}"
        if day:
            out += f"-{day:02d}"
    return out


def _birth(p: Person) -> str | None:
    return _birth_of(p.birth_year, p.birth_month, p.birth_day)


@dataclass
class Timer:
    ms: dict[str, float] = field(default_factory=dict)
    _t: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.ms[stage] = round(self.ms.get(stage, 0.0) + (now - self._t) * 1000, 3)
        self._t = now


#: queued changes folded in by one query at most (a bulk import is left to ``shekara screen
#: catchup`` or ``reindex``, and to the following queries)
CATCH_UP_PER_QUERY = 500


def ensure_current(session: Session) -> int:
    """Fold queued record changes into the index (cheap when there are none)."""
    if not index.pending(session):
        return 0
    return index.catch_up(session, batch=CATCH_UP_PER_QUERY, max_batches=1)


def _notice(session: Session, rtype: str, obj: Any, lang: str) -> Hit:
    return Hit(
        type=rtype,
        id=obj.id,
        owner_agency=agency_ref(session, obj.owner_agency_id),
        notice=True,
        message=NOTICE_TEXT[lang],
    )


@lru_cache(maxsize=1 << 16)
def _dob_bonus(q: PartialDate | None, y: int | None, m: int | None, d: int | None) -> float:
    """Cheap pre-ranking evidence from the date of birth (before full scoring)."""
    if q is None or y is None:
        return 0.0
    outcome = compare_dates(q, PartialDate(y, m, d)).outcome
    return {"exact": 6.0, "compatible": 3.0, "conflict": -3.0}.get(outcome, 0.0)


def _person_rows(
    session: Session, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, _Candidate]:
    """The candidates the viewer may know of, with their names: one statement (persons joined
    to their names, filtered by the sharing policy)."""
    out: dict[uuid.UUID, _Candidate] = {}
    policy = visible(viewer, Person, include_hit_only=True)
    conn = session.connection()
    rows: Any
    if conn.dialect.name == "postgresql":
        # the driver, one constant text per audience (ids as an array): prepared once per
        # connection, no SQLAlchemy work per query
        rows = pg_rows(conn, _pg_rows_statement(policy), {"ids": list(ids)})
    else:
        # Core execution on the session's connection: the ORM adds nothing for plain columns
        rows = conn.execute(_rows_statement(policy), {"ids": list(ids)})
    for pid, label, y, m, d, nats, hit_only, owner, full_name in rows:
        c = out.get(pid)
        if c is None:
            # the JSON text is decoded only when it holds something (most records: "[]")
            countries = tuple(json.loads(nats)) if nats and nats not in ("[]", "null") else ()
            c = out[pid] = _Candidate(pid, label, y, m, d, countries, hit_only, owner)
        if full_name:
            c.names.append(full_name)
    return out


_ROW_COLUMNS = (
    Person.id, Person.display_name, Person.birth_year, Person.birth_month, Person.birth_day,
    cast(Person.nationalities, String), Person.hit_only, Person.owner_agency_id,
    PersonName.full_name,
)  # fmt: skip


@lru_cache(maxsize=256)
def _rows_statement(policy: ColumnElement[bool]) -> Any:
    """The load statement for one audience (``visible`` returns one expression object per
    audience): built once and reused, so that SQLAlchemy finds its compiled form at once."""
    return (
        select(*_ROW_COLUMNS)
        .outerjoin(PersonName, PersonName.person_id == Person.id)
        .where(Person.id.in_(bindparam("ids", expanding=True)), policy)
        .order_by(Person.id, PersonName.position)
    )


@lru_cache(maxsize=256)
def _pg_rows_statement(policy: ColumnElement[bool]) -> Any:
    """:func:`_rows_statement` as PostgreSQL's driver takes it (:func:`pg_rows`): the ids as
    one ``uuid[]`` parameter, so that the text is the same for any number of ids."""
    return (
        select(*_ROW_COLUMNS)
        .outerjoin(PersonName, PersonName.person_id == Person.id)
        .where(Person.id == any_(bindparam("ids", type_=ARRAY(Uuid()))), policy)
        .order_by(Person.id, PersonName.position)
    )


@dataclass
class _Candidate:
    """What scoring needs of a candidate person (and what a hit shows)."""

    id: uuid.UUID
    display_name: str
    birth_year: int | None
    birth_month: int | None
    birth_day: int | None
    nationalities: tuple[str, ...]
    hit_only: bool
    owner_agency_id: uuid.UUID
    names: list[str] = field(default_factory=list)

    def birth(self) -> str | None:
        return _birth_of(self.birth_year, self.birth_month, self.birth_day)


def person_hits(
    session: Session,
    viewer: Viewer,
    q: PersonInput,
    *,
    lang: str = "en",
    limit: int = 10,
    config: ScoringConfig | None = None,
    timer: Timer | None = None,
) -> tuple[list[Hit], int]:
    """Ranked person hits (no audit, no watchlist alerts).

    Stage 1 (:mod:`.index`): up to ``CANDIDATE_LIMIT`` candidates by shared keys, and how many
    records carry the query's name. The policy drops what the viewer may not know of. A cheap
    pre-ranking (shared keys plus the date of birth) keeps :data:`SCORE_LIMIT` of them; stage
    2 scores those with the pure functions and grades each match: an alert only when a
    coincidence with a namesake is unlikely (:func:`~shekara.screening.scoring.grade_person`).
    """
    cfg = config or get_config(session)
    t = timer or Timer()
    dob = parse_partial_date(q.birth_date)
    st = index.person_candidate_stats(session, q.names, q.documents, dob.year if dob else None)
    t.lap("candidates")
    if not st.weights:
        return [], 0
    found = _person_rows(session, viewer, list(st.weights))
    return _score_candidates(session, viewer, q, st, found, cfg, lang, limit, t)


@dataclass
class _Prepared:
    """One query after stage 1, the policy and the pre-ranking: what stage 2 scores."""

    q: PersonInput
    st: index.CandidateStats
    admitted: int
    rows: list[_Candidate]
    evidence: dict[uuid.UUID, float]
    candidates: list[ScoredPerson]


def _prepare(
    session: Session,
    viewer: Viewer,
    q: PersonInput,
    st: index.CandidateStats,
    found: Mapping[uuid.UUID, _Candidate],
) -> _Prepared:
    dob = parse_partial_date(q.birth_date)
    weights = st.weights
    # what the viewer may know of: the count returned is this one, never stage 1's (an invisible
    # record must not show, not even in a count)
    admitted = len(found)
    rows = list(found.values())
    evidence = {r.id: _dob_bonus(dob, r.birth_year, r.birth_month, r.birth_day) for r in rows}
    rows.sort(key=lambda r: (-(weights[r.id] + evidence[r.id]), r.id))
    # a candidate whose date of birth conflicts cannot alert: score a few of them (the officer
    # sees a namesake born on another day), not more
    conflicting = [r for r in rows if evidence[r.id] < 0][:CONFLICT_LIMIT]
    rows = [r for r in rows if evidence[r.id] >= 0][:SCORE_LIMIT]
    rows += conflicting[: max(0, SCORE_LIMIT - len(rows))]
    docs: dict[uuid.UUID, list[str]] = defaultdict(list)
    if q.documents and rows:
        for holder, number in session.execute(
            select(Document.person_id, Document.number).where(
                Document.person_id.in_([r.id for r in rows]), visible(viewer, Document)
            )
        ):
            if holder is not None:
                docs[holder].append(number)
    candidates = [
        ScoredPerson(
            tuple(p.names) or (p.display_name,),
            p.birth(),
            p.nationalities,
            tuple(docs.get(p.id, ())),
        )
        for p in rows
    ]
    return _Prepared(q, st, admitted, rows, evidence, candidates)


def score_job(
    query: ScoredPerson,
    candidates: Sequence[ScoredPerson],
    namesakes: int,
    name_rarity: float | None,
    cfg: ScoringConfig,
) -> list[Score]:
    """Stage 2 for one query: score and grade each candidate (pure)."""
    return [
        grade_person(score_person(query, c, cfg), namesakes, cfg, name_rarity) for c in candidates
    ]


def _hits(
    session: Session,
    viewer: Viewer,
    prep: _Prepared,
    scores: Sequence[Score],
    lang: str,
    limit: int,
) -> list[Hit]:
    hits: list[Hit] = []
    for p, s in zip(prep.rows, scores, strict=True):
        if is_hit_notice(viewer, p):
            if s.match:
                hits.append(_notice(session, RecordType.person, p, lang))
            continue
        if s.value < REPORT_FLOOR:
            continue
        hits.append(
            Hit(
                type=RecordType.person,
                id=p.id,
                owner_agency=agency_ref(session, p.owner_agency_id),
                score=s.value,
                match=bool(s.match),
                grade=s.grade,
                label=p.display_name,
                birth_date=p.birth(),
                nationalities=list(p.nationalities),
                reasons=reasons_out(s.reasons, lang),
            )
        )
    # alerts first; equal scores (clamped at 1): the record whose date of birth confirms first
    ev = prep.evidence
    hits.sort(
        key=lambda h: (h.notice, not h.match, -(h.score or 0.0), -ev.get(h.id, 0.0), str(h.id))
    )
    return hits[:limit]


def _score_candidates(
    session: Session,
    viewer: Viewer,
    q: PersonInput,
    st: index.CandidateStats,
    found: Mapping[uuid.UUID, _Candidate],
    cfg: ScoringConfig,
    lang: str,
    limit: int,
    t: Timer,
) -> tuple[list[Hit], int]:
    prep = _prepare(session, viewer, q, st, found)
    t.lap("load")
    scores = score_job(q.scored(), prep.candidates, st.namesakes, st.name_rarity, cfg)
    hits = _hits(session, viewer, prep, scores, lang, limit)
    t.lap("scoring")
    return hits, prep.admitted


#: scores the jobs ``(query, candidates, namesakes, name_rarity, cfg)`` of many queries
ScoreMany = Callable[
    [list[tuple[ScoredPerson, list[ScoredPerson], int, float | None, ScoringConfig]]],
    list[list[Score]],
]


def _score_here(
    jobs: list[tuple[ScoredPerson, list[ScoredPerson], int, float | None, ScoringConfig]],
) -> list[list[Score]]:
    return [score_job(*job) for job in jobs]


#: candidate ids per statement when the candidates of many queries are loaded together (with
#: thousands of ids PostgreSQL turns to scanning person_names whole: 16x slower per id)
LOAD_BATCH = 400


def person_hits_many(
    session: Session,
    viewer: Viewer,
    queries: Sequence[PersonInput],
    *,
    lang: str = "en",
    limit: int = 10,
    config: ScoringConfig | None = None,
    score_many: ScoreMany | None = None,
) -> list[tuple[list[Hit], int]]:
    """:func:`person_hits` for many queries (a manifest) with the database work batched: the
    keys of all queries read together, each key once; the candidates of all queries loaded
    (through the policy) together; ``score_many`` scores the candidates (in this process by
    default). Same answers as one query at a time."""
    cfg = config or get_config(session)
    batch = prepare_many(session, viewer, queries, cfg)
    scores = (score_many or _score_here)(batch.jobs)
    return finish_many(session, viewer, batch, scores, lang=lang, limit=limit)


@dataclass
class PreparedBatch:
    """Many queries after stage 1 and the policy: ``jobs`` is what stage 2 must score (pure,
    may run elsewhere); :func:`finish_many` turns the scores into hits."""

    preps: list[_Prepared]
    jobs: list[tuple[ScoredPerson, list[ScoredPerson], int, float | None, ScoringConfig]]


def prepare_many(
    session: Session, viewer: Viewer, queries: Sequence[PersonInput], cfg: ScoringConfig
) -> PreparedBatch:
    """The database part of :func:`person_hits_many`."""
    dobs = [parse_partial_date(q.birth_date) for q in queries]
    keys = [
        index.person_query_keys(q.names, q.documents, d.year if d else None)
        for q, d in zip(queries, dobs, strict=True)
    ]
    hits = index.lookup_many(session, (k for ks in keys for k in ks))
    stats = [
        index.stats_from_hits(session, q.names, ks, hits)
        for q, ks in zip(queries, keys, strict=True)
    ]
    ids = sorted({pid for st in stats for pid in st.weights}, key=str)
    found: dict[uuid.UUID, _Candidate] = {}
    for i in range(0, len(ids), LOAD_BATCH):
        found.update(_person_rows(session, viewer, ids[i : i + LOAD_BATCH]))
    preps = [
        _prepare(session, viewer, q, st, {pid: found[pid] for pid in st.weights if pid in found})
        for q, st in zip(queries, stats, strict=True)
    ]
    jobs = [
        (p.q.scored(), p.candidates, p.st.namesakes, p.st.name_rarity, cfg)
        for p in preps
        if p.candidates
    ]
    return PreparedBatch(preps, jobs)


def finish_many(
    session: Session,
    viewer: Viewer,
    batch: PreparedBatch,
    scores: Sequence[Sequence[Score]],
    *,
    lang: str = "en",
    limit: int = 10,
) -> list[tuple[list[Hit], int]]:
    """Hits of a :class:`PreparedBatch` from the scores of its jobs (in order)."""
    scored = iter(scores)
    out: list[tuple[list[Hit], int]] = []
    for p in batch.preps:
        got = next(scored) if p.candidates else []
        out.append((_hits(session, viewer, p, got, lang, limit), p.admitted))
    return out


def document_hits(
    session: Session,
    viewer: Viewer,
    number: str,
    country: str | None = None,
    *,
    lang: str = "en",
    limit: int = 10,
) -> list[Hit]:
    """Documents with the same number (ignoring spaces, look-alike letters, O/0 and I/1)."""
    cands = index.record_candidates(session, sorted(index.document_keys(number)))
    if not cands:
        return []
    docs = (
        session.execute(
            select(Document).where(
                Document.id.in_(cands), visible(viewer, Document, include_hit_only=True)
            )
        )
        .scalars()
        .all()
    )
    qn, qc = normalize_document_number(number), country_alpha2(country)
    hits = []
    for d in docs:
        if is_hit_notice(viewer, d):
            hits.append(_notice(session, RecordType.document, d, lang))
            continue
        dn = normalize_document_number(d.number)
        reasons: list[tuple[str, dict[str, Any]]]
        if dn == qn:
            score, reasons = 1.0, [("document_match", {"number": dn})]
        else:
            score, reasons = 0.9, [("document_similar", {"query": qn, "candidate": dn})]
        if qc and d.issuing_country:
            if qc == d.issuing_country:
                reasons.append(("country_match", {"country": qc}))
            else:
                score -= 0.2
                reasons.append(("country_conflict", {"query": qc, "candidate": d.issuing_country}))
        label = f"{d.kind.value} {d.number}"
        if d.person_id is not None:
            holder = session.execute(
                select(Person.display_name).where(Person.id == d.person_id, visible(viewer, Person))
            ).scalar_one_or_none()
            if holder:
                reasons.append(("holder", {"name": holder}))
        hits.append(
            Hit(
                type=RecordType.document,
                id=d.id,
                owner_agency=agency_ref(session, d.owner_agency_id),
                score=round(score, 6),
                match=score >= 0.8,
                label=label,
                reasons=reasons_out(reasons, lang),
            )
        )
    hits.sort(key=lambda h: (h.notice, -(h.score or 0.0), str(h.id)))
    return hits[:limit]


def vehicle_hits(
    session: Session,
    viewer: Viewer,
    plate: str,
    vin: str = "",
    country: str | None = None,
    *,
    lang: str = "en",
    limit: int = 10,
) -> list[Hit]:
    """Vehicles with the same plate (look-alike letters folded) or VIN."""
    keys = sorted(index.vehicle_keys(plate, vin))
    cands = index.record_candidates(session, keys)
    if not cands:
        return []
    rows = (
        session.execute(
            select(Vehicle).where(
                Vehicle.id.in_(cands), visible(viewer, Vehicle, include_hit_only=True)
            )
        )
        .scalars()
        .all()
    )
    qp, qk, qc = normalize_plate(plate) if plate else "", plate_match_key(plate), None
    qc = country_alpha2(country)
    qv = "".join(vin.split()).upper()
    hits = []
    for v in rows:
        if is_hit_notice(viewer, v):
            hits.append(_notice(session, RecordType.vehicle, v, lang))
            continue
        reasons: list[tuple[str, dict[str, Any]]] = []
        score = 0.0
        if qv and v.vin and v.vin.upper() == qv:
            score, reasons = 1.0, [("vin_match", {"vin": qv})]
        if plate and normalize_plate(v.plate) == qp:
            score = max(score, 1.0)
            reasons.append(("plate_match", {"plate": qp}))
        elif plate and plate_match_key(v.plate) == qk:
            score = max(score, 0.9)
            reasons.append(("plate_similar", {"query": qp, "candidate": normalize_plate(v.plate)}))
        if qc and v.country:
            if qc == v.country:
                reasons.append(("country_match", {"country": qc}))
            else:
                score -= 0.2
                reasons.append(("country_conflict", {"query": qc, "candidate": v.country}))
        if score <= 0:
            continue
        hits.append(
            Hit(
                type=RecordType.vehicle,
                id=v.id,
                owner_agency=agency_ref(session, v.owner_agency_id),
                score=round(score, 6),
                match=score >= 0.8,
                label=" ".join(x for x in (v.plate, v.make, v.model) if x),
                reasons=reasons_out(reasons, lang),
            )
        )
    hits.sort(key=lambda h: (h.notice, -(h.score or 0.0), str(h.id)))
    return hits[:limit]


def _audit(
    session: Session, viewer: Viewer, resource: str, query: dict[str, Any], hits: Sequence[Hit]
) -> None:
    audit.record(
        session,
        viewer,
        "screen",
        resource,
        query=query,
        result_ids=[h.id for h in hits],
        owners=[h.owner_agency.id for h in hits],
    )


def screen_person(
    session: Session,
    viewer: Viewer | None,
    q: PersonInput,
    *,
    lang: str = "en",
    limit: int = 10,
) -> ScreeningOut:
    """Screen one person; audited; matches on watchlist entries raise hits."""
    v = require(viewer, Perm.read)
    t = Timer()
    ensure_current(session)
    t.lap("catch_up")
    hits, n = person_hits(session, v, q, lang=lang, limit=limit, timer=t)
    if q.documents:
        seen = {h.id for h in hits}
        for d in q.documents:
            hits.extend(
                h for h in document_hits(session, v, d, lang=lang, limit=limit) if h.id not in seen
            )
    wl.attach_alerts(session, v, hits, q.identity(), q.as_dict())
    t.lap("watchlist")
    _audit(session, v, "person", q.as_dict(), hits)
    t.lap("audit")
    return ScreeningOut(
        hits=hits, candidates=n, timings_ms=t.ms, lang=lang, mrz_errors=q.mrz_errors
    )


def screen_document(
    session: Session,
    viewer: Viewer | None,
    number: str,
    country: str | None = None,
    *,
    lang: str = "en",
    limit: int = 10,
) -> ScreeningOut:
    v = require(viewer, Perm.read)
    t = Timer()
    ensure_current(session)
    t.lap("catch_up")
    hits = document_hits(session, v, number, country, lang=lang, limit=limit)
    t.lap("candidates_scoring")
    identity = f"d:{document_match_key(number)}"
    query = {"number": number, "country": country}
    wl.attach_alerts(session, v, hits, identity, query)
    _audit(session, v, "document", query, hits)
    t.lap("audit")
    return ScreeningOut(hits=hits, candidates=len(hits), timings_ms=t.ms, lang=lang)


def screen_vehicle(
    session: Session,
    viewer: Viewer | None,
    plate: str,
    vin: str = "",
    country: str | None = None,
    *,
    lang: str = "en",
    limit: int = 10,
) -> ScreeningOut:
    v = require(viewer, Perm.read)
    if not plate.strip() and not vin.strip():
        raise ValidationFailed([{"field": "plate", "message": "give a plate or a VIN"}])
    t = Timer()
    ensure_current(session)
    t.lap("catch_up")
    hits = vehicle_hits(session, v, plate, vin, country, lang=lang, limit=limit)
    t.lap("candidates_scoring")
    identity = f"v:{plate_match_key(plate) if plate else ''}|{vin.upper()}"
    query = {"plate": plate, "vin": vin, "country": country}
    wl.attach_alerts(session, v, hits, identity, query)
    _audit(session, v, "vehicle", query, hits)
    t.lap("audit")
    return ScreeningOut(hits=hits, candidates=len(hits), timings_ms=t.ms, lang=lang)


__all__ = [
    "KeyKind",
    "PersonInput",
    "get_config",
    "pick_lang",
    "screen_document",
    "screen_person",
    "screen_vehicle",
    "set_config",
]
