"""Entity resolution: records that different agencies hold on the same person or vehicle.

1. *Blocking* on the screening index: persons that share a full pair key (two name parts
   together, any script and order) and the year of birth in a block of at most
   :data:`BLOCK_CAP` records, or a full pair key alone in a block of at most
   :data:`SMALL_BLOCK`, or hold documents with the same number; vehicles that share a plate
   or VIN key.
2. *Scoring* of each pair of records of **different agencies** with the same pure functions as
   screening, and *grading* against namesakes with the rule of screening
   (:func:`~shekara.screening.scoring.grade_person`): a pair is stored, with its reasons, when
   it scores at least ``min_score`` **and** its evidence tells it apart from the namesakes.
   The namesakes of a pair are the records of the index that carry its name (its full pair
   keys, counted in the blocking pass; at most ``KEY_CAP + 1``, as a screening query reads
   them) other than the record itself, the larger count of the two records (a pair is linked
   only when each record, screened, would alert on the other). Two records that agree on a
   common name and a year of birth only, among many namesakes born that year, are a possible
   match, not a link; a full date of birth, a document, or a rare name with a year are.
   Pairs that provably cannot be stored (exact bounds of the score and of the grade, from
   their dates of birth, nationalities, documents, namesakes and name rarity: :class:`_Reach`)
   are ruled out before their names are compared.
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

import gc
import json
import threading
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session, aliased

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.db.base import new_id, utcnow
from shekara.errors import NotFound
from shekara.persons.models import Person
from shekara.policy.sharing import Viewer, is_hit_notice, visible
from shekara.records.service import agency_ref, require
from shekara.screening import index, workers
from shekara.screening.models import (
    ClusterMember,
    Judgement,
    KeyKind,
    RecordType,
    ResolutionPair,
    Verdict,
)
from shekara.screening.names import compare_dates, parse_name, parse_partial_date
from shekara.screening.schemas import ClusterMemberOut, ClusterOut, PairOut
from shekara.screening.scoring import (
    DEFAULT_CONFIG,
    Reason,
    Score,
    ScoringConfig,
    grade_person,
    score_birth_date,
    score_nationality,
    score_person,
)
from shekara.screening.scoring import Person as ScoredPerson
from shekara.screening.service import _birth_of, reasons_out
from shekara.vehicles.models import Vehicle

BLOCK_CAP = 50
SMALL_BLOCK = 6
MIN_SCORE = 0.75
#: candidate pairs per scoring task (a worker process scores one task at a time)
SCORE_CHUNK = 4_000
#: from this many candidate pairs on, the scoring is shared with worker processes
PARALLEL_PAIRS = 20_000
#: tasks queued per worker process: enough that a worker never waits while the job builds a
#: task, scores one itself, or stores pairs
_WINDOW = 4
#: rows inserted per statement when pairs are stored
INSERT_BATCH = 10_000
Progress = Callable[[str, int, int], None]
Pair = tuple[uuid.UUID, uuid.UUID]
#: a pair of dense record numbers ``a < b`` as one int: ``a * _STRIDE + b``
_STRIDE = 1 << 32


class _Dense:
    """Dense numbers for record ids as the driver returns them (a pair of numbers packs into
    one int, so millions of pairs stay small). The ids stay as the driver gave them; a UUID
    object is made only for a record that is stored (:meth:`ints`, :func:`_uuid_int`)."""

    def __init__(self) -> None:
        self.number: dict[Any, int] = {}
        self.raw: list[Any] = []

    def __call__(self, raw: Any) -> int:
        n = self.number.get(raw)
        if n is None:
            n = self.number[raw] = len(self.raw)
            self.raw.append(raw)
        return n

    def ints(self) -> list[int]:
        """The 128-bit value of each record's id, by dense number (``UUID(int=...)``)."""
        return [_uuid_int(r) for r in self.raw]


def _uuid_int(raw: Any) -> int:
    """The 128-bit value of a record id as the driver returns it (a UUID; 32 hex digits on
    SQLite), without making a UUID object for the text."""
    if isinstance(raw, uuid.UUID):
        return raw.int
    if isinstance(raw, str) and len(raw) == 32:
        return int(raw, 16)
    return index._as_uuid(raw).int


#: large reads come in batches of this many rows (a server-side cursor on PostgreSQL)
_STREAM_ROWS = 20_000
_BLOCK_SQL = (
    "SELECT key, record_id FROM screening_keys WHERE kind = {} AND key LIKE {} ORDER BY key"
)


