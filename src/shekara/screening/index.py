"""The screening key index in the database: what is indexed, how it stays current, and
candidate generation (stage 1 of screening; scoring is stage 2, in :mod:`.service`).

Keys of a person (``record_type = person``), from every name it carries, in any script:

- ``name``: each name part's skeleton and the skeletons of its standard renderings, the surname
  stem and its gender-neutral form (:func:`shekara.screening.names.index_keys`);
- ``pair``: two parts of the same name together, order-free: ``=a|b`` for every pair of
  part skeletons (variants included), ``^abc|xyz`` for their first three letters and
  ``$abc|xyz`` for their last three. A swapped order meets the same pair; a typo in one part
  still meets the prefix or the suffix pair (a single typo cannot touch both ends of a word of
  six letters or more); ``!surname|i`` pairs one part whole with the other's initial (a
  typo in a short given name). Pairs keep common names (Ахметов Ерлан) from flooding the
  candidates. A Kazakh surname formed like a patronymic (Токтарулы Арман) counts as a part.
- ``pairy``: every pair key plus ``@`` and the year of birth, for persons whose year is known:
  among the thousands of Ахметов Нұрлан of a national index, the one born in 1985; for persons
  whose year is not known, every pair key plus ``@-`` (a query with a year reads them too: a
  typo in a common name still meets the record among its namesakes).

Documents are indexed by :func:`document_match_key` (``doc``), vehicles by
:func:`plate_match_key` (``plate``) and VIN (``vin``).

Candidate generation reads at most :data:`KEY_CAP` rows per key (one SQL statement for all keys
of a query): a key shared by more records than that is too common to discriminate and is
skipped; the records that share the most (weighted) keys with the query are kept, at most
``limit`` of them.

The index stays current three ways: the service calls :func:`reindex` for what it writes;
database triggers queue every other change in ``screening_dirty`` and :func:`catch_up` folds the
queue in before a query is answered; :func:`rebuild` recomputes everything (``shekara screen
reindex``).
"""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from shekara.db.base import utcnow
from shekara.persons.models import Document, Person, PersonName
from shekara.screening.identifiers import document_match_key, plate_match_key
from shekara.screening.models import (
    KeyKind,
    RecordType,
    ScreeningDirty,
    ScreeningKey,
    ScreeningState,
)
from shekara.screening.names import common_name_frequency, index_keys, parse_name
from shekara.screening.translit import skeleton_keys
from shekara.vehicles.models import Vehicle

#: rows read per key at most; a key shared by more records is skipped as too common
KEY_CAP = 300
#: the same for the prefix, suffix and initial pair keys (typo keys, less selective)
FUZZY_PAIR_CAP = 100
#: the same for single name parts
SINGLE_CAP = 30
#: candidates kept per query (scored in stage 2)
CANDIDATE_LIMIT = 30
KEY_LENGTH = 80
#: weight of each kind of shared key when ranking candidates
WEIGHTS = {
    "=": 4.0,
    "^": 1.0,
    "$": 1.0,
    "!": 1.0,
    KeyKind.name.value: 1.0,
    KeyKind.doc.value: 8.0,
}
#: weight of the first rows of a full pair key that is too common (better than nothing)
OVERFLOW_WEIGHT = 0.1

Progress = Callable[[str, int, int], None]
Key = tuple[str, str]  # (kind, key)


# --------------------------------------------------------------------------------------------
# Keys (pure)
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def pair_keys(full_name: str) -> frozenset[str]:
    """Order-free keys of two parts of one name (see the module docstring)."""
    parsed = parse_name(full_name)
    parts = [p for p in parsed.core if len(p.key) >= 2]
    if len(parts) == 1 and parsed.patronymic is not None and len(parsed.patronymic.key) >= 2:
        # Токтарулы Арман: a Kazakh surname formed like a patronymic (Decree 2923) is the only
        # other part; index the pair rather than a lone given name
        parts.append(parsed.patronymic)
    out: set[str] = set()
    forms = [(p.key, {p.key} | {k for k in skeleton_keys(p.text) if " " not in k}) for p in parts]
    for (ka, va), (kb, vb) in combinations(forms, 2):
        for x in va:
            for y in vb:
                out.add("=" + "|".join(sorted((x, y))))
        out.add("^" + "|".join(sorted((ka[:3], kb[:3]))))
        out.add("$" + "|".join(sorted((ka[-3:], kb[-3:]))))
        # one part whole, the other by its initial: a short name with a typo (ИНОР for ИГОРЬ)
        out.add(f"!{ka}|{kb[0]}")
        out.add(f"!{kb}|{ka[0]}")
    return frozenset(k[:KEY_LENGTH] for k in out)


