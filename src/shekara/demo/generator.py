"""The synthetic dataset: deterministic, clearly synthetic, realistic enough to demo and to
benchmark Shekara.

``generate(session_factory, size="demo", seed=1)`` fills an empty, migrated database with
agencies and demo users, persons (names in several scripts, documents, phones), vehicles,
criminal groups and companies, incidents with seizures and involvements, cases with their status
history and hand-overs, border crossings and sources. The same seed and size give the same rows,
ids included. Rows are written with Core bulk inserts in batches; nothing is written to the audit
log (a data load, not user actions), so the audit chain stays as it was.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Index, delete, func, select
from sqlalchemy.orm import Session

from shekara.crossings.models import Crossing
from shekara.db.models import Base, Incident, Person
from shekara.demo import events, people
from shekara.demo.agencies import MEMBER_COUNTRIES
from shekara.demo.common import TABLE_ORDER, ProgressFn, Sizes, Stage
from shekara.demo.context import Ctx
from shekara.demo.places import load_places
from shekara.vocab.seed import seed_countries, seed_vocabularies

REFERENCE_TABLES = frozenset({"countries", "vocab_terms", "places", "alembic_version"})


@dataclass
class GenerationReport:
    seed: int
    sizes: Sizes
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def load_reference(session: Session, members: tuple[str, ...] | list[str] = MEMBER_COUNTRIES
                   ) -> dict[str, int]:
    """Countries (``members`` marked), vocabularies and reference places; idempotent.

    Usable by ``shekara init``. Flushes but does not commit: the caller's unit of work does.
    """
    countries = seed_countries(session, [c.upper() for c in members])
    session.flush()
    vocab = seed_vocabularies(session)
    session.flush()
    places = load_places(session)
    session.flush()
    return {"countries": countries, "vocab_terms": vocab, "places": places}


def is_empty(session: Session) -> bool:
    """True when the database holds no persons, incidents or crossings."""
    return all(session.execute(select(func.count()).select_from(model)).scalar_one() == 0
               for model in (Person, Incident, Crossing))


def reset(session: Session) -> None:
    """Delete every row except reference data (countries, vocabularies, places): records,
    agencies, users and the audit log. For demo databases only; the caller commits."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in REFERENCE_TABLES:
            session.execute(delete(table))


def generate(
    session_factory: Callable[[], Session],
    size: str | Sizes | Mapping[str, int] = "demo",
    seed: int = 1,
    *,
    progress: ProgressFn | None = None,
    batch_size: int = 5000,
    years: tuple[int, int] = (2021, 2025),
    defer_indexes: bool | None = None,
    screening_index: bool = True,
) -> GenerationReport:
    """Generate a dataset into the (migrated) database; returns row counts and the time taken.

    ``size`` is ``"tiny"``, ``"small"``, ``"demo"``, ``"bench"``, a :class:`Sizes`, or a mapping
    of counts overriding the demo preset (``{"persons": 10_000}``). Reference data is loaded
    first when the database has none. ``progress(stage, done, total)`` is called per batch.
    The data is committed in batches: a failed run leaves a partial dataset (use ``reset``).
    ``defer_indexes`` (default: for 200,000 records or more) drops the secondary indexes of the
    generated tables during the load and rebuilds them at the end. ``screening_index`` rebuilds
    the screening key index at the end (as after any bulk load), when that module exists.
    """
    sizes = Sizes.of(size)
    started = time.perf_counter()
    rng = random.Random(seed)
    with session_factory() as session:
        if not session.execute(select(func.count()).select_from(Base.metadata.tables["places"])
                               ).scalar_one():
            load_reference(session)
            session.commit()
        ctx = Ctx(session, rng, sizes, years, batch_size, progress)
        ctx.load_places()
        people.agencies_and_users(ctx)
        if defer_indexes is None:
            defer_indexes = sizes.persons + sizes.incidents + sizes.crossings >= 200_000
        dropped = drop_indexes(session) if defer_indexes else []
        try:
            people.sources(ctx)
            people.organisations(ctx)
            ctx.writer.flush()
            people.persons(ctx)
            people.memberships(ctx)
            people.vehicles(ctx)
            events.Incidents(ctx).run()
            events.crossings(ctx)
            people.watchlist(ctx)
            ctx.writer.flush(commit=True)
        finally:
            session.rollback()
            create_indexes(session, dropped, progress)
        if screening_index:
            rebuild_screening_index(session, progress)
        counts = {k: v for k, v in ctx.writer.counts.items() if v}
    return GenerationReport(seed, sizes, counts, time.perf_counter() - started)


def rebuild_screening_index(session: Session, progress: ProgressFn | None) -> None:
    """Recompute the screening key index (``shekara.screening.index.rebuild``) and commit."""
    try:
        from shekara.screening import index as screening
    except ImportError:  # pragma: no cover - screening is optional here
        return
    def prefixed(stage: str, done: int, total: int) -> None:
        if progress:
            progress(f"screening {stage}", done, total)

    screening.rebuild(session, prefixed)
    session.commit()


def drop_indexes(session: Session) -> list[Index]:
    """Drop the secondary (non-unique) indexes of the generated tables before a large load;
    rebuilding them once at the end is much faster than updating them row by row."""
    dropped: list[Index] = []
    for table in TABLE_ORDER[2:]:  # not agencies, users
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            if not index.unique:
                index.drop(session.connection(), checkfirst=True)
                dropped.append(index)
    session.commit()
    return dropped


def create_indexes(session: Session, indexes: list[Index], progress: ProgressFn | None) -> None:
    if not indexes:
        return
    stage = Stage(progress, "indexes", len(indexes), 1)
    for n, index in enumerate(indexes, 1):
        index.create(session.connection(), checkfirst=True)
        session.commit()
        stage.tick(n)
    stage.end()