def _key_blocks(
    session: Session, kind: str, prefix: str, cap: int, sizes: dict[Any, int] | None = None
) -> Iterator[list[Any]]:
    """Record ids (as stored) of each key of ``kind`` starting with ``prefix`` that 2 to
    ``cap`` records hold: one ordered pass over the covering index, streamed. ``sizes``, when
    given, gets for every record the number of records of its most shared key of the pass
    (whatever the cap), at most ``KEY_CAP + 1``: what a screening query reads of a key."""
    rows = _driver_rows(session, _BLOCK_SQL, (kind, prefix + "%"))
    rid_of, most = itemgetter(1), index.KEY_CAP + 1
    for _, group in groupby(rows, key=itemgetter(0)):  # the rows of one key (C loops)
        block = list(map(rid_of, group))
        if sizes is not None:
            n = min(len(block), most)
            get = sizes.get
            for rid in block:
                if get(rid, 0) < n:
                    sizes[rid] = n
        if 1 < len(block) <= cap:
            yield block


def _add_block(pairs: set[int], dense: _Dense, block: Iterable[Any]) -> None:
    nums = sorted({dense(r) for r in block})
    for i, a in enumerate(nums):
        base = a * _STRIDE
        pairs.update(base + b for b in nums[i + 1 :])


def _blocked_pairs(
    session: Session, kind: str, prefix: str = "", cap: int = BLOCK_CAP
) -> set[Pair]:
    """Pairs of records sharing a key of ``kind`` in a block of at most ``cap`` records."""
    dense, packed = _Dense(), set[int]()
    for block in _key_blocks(session, kind, prefix, cap):
        _add_block(packed, dense, block)
    ids = [index._as_uuid(r) for r in dense.raw]
    out: set[Pair] = set()
    for code in packed:
        x, y = ids[code // _STRIDE], ids[code % _STRIDE]
        out.add((min(x, y), max(x, y)))
    return out


def _document_blocks(session: Session) -> Iterator[list[Any]]:
    """Persons (ids as stored) holding documents with the same number (match key)."""
    blocks = list(_key_blocks(session, KeyKind.doc.value, "", BLOCK_CAP))
    docs = list({d for block in blocks for d in block})
    holder: dict[Any, Any] = {}
    stmt = text("SELECT id, person_id FROM documents WHERE person_id IS NOT NULL AND id IN :ids")
    stmt = stmt.bindparams(bindparam("ids", expanding=True))
    for i in range(0, len(docs), 500):
        holder.update(
            (d, p) for d, p in session.connection().execute(stmt, {"ids": docs[i : i + 500]})
        )
    for block in blocks:
        persons = {holder[d] for d in block if d in holder}
        if len(persons) > 1:
            yield list(persons)


def _nationalities(value: Any, memo: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    if isinstance(value, str):  # JSON text (SQLite); PostgreSQL's driver decodes it
        got = memo.get(value)  # a few distinct values: each decoded once
        if got is None:
            got = memo[value] = tuple(json.loads(value)) if value not in ("[]", "null", "") else ()
        return got
    return tuple(value or ())


def _driver_rows(
    session: Session, sql: str, params: tuple[Any, ...] = ()
) -> Iterator[tuple[Any, ...]]:
    """Rows of a statement straight from the driver's cursor (no result objects, no type
    processing: values as the driver returns them), in batches; a server-side cursor on
    PostgreSQL. ``{}`` in ``sql`` marks the parameters."""
    conn = session.connection()
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cur = raw.cursor(name=f"shekara_resolution_{uuid.uuid4().hex}")
        cur.itersize = _STREAM_ROWS
        sql = sql.format(*(["%s"] * len(params)))
    else:
        cur = raw.cursor()
        sql = sql.format(*(["?"] * len(params)))
    try:
        cur.execute(sql, params)
        while rows := cur.fetchmany(_STREAM_ROWS):
            yield from rows
    finally:
        cur.close()


#: below this share of the persons, profiles are read by id; above it the tables are read
#: whole in one pass (a batch run needs most of them)
_SCAN_SHARE = 0.05
_PROFILE_SQL = (
    "SELECT id, owner_agency_id, birth_year, birth_month, birth_day, nationalities, "
    "display_name FROM persons"
)
_NAMES_SQL = "SELECT person_id, full_name FROM person_names"
_DOCS_SQL = "SELECT person_id, number FROM documents WHERE person_id IS NOT NULL"
#: what scoring compares of a person, as plain values: the fields of
#: :class:`~shekara.screening.scoring.Person` (names, date of birth, nationalities, documents)
#: in their order; ``Person(*facts)`` makes one. Cheaper to build and to send to a worker.
Facts = tuple[tuple[str, ...], str | None, tuple[str, ...], tuple[str, ...]]
#: an owner agency and what scoring compares
Profile = tuple[Any, Facts]


def _profiles_by_raw(session: Session, wanted: set[Any]) -> dict[Any, Profile]:
    """Profiles of the persons ``wanted`` (ids as the driver returns them), read with plain
    statements: by id for a few, the tables whole for many (through the driver's cursor)."""
    conn = session.connection()
    names: Mapping[Any, Sequence[str]] = {}
    by_id: dict[Any, list[str]] = defaultdict(list)
    docs: dict[Any, list[str]] = defaultdict(list)
    people: list[Any] = []
    if len(wanted) > _SCAN_SHARE * index.persons_indexed(session):
        rows = _driver_rows(session, _NAMES_SQL + " ORDER BY person_id, position")
        by_person = groupby(rows, key=itemgetter(0))  # C loops, no list per person
        names = {pid: tuple(map(itemgetter(1), g)) for pid, g in by_person if pid in wanted}
        for pid, number in _driver_rows(session, _DOCS_SQL):
            if pid in wanted:
                docs[pid].append(number)
        people = [r for r in _driver_rows(session, _PROFILE_SQL) if r[0] in wanted]
    else:
        ids = list(wanted)
        by_ids = " WHERE {} IN :ids"
        for i in range(0, len(ids), 500):
            chunk = {"ids": ids[i : i + 500]}
            stmt = text(_NAMES_SQL + by_ids.format("person_id") + " ORDER BY person_id, position")
            for pid, n in conn.execute(stmt.bindparams(bindparam("ids", expanding=True)), chunk):
                by_id[pid].append(n)
            stmt = text(_DOCS_SQL + " AND person_id IN :ids")
            for pid, number in conn.execute(
                stmt.bindparams(bindparam("ids", expanding=True)), chunk
            ):
                docs[pid].append(number)
            stmt = text(_PROFILE_SQL + by_ids.format("id"))
            people += conn.execute(stmt.bindparams(bindparam("ids", expanding=True)), chunk)
        names = by_id
    nationalities: dict[str, tuple[str, ...]] = {}
    births: dict[tuple[Any, Any, Any], str | None] = {}
    out: dict[Any, Profile] = {}
    no_docs: tuple[str, ...] = ()
    for pid, owner, y, m, d, nats, label in people:
        birth = births.get((y, m, d), "")
        if birth == "":
            birth = births[(y, m, d)] = _birth_of(y, m, d)
        got = names.get(pid)
        papers = docs.get(pid)
        out[pid] = (owner, (
            tuple(got) if got else (label,), birth, _nationalities(nats, nationalities),
            tuple(papers) if papers else no_docs,
        ))  # fmt: skip
    return out


def _raw_ids(session: Session, ids: Iterable[uuid.UUID]) -> list[Any]:
    """Record ids in the form the driver returns them (hex text on SQLite)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    return [i.hex if sqlite else i for i in ids]


def _person_profiles(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Profile]:
    """Profiles by record id."""
    got = _profiles_by_raw(session, set(_raw_ids(session, ids)))
    return {index._as_uuid(r): p for r, p in got.items()}


#: a scoring task: pairs of dense numbers (the lower record id first, as pairs are stored;
#: flagged when the pair can alert only if both records carry a patronymic, see
#: :class:`_Reach`), what scoring compares of the records they name, the records carrying
#: each one's name (:func:`_key_blocks`), the threshold, the configuration, and whether the
#: reasons of the pairs that alert come back as JSON text (:class:`_PairWriter`)
Task = tuple[
    list[tuple[int, int, bool]], dict[int, Facts], dict[int, int], float, ScoringConfig, bool
]
#: a scored pair: its two dense numbers, score and reasons (as dicts, or as JSON text)
Scored = tuple[int, int, float, Any]
#: what a task gives back: the pairs that alert, those resting on the name alone (reasons
#: as dicts), and the pairs ruled out for want of patronymics
Result = tuple[list[Scored], list[Scored], int]


def pair_namesakes(carrying_x: int, carrying_y: int) -> int:
    """Namesakes of a pair, from the records of the index carrying each record's name (the
    record included): those other than the record itself, the larger of the two counts, so
    that a pair is linked only when each record, screened, would alert on the other."""
    return max(1, max(carrying_x, carrying_y) - 1)


def grade_pair(
    score: Score,
    namesakes: int,
    min_score: float,
    config: ScoringConfig,
    name_rarity: float | None = None,
) -> Score:
    """:func:`~shekara.screening.scoring.grade_person` at ``min_score``: ``"alert"`` when the
    pair scores at least ``min_score`` and a coincidence with a namesake is unlikely."""
    matched = Score(score.value, score.reasons, score.value >= min_score, score.grade)
    return grade_person(matched, namesakes, config, name_rarity)


class _Reach:
    """Whether a pair can be stored at all, decided before its names are compared (the
    costly part of scoring) from its dates of birth, nationalities, documents and namesakes.
    Exact: a pair ruled out here would not be stored if it were scored, whatever its names.

    - *Score*: a name scores at most 1 (:func:`~shekara.screening.scoring.score_names`), and
      only a full date of birth or a document that agree give back a common name's penalty;
      so without those, a pair scores at most ``1`` plus what its date of birth, nationalities
      and documents add, computed by the scoring functions themselves in the order
      :func:`~shekara.screening.scoring.score_person` adds them (floating-point addition and
      rounding are monotonic: the bound holds to the last bit). Below ``min_score``: out.
      With the defaults at the threshold (0.80), conflicting dates of birth (-0.25) are out.
    - *Grade*: a date of birth that agrees (fully, or on the parts both records have) is the
      best evidence the pair can have without a document; whether even the best pair with
      that evidence alerts is asked of :func:`~shekara.screening.scoring.grade_person` itself:
      names that agree exactly (so the pair's own namesake count applies, not the larger one
      of a loose match), and patronymics that agree when both records have one. If it does
      not alert, the pair is out: e.g. with the defaults, a year of birth alone (1 in 55)
      with more than 5 namesakes (more than 55 when both records carry a patronymic).
    - *Name alone*: a pair whose dates of birth do not agree (one missing, one digit off,
      day and month swapped) rests on its name; it alerts only with few namesakes (and
      patronymics that agree), or when both names are rare (``name_rarity``, read from the
      index as :func:`_grade_rare` reads it, once per record); again asked of
      :func:`~shekara.screening.scoring.grade_person`. E.g. with the defaults, a name one of
      whose parts is too common to count, among more than one namesake, is out.
    - Records that both carry documents are always scored (a shared number is decisive).
    """

    def __init__(self, min_score: float, config: ScoringConfig) -> None:
        self.min_score = min_score
        self.config = config
        self.out: Counter[str] = Counter()
        self._score: dict[tuple[str, tuple[str, ...], tuple[str, ...]], bool] = {}
        self._dob: dict[str, float] = {}
        self._grade: dict[tuple[str, bool, bool, int, float | None], bool] = {}

    def __call__(self, pa: Facts, pb: Facts, da: Any, db: Any, namesakes: int) -> bool | str | None:
        """False: the pair cannot be stored; None: only if both records carry a patronymic
        (checked where the pair is scored: its names are parsed there anyway); True: it may;
        ``"name"``: it rests on the name alone, :meth:`by_name` decides."""
        if pa[3] and pb[3]:  # documents on both sides
            return True
        outcome = compare_dates(da, db).outcome
        if outcome != "exact" and not self._can_score(outcome, pa, pb):
            self.out["score"] += 1
            return False
        if outcome not in ("exact", "compatible"):
            return "name"
        months = da.month is not None and db.month is not None
        return self._decide(outcome, months, namesakes, pa, pb)

    def by_name(
        self, pa: Facts, pb: Facts, namesakes: int, rarity_a: float | None, rarity_b: float | None
    ) -> bool | None:
        """:meth:`__call__` for a pair resting on the name alone, given the rarity of each
        record's name (:func:`_name_rarities`): its grade before (namesakes) or after
        (:func:`_grade_rare`: the larger rarity) the rarity is read."""
        rarity = None if rarity_a is None or rarity_b is None else max(rarity_a, rarity_b)
        return self._decide("missing", False, namesakes, pa, pb, rarity)

    def _decide(
        self, outcome: str, months: bool, namesakes: int, pa: Facts, pb: Facts,
        rarity: float | None = None,
    ) -> bool | None:  # fmt: skip
        for patronymic, verdict in ((False, True), (True, None)):
            if self._can_alert(outcome, months, patronymic, namesakes, pa, pb) or (
                rarity is not None
                and self._can_alert(outcome, months, patronymic, namesakes, pa, pb, rarity)
            ):
                return verdict
        self.out["grade"] += 1
        return False

    def _can_score(self, outcome: str, pa: Facts, pb: Facts) -> bool:
        key = (outcome, pa[2], pb[2])
        got = self._score.get(key)
        if got is None:
            cfg = self.config
            dob = self._dob.get(outcome)
            if dob is None:  # a function of the outcome of compare_dates alone
                dob = self._dob[outcome] = score_birth_date(pa[1], pb[1], cfg).value
            nat = score_nationality(pa[2], pb[2], cfg).value
            best = 1.0  # the name at best; no document on one side: adds nothing
            best += dob - 0.5
            best += nat - 0.5
            got = self._score[key] = round(min(max(best, 0.0), 1.0), 6) >= self.min_score
        return got

    def _can_alert(
        self, outcome: str, months: bool, patronymic: bool, namesakes: int, pa: Facts, pb: Facts,
        rarity: float | None = None,
    ) -> bool:  # fmt: skip
        key = (outcome, months, patronymic, namesakes, rarity)
        got = self._grade.get(key)
        if got is None:
            dob = Reason(f"dob_{outcome}", {"query": pa[1] or "", "candidate": pb[1] or ""})
            reasons = [Reason("surname_exact"), dob]
            if patronymic:
                reasons.append(Reason("patronymic_match"))
            best = Score(1.0, tuple(reasons), True)
            grade = grade_person(best, namesakes, self.config, rarity).grade
            got = self._grade[key] = grade == "alert"
        return got


def _has_patronymic(names: tuple[str, ...]) -> bool:
    return any(parse_name(n).patronymic is not None for n in names)


#: configurations received by this (worker) process, by value: every task of a run then
#: scores with the same object, which the scoring caches find by identity
_CONFIGS: dict[ScoringConfig, ScoringConfig] = {}


def score_task(
    pairs: list[tuple[int, int, bool]],
    facts: dict[int, Facts],
    carrying: dict[int, int],
    min_score: float,
    config: ScoringConfig,
    as_json: bool,
) -> Result:
    """Score and grade pairs (pure: runs in a worker process): the pairs at or above
    ``min_score`` that alert (reasons as JSON text when ``as_json``), those that rest on the
    name alone (no date on one side) and alert only if the name is rare (:func:`_grade_rare`:
    the rarity is read from the index), and how many pairs flagged as needing patronymics
    lacked them (not scored: see :class:`_Reach`)."""
    config = _CONFIGS.setdefault(config, config)
    people = {n: ScoredPerson(*f) for n, f in facts.items()}
    patronymics: dict[int, bool] = {}
    out: list[Scored] = []
    name_only: list[Scored] = []
    lacking = 0
    for x, y, needs_patronymics in pairs:
        if needs_patronymics:
            px, py = patronymics.get(x), patronymics.get(y)
            if px is None:
                px = patronymics[x] = _has_patronymic(facts[x][0])
            if px:
                if py is None:
                    py = patronymics[y] = _has_patronymic(facts[y][0])
            if not (px and py):
                lacking += 1
                continue
        s = score_person(people[x], people[y], config)
        if s.value < min_score:
            continue
        g = grade_pair(s, pair_namesakes(carrying[x], carrying[y]), min_score, config)
        if g.grade == "alert":
            reasons = [r.as_dict() for r in s.reasons]
            out.append((x, y, s.value, json.dumps(reasons) if as_json else reasons))
        elif any(r.code == "namesake_name" for r in g.reasons):
            name_only.append((x, y, s.value, [r.as_dict() for r in s.reasons]))
    return out, name_only, lacking


def _score_apart(
    pairs: list[tuple[int, int, bool]],
    facts: dict[int, Facts],
    carrying: dict[int, int],
    min_score: float,
    config: ScoringConfig,
    as_json: bool,
) -> Result:
    """:func:`score_task` in a worker process, its heap settled first: what the previous
    tasks left alive (the scoring caches, hundreds of thousands of objects) is frozen out of
    the garbage collector's full collections, after a collection of what is not frozen yet
    (the previous task's garbage). Otherwise the collector rescans the growing caches over
    and over."""
    gc.collect()
    gc.freeze()
    return score_task(pairs, facts, carrying, min_score, config, as_json)


def _score_of(value: float, reasons: list[dict[str, Any]]) -> Score:
    return Score(value, tuple(
        Reason(str(r["code"]), {k: v for k, v in r.items() if k != "code"}) for r in reasons
    ))  # fmt: skip


def _name_rarities(session: Session, people: Mapping[int, Facts]) -> dict[int, float | None]:
    """Records expected to carry each person's name by chance, from the frequencies of its
    parts in the index: what a screening query with these names gets (``name_rarity``)."""
    wanted = {
        n: {(KeyKind.name.value, part.key[: index.KEY_LENGTH])
            for name in p[0] for part in parse_name(name).core if len(part.key) >= 2}
        for n, p in people.items()
    }  # fmt: skip
    hits = index.lookup_many(session, {k for keys in wanted.values() for k in keys})
    return {
        n: index._name_rarity(session, people[n][0], {k: hits.get(k, []) for k in keys})
        for n, keys in wanted.items()
    }


def _grade_rare(
    session: Session,
    name_only: list[Scored],
    people: Mapping[int, Facts],
    carrying: Mapping[int, int],
    min_score: float,
    config: ScoringConfig,
    rarity: dict[int, float | None] | None = None,
) -> list[Scored]:
    """Of the pairs that rest on the name alone, those whose name is rare enough to alert
    (the rarer of the two estimates is not trusted: the larger one counts). ``rarity``: the
    rarities already read, by record (completed here)."""
    rarity = {} if rarity is None else rarity
    wanted = {n for x, y, _, _ in name_only for n in (x, y) if n not in rarity}
    rarity.update(_name_rarities(session, {n: people[n] for n in wanted}))
    out: list[Scored] = []
    for x, y, value, reasons in name_only:
        rx, ry = rarity[x], rarity[y]
        r = None if rx is None or ry is None else max(rx, ry)
        if r is None:
            continue
        g = grade_pair(_score_of(value, reasons), pair_namesakes(carrying[x], carrying[y]),
                       min_score, config, r)  # fmt: skip
        if g.grade == "alert":
            out.append((x, y, value, reasons))
    return out


def _carrying(session: Session, people: Mapping[int, Facts]) -> dict[int, int]:
    """Records of the index carrying each person's name (its full pair keys), read as a
    screening query reads them (at most ``KEY_CAP + 1``): for a few records (incremental)."""
    wanted = {
        n: {(kind, k) for kind, k in index.name_keys(p[0])
            if kind == KeyKind.pair.value and k.startswith("=")}
        for n, p in people.items()
    }  # fmt: skip
    hits = index.lookup_many(session, {k for keys in wanted.values() for k in keys})
    return {n: max((len(hits.get(k, ())) for k in keys), default=1) for n, keys in wanted.items()}


def _score_all(
    tasks: Iterator[tuple[int, Task]], total: int, progress: Progress | None, parallel: bool
) -> Iterator[tuple[int, Result]]:
    """Results of the tasks (each with the number of candidate pairs it covered), in any
    order: handed to the worker processes while they have room, scored here while they are
    busy."""
    pool = workers.pool() if parallel else None
    window = _WINDOW * workers.count()
    inflight: deque[tuple[int, Future[Result]]] = deque()
    done = 0
    for covered, task in tasks:
        if pool is not None and len(inflight) < window:
            inflight.append((covered, pool.submit(_score_apart, *task)))
        else:
            yield covered, score_task(*task)
            done += covered
        while inflight and inflight[0][1].done():
            n, fut = inflight.popleft()
            yield n, fut.result()
            done += n
        if progress:
            progress("scoring", done, total)
    for n, fut in inflight:
        yield n, fut.result()
        done += n
        if progress:
            progress("scoring", done, total)


#: whether the batch job rules out, before scoring, the pairs that cannot be stored
#: (:class:`_Reach`; a test turns it off to check that the stored pairs do not change)
_PREFILTER = True


class _PairWriter:
    """New person pairs inserted through the driver, ``INSERT_BATCH`` rows at a time: one
    executemany on SQLite, COPY on PostgreSQL (the ORM's bulk path costs several times more
    per row). Each value is converted as SQLAlchemy binds it for the column (its type's
    bind processor on this dialect); the values common to every row (record type, times)
    once. When the reasons bind as ``json.dumps`` text, :attr:`as_json` lets the workers
    serialise them (in parallel, and JSON text is cheaper to send back than dicts)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        conn = session.connection()
        self.dialect = conn.dialect
        table = ResolutionPair.__table__

        def proc(name: str) -> Callable[[Any], Any]:
            f = table.c[name].type.dialect_impl(self.dialect).bind_processor(self.dialect)
            return f if f is not None else _same

        self.uuid, self.float, self.json = proc("id"), proc("score"), proc("reasons")
        probe = new_id()  # SQLite binds a UUID as its 32 hex digits: written from the int
        self.hex = self.uuid(probe) == format(probe.int, "032x")
        now = utcnow()
        self.common = (proc("record_type")(RecordType.person.value),
                       proc("created_at")(now), proc("updated_at")(now))  # fmt: skip
        sample = [{"code": "surname_translit", "query": "Ерлан", "candidate": "ERLAN"}]
        self.as_json = getattr(self.dialect, "_json_serializer", None) in (
            None, json.dumps
        ) and self.json(sample) == json.dumps(sample)  # fmt: skip
        self.rows: list[tuple[Any, ...]] = []

    def add(self, left: int, right: int, score: float, reasons: Any) -> None:
        """A new pair (its record ids as 128-bit ints); ``reasons`` as dicts, or as JSON text
        when :attr:`as_json`."""
        u = self.uuid
        kind, created, updated = self.common
        if self.hex:
            x, y = format(left, "032x"), format(right, "032x")
        else:
            x, y = u(uuid.UUID(int=left)), u(uuid.UUID(int=right))
        text_ = reasons if isinstance(reasons, str) else self.json(reasons)
        self.rows.append((u(new_id()), kind, x, y, self.float(score), text_, None, created,
                          updated))  # fmt: skip
        if len(self.rows) >= INSERT_BATCH:
            self.flush()

    def flush(self) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        conn = self.session.connection()
        names = ", ".join(_PAIR_COLUMNS)
        if self.dialect.name == "sqlite":
            marks = ", ".join("?" * len(_PAIR_COLUMNS))
            conn.exec_driver_sql(f"INSERT INTO resolution_pairs ({names}) VALUES ({marks})", rows)
            return
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY resolution_pairs ({names}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)


def _same(value: Any) -> Any:
    return value


_PAIR_COLUMNS = ("id", "record_type", "left_id", "right_id", "score", "reasons", "verdict",
                 "created_at", "updated_at")  # fmt: skip


def _score_packed(
    session: Session,
    packed: set[int],
    dense: _Dense,
    *,
    min_score: float,
    config: ScoringConfig,
    progress: Progress | None,
    parallel: bool | None = None,
    sizes: Mapping[Any, int] | None = None,
) -> tuple[int, Counter[str]]:
    """Score packed pairs of dense numbers and store those of different agencies at or above
    ``min_score`` that the grade tells apart from namesakes (scores and reasons refreshed,
    judgements kept); returns pairs stored, and the pairs ruled out unscored by
    :class:`_Reach` (by cause). ``sizes``: records carrying each record's name (raw id ->
    count, from the blocking pass); read from the index when not given."""
    if progress:
        progress("loading", 0, 1)
    number = dense.number
    profiles = {number[r]: p for r, p in _profiles_by_raw(session, set(number)).items()}
    if sizes is None:
        carrying = _carrying(session, {n: p[1] for n, p in profiles.items()})
    else:
        carrying = {n: sizes.get(r, 1) for r, n in number.items()}
    if progress:
        progress("loading", 1, 1)
    rank = dense.ints()  # ints compare faster than UUIDs, and are cheaper to make
    existing = {
        (left, right): pid
        for pid, left, right in session.execute(
            select(ResolutionPair.id, ResolutionPair.left_id, ResolutionPair.right_id).where(
                ResolutionPair.record_type == RecordType.person
            )
        )
    }
    writer = _PairWriter(session)
    as_json = writer.as_json and not existing  # updates go through the ORM, as dicts
    reach = _Reach(min_score, config)
    dates: dict[str | None, Any] = {}
    rarity: dict[int, float | None] = {}
    order = sorted(packed)
    total = len(order)

    def keep(
        chunk: list[tuple[int, int, bool]], facts: dict[int, Facts], a: int, b: int,
        can: bool | str | None,
    ) -> None:  # fmt: skip
        if can is False:
            return
        chunk.append((a, b, can is None) if rank[a] < rank[b] else (b, a, can is None))
        facts[a] = profiles[a][1]
        facts[b] = profiles[b][1]

    def tasks() -> Iterator[tuple[int, Task]]:
        for i in range(0, total, SCORE_CHUNK):
            codes = order[i : i + SCORE_CHUNK]
            chunk: list[tuple[int, int, bool]] = []
            facts: dict[int, Facts] = {}
            by_name: list[tuple[int, int]] = []
            for code in codes:
                a, b = divmod(code, _STRIDE)
                pa, pb = profiles.get(a), profiles.get(b)
                if pa is None or pb is None or pa[0] == pb[0]:
                    continue
                if not _PREFILTER:
                    keep(chunk, facts, a, b, True)
                    continue
                fa, fb = pa[1], pb[1]
                da, db = dates.get(fa[1], 0), dates.get(fb[1], 0)
                if da == 0:
                    da = dates[fa[1]] = parse_partial_date(fa[1])
                if db == 0:
                    db = dates[fb[1]] = parse_partial_date(fb[1])
                can = reach(fa, fb, da, db, pair_namesakes(carrying[a], carrying[b]))
                if can == "name":
                    by_name.append((a, b))
                else:
                    keep(chunk, facts, a, b, can)
            # the rarity of the names, read once per record for the whole run
            wanted = {n for pair in by_name for n in pair if n not in rarity}
            rarity.update(_name_rarities(session, {n: profiles[n][1] for n in wanted}))
            for a, b in by_name:
                fa, fb = profiles[a][1], profiles[b][1]
                namesakes = pair_namesakes(carrying[a], carrying[b])
                keep(chunk, facts, a, b, reach.by_name(fa, fb, namesakes, rarity[a], rarity[b]))
            counts = {n: carrying[n] for n in facts}
            yield len(codes), (chunk, facts, counts, min_score, config, as_json)

    if parallel is None:
        parallel = total >= PARALLEL_PAIRS
    stored = 0
    updates: list[dict[str, Any]] = []
    name_only: list[Scored] = []

    def results() -> Iterator[Scored]:
        for _, (alerts, rest, lacking) in _score_all(tasks(), total, progress, parallel):
            reach.out["grade"] += lacking
            name_only.extend(rest)
            yield from alerts
        people = {n: profiles[n][1] for x, y, _, _ in name_only for n in (x, y)}
        yield from _grade_rare(session, name_only, people, carrying, min_score, config, rarity)

    for a, b, value, reasons in results():
        row_id = (
            existing.get((uuid.UUID(int=rank[a]), uuid.UUID(int=rank[b]))) if existing else None
        )
        if row_id is None:
            writer.add(rank[a], rank[b], value, reasons)
        else:
            updates.append({"id": row_id, "score": value, "reasons": reasons})
        stored += 1
    writer.flush()
    if updates:
        session.execute(update(ResolutionPair), updates)
    session.flush()
    if progress:
        progress("scoring", total, total)
    return stored, reach.out


def score_pairs(
    session: Session,
    pairs: Iterable[Pair],
    *,
    min_score: float = MIN_SCORE,
    config: ScoringConfig = DEFAULT_CONFIG,
    progress: Progress | None = None,
    parallel: bool | None = None,
) -> int:
    """Score person pairs of different agencies and store those at or above ``min_score``
    (scores and reasons refreshed, judgements kept); returns pairs stored. ``parallel``:
    share the scoring with worker processes (default: from :data:`PARALLEL_PAIRS` pairs)."""
    dense, packed = _Dense(), set[int]()
    for x, y in pairs:
        if x != y:
            _add_block(packed, dense, _raw_ids(session, (x, y)))
    stored, _ = _score_packed(
        session, packed, dense, min_score=min_score, config=config, progress=progress,
        parallel=parallel,
    )  # fmt: skip
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
    parallel: bool | None = None,
) -> dict[str, int]:
    """The batch job: block, score, store candidate pairs (persons and vehicles).

    Blocking reads the key index in key order, one pass per kind of key, and keeps the pairs
    as packed numbers (millions of them fit in memory); profiles are read in one pass; the
    scoring is shared with a worker process per extra core (``parallel``: default from
    :data:`PARALLEL_PAIRS` pairs). Progress: ``blocking``, ``loading``, ``scoring``."""
    index.catch_up(session)
    if parallel or (parallel is None and index.persons_indexed(session) >= PARALLEL_PAIRS):
        pool = workers.pool()
        if pool is not None:  # its processes start (most of a second) while blocking runs
            threading.Thread(target=pool.submit, args=(int,), daemon=True).start()
    # full name pairs born the same year; full name pairs alone only in small blocks (records
    # without a date of birth), so that frequent names do not make quadratic blocks
    # the pass over the full pair keys also counts the records carrying each record's name
    # (its namesakes, for the grade)
    with workers.collector_paused():
        dense, packed, sizes = _Dense(), set[int](), dict[Any, int]()
        sources = (  # generators: each runs its statement when its turn comes
            _key_blocks(session, KeyKind.pair_year.value, "=", BLOCK_CAP),
            _key_blocks(session, KeyKind.pair.value, "=", SMALL_BLOCK, sizes),
            _document_blocks(session),
        )
        for step, blocks in enumerate(sources):
            if progress:
                progress("blocking", step, len(sources))
            for block in blocks:
                _add_block(packed, dense, block)
        if progress:
            progress("blocking", len(sources), len(sources))
        persons, ruled_out = _score_packed(
            session, packed, dense, min_score=min_score, config=config, progress=progress,
            parallel=parallel, sizes=sizes,
        )  # fmt: skip
    del sizes
    vehicles = _vehicle_pairs(session)
    return {"candidate_pairs": len(packed), "person_pairs": persons, "vehicle_pairs": vehicles,
            "ruled_out_by_score": ruled_out["score"],
            "ruled_out_by_grade": ruled_out["grade"]}  # fmt: skip


def resolve_records(
    session: Session, person_ids: Iterable[uuid.UUID], *, min_score: float = MIN_SCORE
) -> int:
    """Incremental: pairs for newly arrived or changed persons (screening candidates)."""
    index.catch_up(session)
    pairs: set[Pair] = set()
    profiles = _person_profiles(session, person_ids)
    for pid, (_, (names, birth, _, documents)) in profiles.items():
        year = int(birth[:4]) if birth else None
        for cid in index.person_candidates(session, names, documents, year):
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