def name_keys(names: Iterable[str], birth_year: int | None = None) -> set[Key]:
    """Every (kind, key) of a person with these names (and year of birth, if known)."""
    keys: set[Key] = set()
    for n in names:
        if not n or not n.strip():
            continue
        keys.update((_NAME, k[:KEY_LENGTH]) for k in index_keys(n))
        pairs = pair_keys(n)
        keys.update((_PAIR, k) for k in pairs)
        if birth_year:
            year = f"@{birth_year}"
            keys.update((_PAIR_YEAR, k[: KEY_LENGTH - 5] + year) for k in pairs)
        else:
            # year unknown: compatible with any year (a query looks these up as well), the
            # typo keys too: a typo in a common name meets this record among its namesakes
            keys.update((_PAIR_YEAR, k[: KEY_LENGTH - 5] + NO_YEAR) for k in pairs)
    return keys


#: the year part of a ``pairy`` key for a person whose year of birth is not known
NO_YEAR = "@-"


_NAME, _PAIR, _PAIR_YEAR = KeyKind.name.value, KeyKind.pair.value, KeyKind.pair_year.value
_DOC = KeyKind.doc.value


def document_keys(number: str) -> set[Key]:
    k = document_match_key(number) if number else ""
    return {(KeyKind.doc.value, k[:KEY_LENGTH])} if k else set()


def vehicle_keys(plate: str, vin: str = "") -> set[Key]:
    keys: set[Key] = set()
    pk = plate_match_key(plate) if plate else ""
    if pk:
        keys.add((KeyKind.plate.value, pk[:KEY_LENGTH]))
    v = "".join(vin.split()).upper()
    if v:
        keys.add((KeyKind.vin.value, v[:KEY_LENGTH]))
    return keys


# --------------------------------------------------------------------------------------------
# Keeping the index current
# --------------------------------------------------------------------------------------------


Row = tuple[str, str, str, uuid.UUID]


def _rows(record_type: str, record_id: uuid.UUID, keys: Iterable[Key]) -> list[Row]:
    return [(kind, key, record_type, record_id) for kind, key in sorted(keys)]


def _insert(session: Session, rows: list[Row]) -> None:
    """Bulk insert through the driver: COPY on PostgreSQL, executemany on SQLite (the ORM's
    bulk path costs 10x more)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "sqlite":  # Uuid is stored as 32 hex digits there
        sql = "INSERT INTO screening_keys (kind, key, record_type, record_id) VALUES (?, ?, ?, ?)"
        conn.exec_driver_sql(sql, [(a, b, c, d.hex) for a, b, c, d in rows])
        return
    raw = conn.connection.driver_connection
    copy_sql = "COPY screening_keys (kind, key, record_type, record_id) FROM STDIN"
    with raw.cursor() as cur, cur.copy(copy_sql) as cp:  # type: ignore[union-attr]
        for row in rows:
            cp.write_row(row)


def _keys_of(session: Session, record_type: str, record_id: uuid.UUID) -> set[Key] | None:
    """The keys a record should have now; None when it no longer exists."""
    if record_type == RecordType.person:
        p = session.get(Person, record_id)
        if p is None:
            return None
        names = session.execute(
            select(PersonName.full_name).where(PersonName.person_id == record_id)
        ).scalars()
        return name_keys(names, p.birth_year)
    if record_type == RecordType.document:
        doc = session.get(Document, record_id)
        return None if doc is None else document_keys(doc.number)
    if record_type == RecordType.vehicle:
        v = session.get(Vehicle, record_id)
        return None if v is None else vehicle_keys(v.plate, v.vin)
    raise ValueError(f"unknown record type {record_type!r}")


def reindex(session: Session, record_type: str, record_id: uuid.UUID) -> int:
    """Replace the keys of one record (removes them when the record is gone); returns the
    number of keys written. Runs in the caller's transaction."""
    session.flush()
    session.execute(delete(ScreeningKey).where(ScreeningKey.record_id == record_id))
    keys = _keys_of(session, record_type, record_id)
    if not keys:
        return 0
    _insert(session, _rows(record_type, record_id, keys))
    return len(keys)


