"""Sizes, deterministic ids, weighted choices and the batched bulk writer of the generator."""

from __future__ import annotations

import bisect
import itertools
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from shekara.accounts.models import User
from shekara.agencies.models import Agency
from shekara.cases.models import Case, CaseEvent, CaseIncident
from shekara.crossings.models import Crossing
from shekara.incidents.models import Incident, Involvement, Seizure
from shekara.organisations.models import Membership, Organisation
from shekara.persons.models import Document, Person, PersonName, PersonNameToken, Phone
from shekara.policy.models import ShareGrant
from shekara.sources.models import Source
from shekara.vehicles.models import Vehicle

T = TypeVar("T")
# progress(stage, done, total): called after every batch of a stage, and once at its end.
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Sizes:
    """How many records of each kind to generate (documents, names, phones follow persons)."""

    persons: int
    incidents: int
    crossings: int
    vehicles: int
    groups: int
    companies: int
    cases: int
    sources: int

    @classmethod
    def of(cls, size: str | Sizes | Mapping[str, int]) -> Sizes:
        """A preset by name, a Sizes, or a mapping overriding the ``demo`` preset."""
        if isinstance(size, Sizes):
            return size
        if isinstance(size, str):
            if size not in SIZES:
                raise ValueError(f"unknown size {size!r}; use one of {', '.join(SIZES)}")
            return SIZES[size]
        known = {f.name for f in fields(cls)}
        unknown = set(size) - known
        if unknown:
            raise ValueError(f"unknown counts {sorted(unknown)}; use {sorted(known)}")
        return replace(SIZES["demo"], **{k: int(v) for k, v in size.items()})


SIZES: dict[str, Sizes] = {
    "tiny": Sizes(persons=80, incidents=120, crossings=200, vehicles=40, groups=3, companies=4,
                  cases=20, sources=8),
    "small": Sizes(persons=400, incidents=600, crossings=2_000, vehicles=160, groups=10,
                   companies=12, cases=80, sources=30),
    "demo": Sizes(persons=2_000, incidents=3_000, crossings=10_000, vehicles=800, groups=40,
                  companies=50, cases=400, sources=150),
    "bench": Sizes(persons=1_000_000, incidents=1_000_000, crossings=2_000_000,
                   vehicles=200_000, groups=3_000, companies=10_000, cases=100_000,
                   sources=5_000),
}


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def _uuid(value: int) -> uuid.UUID:
    """``uuid.UUID(int=value)`` without its argument checks (the value is built valid): the
    generator makes millions of ids."""
    u = object.__new__(uuid.UUID)
    object.__setattr__(u, "int", value)
    object.__setattr__(u, "is_safe", uuid.SafeUUID.unknown)
    return u


class Ids:
    """Deterministic UUIDs: the n-th record of a kind always gets the same id for a given seed.

    Layout of RFC 9562 version 8: 48 bits of (run, kind, n) so that rows are inserted in index
    order, then version and variant bits, then 74 bits mixed from the seeded RNG's key of the
    kind and n. The id of record n can be computed without keeping a list of ids.
    """

    KINDS = ("agency", "user", "source", "organisation", "person", "person_name", "document",
             "phone", "membership", "vehicle", "incident", "involvement", "seizure", "case",
             "case_event", "crossing", "share_grant", "watchlist")

    def __init__(self, rng: random.Random):
        self.run = rng.getrandbits(12)
        self.keys = {k: rng.getrandbits(64) for k in self.KINDS}
        self.kind_no = {k: i for i, k in enumerate(self.KINDS)}
        self.counters = dict.fromkeys(self.KINDS, 0)

    def of(self, kind: str, n: int) -> uuid.UUID:
        head = (self.run << 36) | (self.kind_no[kind] << 30) | (n & 0x3FFFFFFF)
        low = _splitmix64(self.keys[kind] ^ n)
        rand_a = low >> 52
        rand_b = low & 0x3FFFFFFFFFFFFFFF
        value = (head << 80) | (0x8 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
        return _uuid(value)

    def next(self, kind: str) -> uuid.UUID:
        n = self.counters[kind]
        self.counters[kind] = n + 1
        return self.of(kind, n)


class Chooser:
    """Weighted choice with precomputed cumulative weights (``random.choices`` recomputes them)."""

    def __init__(self, items: Sequence[tuple[T, float]] | Mapping[T, float]):
        pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
        self.items = [k for k, _ in pairs]
        self.cum = list(itertools.accumulate(float(w) for _, w in pairs))
        self.total = self.cum[-1] if self.cum else 0.0

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]

    def __bool__(self) -> bool:
        return bool(self.items)


def table_of(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _optional_models() -> tuple[type[Any], ...]:
    """Tables of optional packages the generator fills when they are installed."""
    try:
        from shekara.screening.models import WatchlistEntry
    except ImportError:  # pragma: no cover - screening is part of the standard build
        return ()
    return (WatchlistEntry,)


_MODELS: tuple[type[Any], ...] = (
    Agency, User, Source, Organisation, Person, PersonName, PersonNameToken, Document, Phone,
    Membership, Vehicle, Incident, Involvement, Seizure, Case, CaseEvent, CaseIncident, Crossing,
    *_optional_models(), ShareGrant,
)
TABLE_ORDER: tuple[Table, ...] = tuple(table_of(t) for t in _MODELS)


class Writer:
    """Buffers rows per table and inserts them in foreign-key order, in Core bulk statements."""

    def __init__(self, session: Session, batch: int = 5000, commit_every: int = 50_000):
        self.session = session
        self.batch = batch
        self.commit_every = commit_every
        self.buffers: dict[str, list[dict[str, Any]]] = {t.name: [] for t in TABLE_ORDER}
        self.counts: dict[str, int] = {t.name: 0 for t in TABLE_ORDER}
        self.pending = 0
        self.since_commit = 0

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Buffer a row; call :meth:`maybe_flush` once a unit (a person and its names, an
        incident and its seizures) is complete, so that children never precede parents."""
        self.buffers[table].append(row)
        self.pending += 1

    def maybe_flush(self) -> None:
        if self.pending >= self.batch:
            self.flush()

    def flush(self, commit: bool = False) -> None:
        for table in TABLE_ORDER:
            rows = self.buffers[table.name]
            if rows:
                self.session.execute(insert(table), rows)
                self.counts[table.name] += len(rows)
                self.since_commit += len(rows)
                self.buffers[table.name] = []
        self.pending = 0
        if commit or self.since_commit >= self.commit_every:
            self.session.commit()
            self.since_commit = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Stage:
    """Progress reporting of one stage, every ``every`` units."""

    def __init__(self, progress: ProgressFn | None, name: str, total: int, every: int):
        self.progress, self.name, self.total, self.every = progress, name, total, max(1, every)
        if progress:
            progress(name, 0, total)

    def tick(self, done: int) -> None:
        if self.progress and done % self.every == 0:
            self.progress(self.name, done, self.total)

    def end(self) -> None:
        if self.progress:
            self.progress(self.name, self.total, self.total)