def reindex_person(session: Session, person_id: uuid.UUID) -> int:
    return reindex(session, RecordType.person, person_id)


def reindex_document(session: Session, document_id: uuid.UUID) -> int:
    return reindex(session, RecordType.document, document_id)


def reindex_vehicle(session: Session, vehicle_id: uuid.UUID) -> int:
    return reindex(session, RecordType.vehicle, vehicle_id)


_PENDING_SQL = "SELECT 1 FROM screening_dirty LIMIT 1"


def pending(session: Session) -> bool:
    """True when changes wait in the queue (one indexed probe, through the driver's cursor:
    it runs before every query)."""
    session.flush()  # changes the session holds queue themselves first (triggers)
    cur = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(_PENDING_SQL)
        return cur.fetchone() is not None
    finally:
        cur.close()


def catch_up(
    session: Session,
    batch: int = 2000,
    progress: Progress | None = None,
    max_batches: int | None = None,
) -> int:
    """Fold the change queue (filled by triggers) into the index; returns records reindexed.
    ``max_batches`` bounds the work (a query folds in one small batch, not a bulk import)."""
    done = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        rows = session.execute(
            select(ScreeningDirty.id, ScreeningDirty.record_type, ScreeningDirty.record_id)
            .order_by(ScreeningDirty.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        last = rows[-1][0]
        todo = {(str(rt), rid) for _, rt, rid in rows}
        for record_type, record_id in sorted(todo, key=lambda t: (t[0], str(t[1]))):
            reindex(session, record_type, record_id)
        session.execute(delete(ScreeningDirty).where(ScreeningDirty.id <= last))
        done += len(todo)
        if progress:
            progress("catch-up", done, 0)
        if len(rows) < batch:
            return done
    return done


#: the indexes of ``screening_keys`` (as the model and the migration create them): dropped
#: during a rebuild and created again once the rows are in (much faster than row by row)
_KEY_INDEXES = (
    ("ix_screening_keys_lookup", "kind, key, record_id"),
    ("ix_screening_keys_record_id", "record_id"),
)
#: persons read and keyed per batch during a rebuild
REBUILD_BATCH = 20_000


def _person_keys_chunk(chunk: list[tuple[uuid.UUID, list[str], int | None]]) -> list[Row]:
    """Key rows of a batch of persons (pure: runs in worker processes)."""
    out: list[Row] = []
    for pid, names, year in chunk:
        out.extend(_rows(RecordType.person, pid, name_keys(names, year)))
    return out


def _person_batches(
    session: Session, batch: int = REBUILD_BATCH
) -> Iterator[list[tuple[uuid.UUID, list[str], int | None]]]:
    """Persons with their names and year of birth, in id order, one batch per statement
    (keyset pagination: no cursor stays open while the keys are written)."""
    last: uuid.UUID | None = None
    while True:
        stmt = select(Person.id, Person.birth_year).order_by(Person.id).limit(batch)
        if last is not None:
            stmt = stmt.where(Person.id > last)
        persons = session.execute(stmt).all()
        if not persons:
            return
        first, last = persons[0][0], persons[-1][0]
        names: dict[uuid.UUID, list[str]] = defaultdict(list)
        for pid, full_name in session.execute(
            select(PersonName.person_id, PersonName.full_name)
            .where(PersonName.person_id >= first, PersonName.person_id <= last)
            .order_by(PersonName.person_id, PersonName.position)
        ):
            names[pid].append(full_name)
        yield [(pid, names[pid], year) for pid, year in persons if names.get(pid)]
        if len(persons) < batch:
            return


def rebuild(
    session: Session,
    progress: Progress | None = None,
    workers: int | None = None,
    batch: int = REBUILD_BATCH,
) -> dict[str, int]:
    """Recompute the whole index (after bulk loads, or to check it). ``progress(stage, done,
    total)`` is called as it goes. Runs in the caller's transaction.

    The keys of persons are computed by ``workers`` processes (default: one per core, for
    more than ``batch`` persons); rows go in with COPY (PostgreSQL) or
    executemany (SQLite) while the key indexes are dropped, which are then built once."""
    session.flush()
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    # TRUNCATE on PostgreSQL: a DELETE of millions of queued rows leaves dead tuples that every
    # later probe of the queue would scan
    session.execute(text("TRUNCATE screening_keys") if postgres else delete(ScreeningKey))
    session.execute(text("TRUNCATE screening_dirty") if postgres else delete(ScreeningDirty))
    for name, _ in _KEY_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    counts: dict[str, int] = {}
    out: list[Row] = []

    def flush(rows: list[Row]) -> None:
        _insert(session, rows)
        rows.clear()

    total = session.execute(select(func.count()).select_from(Person)).scalar_one()
    n_workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    pool: Any = None
    if n_workers > 1 and total > batch:
        pool = multiprocessing.get_context("fork").Pool(n_workers)
    done = 0
    try:
        batches = _person_batches(session, batch)
        keyed: Iterable[tuple[int, list[Row]]] = (
            ((len(b), _person_keys_chunk(b)) for b in batches)
            if pool is None
            else _parallel(pool, batches)
        )
        for n, rows in keyed:
            flush(rows)
            done += n
            if progress:
                progress("persons", done, total)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    counts["persons"] = done
    if progress:
        progress("persons", done, total)

    total = session.execute(select(func.count()).select_from(Document)).scalar_one()
    done = 0
    for did, number in session.execute(select(Document.id, Document.number)).all():
        out.extend(_rows(RecordType.document, did, document_keys(number)))
        done += 1
        if len(out) >= 20_000:
            flush(out)
            if progress:
                progress("documents", done, total)
    flush(out)
    counts["documents"] = done

    total = session.execute(select(func.count()).select_from(Vehicle)).scalar_one()
    done = 0
    for vid, plate, vin in session.execute(select(Vehicle.id, Vehicle.plate, Vehicle.vin)).all():
        out.extend(_rows(RecordType.vehicle, vid, vehicle_keys(plate, vin)))
        done += 1
        if len(out) >= 20_000:
            flush(out)
            if progress:
                progress("vehicles", done, total)
    flush(out)
    counts["vehicles"] = done
    if progress:
        progress("indexing", 0, 1)
    for name, columns in _KEY_INDEXES:
        conn.exec_driver_sql(f"CREATE INDEX {name} ON screening_keys ({columns})")
    if postgres:
        conn.exec_driver_sql("ANALYZE screening_keys")
    counts["keys"] = session.execute(select(func.count()).select_from(ScreeningKey)).scalar_one()
    if progress:
        progress("done", counts["keys"], counts["keys"])
    state = session.get(ScreeningState, "rebuilt_at") or ScreeningState(name="rebuilt_at")
    state.value = utcnow().isoformat()
    session.merge(state)
    session.merge(ScreeningState(name="persons", value=str(counts["persons"])))
    session.flush()
    _PERSONS.clear()
    return counts


def vacuum(engine: Any) -> None:
    """After a rebuild has been committed, on PostgreSQL: ``VACUUM (ANALYZE)`` the index and
    the queue, so that key lookups are index-only scans at once (autovacuum would get there
    later). Nothing to do on SQLite."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) screening_keys")
        conn.exec_driver_sql("VACUUM (ANALYZE) screening_dirty")


def _parallel(
    pool: Any, batches: Iterator[list[tuple[uuid.UUID, list[str], int | None]]]
) -> Iterator[tuple[int, list[Row]]]:
    """Key rows of the batches computed by the pool, in order, at most two batches ahead."""
    pending: list[tuple[int, Any]] = []
    for b in batches:
        pending.append((len(b), pool.apply_async(_person_keys_chunk, (b,))))
        if len(pending) > 2:
            n, res = pending.pop(0)
            yield n, res.get()
    for n, res in pending:
        yield n, res.get()


# --------------------------------------------------------------------------------------------
# Candidate generation (stage 1)
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _raw_lookup_sql(n: int) -> str:
    """SQLite's lookup: one UNION ALL of ``n`` per-key index seeks, each capped (positional
    parameters for the driver's cursor; text built once per ``n``)."""
    part = (
        "SELECT * FROM (SELECT kind, key, record_id FROM screening_keys "
        "WHERE kind = ? AND key = ? ORDER BY record_id LIMIT ?) AS t"
    )
    return " UNION ALL ".join(f"{part}{i}" for i in range(n))


#: PostgreSQL's lookup: one constant statement whatever the keys (they come as arrays), so
#: psycopg prepares it once per connection and the server reuses the plan. Per key (by its
#: position): how many records carry it (at most ``cap + 1``), and their ids as one text
#: (``id,id,...``: no row and no UUID object per id) only when they count, i.e. the key is
#: not too common, or ``every`` asks for them anyway.
_PG_LOOKUP_SQL = """\
SELECT k.i, s.n, CASE WHEN s.n <= k.cap OR k.every THEN array_to_string(s.ids, ',') END
FROM unnest(%s::text[], %s::text[], %s::int[], %s::bool[])
    WITH ORDINALITY AS k(kind, key, cap, every, i)
CROSS JOIN LATERAL (
    SELECT count(*)::int AS n, array_agg(t.record_id ORDER BY t.record_id) AS ids
    FROM (
        SELECT record_id FROM screening_keys
        WHERE kind = k.kind AND key = k.key
        ORDER BY record_id LIMIT k.cap + 1
    ) AS t
) AS s"""


#: keys found to hit more than KEY_CAP records, with the time they were found (per process):
#: later queries skip them without reading their rows
_COMMON: dict[Key, float] = {}
COMMON_TTL = 600.0


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def lookup(
    session: Session, keys: Sequence[Key], cap: int = KEY_CAP, *, every: bool = False
) -> dict[Key, list[Any]]:
    """Raw record ids per key (as the driver gives them: text on both backends), the first
    ``key_cap + 1`` by id, in one statement. A key with more than its cap is too common:
    only how many matters then, and its ids may come back as ``None`` placeholders (it
    is remembered, and not read again for :data:`COMMON_TTL`), except for document keys or
    with ``every`` (the ids themselves, read again)."""
    now = time.monotonic()
    out: dict[Key, list[Any]] = {}
    wanted: list[Key] = []
    for k in keys:
        if every or now - _COMMON.get(k, -COMMON_TTL) >= COMMON_TTL:
            wanted.append(k)
        else:
            out[k] = [None] * (key_cap(k[0], cap, k[1]) + 1)
    if not wanted:
        return out
    caps = [key_cap(kind, cap, key) for kind, key in wanted]
    # the driver's cursor directly: hundreds of ids per query, most of them only counted
    conn = session.connection()
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "sqlite":
            params: list[object] = []
            for (kind, key), c in zip(wanted, caps, strict=True):
                params += (kind, key, c + 1)
            for k in wanted:
                out[k] = []
            cur.execute(_raw_lookup_sql(len(wanted)), params)
            for kind, key, rid in cur.fetchall():
                out[(kind, key)].append(rid)
        else:
            cur.execute(
                _PG_LOOKUP_SQL,
                (
                    [k[0] for k in wanted],
                    [k[1] for k in wanted],
                    caps,
                    [every or k[0] == _DOC for k in wanted],
                ),
            )
            for i, n, ids in cur.fetchall():
                out[wanted[i - 1]] = ids.split(",") if ids is not None else [None] * n
    finally:
        cur.close()
    for k, c in zip(wanted, caps, strict=True):
        if len(out[k]) > c:
            _COMMON[k] = now
    return out


def key_cap(kind: str, cap: int = KEY_CAP, key: str = "=") -> int:
    """Single name parts discriminate less than pairs: a lower cap (read fewer namesakes);
    so do the prefix, suffix and initial pairs (typo keys)."""
    if kind == _NAME:
        return min(cap, SINGLE_CAP)
    if key[:1] in ("^", "$", "!"):
        return min(cap, FUZZY_PAIR_CAP)
    return cap


#: a typo pair key with the year of birth, and with an unknown year (``@-``): a record born
#: that year ranks before one whose year is not known
TYPO_YEAR_WEIGHT = 2.0
TYPO_NO_YEAR_WEIGHT = 1.5


def _weight(kind: str, key: str) -> float:
    if kind == KeyKind.pair:
        return WEIGHTS[key[0]]
    if kind == KeyKind.pair_year:
        if key[0] == "=":
            return WEIGHTS["="]
        return TYPO_NO_YEAR_WEIGHT if key.endswith(NO_YEAR) else TYPO_YEAR_WEIGHT
    return WEIGHTS.get(kind, 1.0)


def rank(hits: dict[Key, list[Any]], cap: int = KEY_CAP) -> dict[Any, float]:
    """Weighted count of shared keys per record, ignoring keys that hit more than ``cap``."""
    scores: dict[Any, float] = defaultdict(float)
    for (kind, key), ids in hits.items():
        if len(ids) > key_cap(kind, cap, key):
            continue
        w = _weight(kind, key)
        for rid in set(ids):
            scores[rid] += w
    return scores


def top(scores: dict[Any, float], limit: int = CANDIDATE_LIMIT) -> list[uuid.UUID]:
    best = sorted(scores.items(), key=lambda t: (-t[1], str(t[0])))[:limit]
    return [_as_uuid(rid) for rid, _ in best]


def person_candidates(
    session: Session,
    names: Sequence[str],
    documents: Sequence[str] = (),
    birth_year: int | None = None,
    limit: int = CANDIDATE_LIMIT,
) -> list[uuid.UUID]:
    """Ids of the persons most likely to match (any owner: the policy filters later)."""
    weights = person_candidate_weights(session, names, documents, birth_year)
    return top(weights, limit)


def person_candidate_weights(
    session: Session,
    names: Sequence[str],
    documents: Sequence[str] = (),
    birth_year: int | None = None,
    limit: int = CANDIDATE_LIMIT,
) -> dict[uuid.UUID, float]:
    """The ``limit`` best candidates with their weight (weighted count of shared keys)."""
    return person_candidates_and_frequency(session, names, documents, birth_year, limit)[0]


def person_candidates_and_frequency(
    session: Session,
    names: Sequence[str],
    documents: Sequence[str] = (),
    birth_year: int | None = None,
    limit: int = CANDIDATE_LIMIT,
) -> tuple[dict[uuid.UUID, float], int]:
    """Candidates with their weight, and how many records of the index carry the query's
    full name (see :func:`person_candidate_stats`)."""
    st = person_candidate_stats(session, names, documents, birth_year, limit)
    return st.weights, st.namesakes


@dataclass
class CandidateStats:
    """Stage 1's answer: the candidates and what the index says about the query's name.

    ``namesakes``: records carrying the query's full name (two parts together, any spelling),
    at most ``KEY_CAP + 1``: the frequency of the name in this deployment. ``name_rarity``: the
    number of records expected to carry the name by chance, from the frequencies of its two
    rarest parts (``count(a) x count(b) / persons``), None when a part is too common to count
    (more than ``SINGLE_CAP`` records) or the name has a single part."""

    weights: dict[uuid.UUID, float]
    namesakes: int
    name_rarity: float | None


def person_candidate_stats(
    session: Session,
    names: Sequence[str],
    documents: Sequence[str] = (),
    birth_year: int | None = None,
    limit: int = CANDIDATE_LIMIT,
) -> CandidateStats:
    """Candidates with their weight and the frequency of the query's name (term-frequency
    evidence from the deployment's own data, like Splink's TF adjustment)."""
    keys = person_query_keys(names, documents, birth_year)
    return stats_from_hits(session, names, keys, lookup(session, keys), limit)


def person_query_keys(
    names: Sequence[str], documents: Sequence[str] = (), birth_year: int | None = None
) -> list[Key]:
    """The keys stage 1 looks a person query up by: a query with a year of birth also reads
    the records of the same name whose year is not known (``=a|b@-``, ``^abc|xyz@-`` ...):
    among the hundreds of namesakes of a common name, they are as compatible as those born
    that year."""
    keys = name_keys(names, birth_year) | {k for d in documents for k in document_keys(d)}
    if birth_year:
        keys |= {
            (_PAIR_YEAR, k[: KEY_LENGTH - 5] + NO_YEAR)
            for kind, k in name_keys(names)
            if kind == _PAIR
        }
    return sorted(keys)


#: keys per statement when many queries are looked up together (SQLite allows 500 terms in
#: a compound SELECT)
LOOKUP_BATCH = 400


def lookup_many(session: Session, keys: Iterable[Key]) -> dict[Key, list[Any]]:
    """:func:`lookup` for the keys of many queries at once (a manifest), each key read once."""
    wanted = sorted(set(keys))
    out: dict[Key, list[Any]] = {}
    for i in range(0, len(wanted), LOOKUP_BATCH):
        out.update(lookup(session, wanted[i : i + LOOKUP_BATCH]))
    return out


def stats_from_hits(
    session: Session,
    names: Sequence[str],
    keys: Sequence[Key],
    all_hits: Mapping[Key, list[Any]],
    limit: int = CANDIDATE_LIMIT,
) -> CandidateStats:
    """Stage 1 for one query, from the rows read for its ``keys`` (see :func:`lookup`)."""
    hits = {k: all_hits.get(k, []) for k in keys}
    doc_hits = [
        _as_uuid(rid)
        for (kind, _), ids in hits.items()
        if kind == KeyKind.doc
        for rid in ids[: KEY_CAP + 1]
        if rid is not None
    ]
    hits = {k: v for k, v in hits.items() if k[0] != KeyKind.doc}
    frequency = max(
        (len(ids) for (kind, key), ids in hits.items() if kind == KeyKind.pair and key[0] == "="),
        default=0,
    )
    rarity = _name_rarity(session, names, hits)
    scores = rank(hits)
    if not scores:
        # only too common keys (a frequent name without date of birth): take the first
        # records of the full pair keys rather than nothing
        fallback = [k for k in keys if k[0] == KeyKind.pair and k[1].startswith("=")]
        raw = lookup(session, fallback, every=True)
        for ids in raw.values():
            for rid in ids[:KEY_CAP]:
                scores[rid] += OVERFLOW_WEIGHT
    best = sorted(scores.items(), key=lambda t: (-t[1], str(t[0])))[:limit]
    out = {_as_uuid(rid): w for rid, w in best}
    if doc_hits:
        for pid in session.execute(
            select(Document.person_id).where(
                Document.id.in_(doc_hits), Document.person_id.isnot(None)
            )
        ).scalars():
            if pid is not None:
                out[pid] = out.get(pid, 0.0) + WEIGHTS[KeyKind.doc.value]
    return CandidateStats(out, frequency, rarity)


#: below this many persons, counts in the index say little about how frequent a name is:
#: frequencies are counted against this reference population instead
REFERENCE_POPULATION = 100_000


def _name_rarity(
    session: Session, names: Sequence[str], hits: dict[Key, list[Any]]
) -> float | None:
    """Records expected to carry the name by chance: persons x the frequencies of its two
    rarest parts, each counted in the index (at least the built-in frequency of the region's
    common names); None when a part is too common to count."""
    best: float | None = None
    for n in names:
        freqs = []
        persons = max(1, persons_indexed(session))
        for part in parse_name(n).core:
            ids = hits.get((KeyKind.name.value, part.key[:KEY_LENGTH]))
            if len(part.key) < 2 or ids is None:
                continue
            if len(ids) > key_cap(KeyKind.name.value):
                freqs.append(1.0)  # too common to count
                continue
            share = max(1, len(ids)) / max(persons, REFERENCE_POPULATION)
            freqs.append(max(share, common_name_frequency(part.text)))
        if len(freqs) < 2:
            continue
        a, b = sorted(freqs)[:2]
        if b >= 1.0:
            continue
        value = persons * a * b
        best = value if best is None else min(best, value)
    return best


_PERSONS: dict[str, tuple[float, int]] = {}


def persons_indexed(session: Session) -> int:
    """Persons in the index (stored by :func:`rebuild`, counted when missing; cached 10 min)."""
    now = time.monotonic()
    hit = _PERSONS.get("n")
    if hit is not None and now - hit[0] < COMMON_TTL:
        return hit[1]
    state = session.get(ScreeningState, "persons")
    if state is not None and state.value.isdigit():
        n = int(state.value)
    else:
        n = session.execute(select(func.count()).select_from(Person)).scalar_one()
    _PERSONS["n"] = (now, n)
    return n


def record_candidates(session: Session, keys: Sequence[Key]) -> list[uuid.UUID]:
    """Ids of documents or vehicles sharing any key (exact lookups)."""
    hits = lookup(session, keys)
    return top(rank(hits), KEY_CAP)
