"""Worker processes for batch jobs (manifests, entity resolution).

One pool per process, started on first use from a clean fork server (nothing of the parent's
state, no inherited database connection). Entity resolution sends the workers pure scoring
tasks; manifest screening sends them chunks of rows, which they screen read-only on a database
connection of their own. There is one worker per extra core; the process that uses the pool
keeps what writes (and works itself when the workers are busy), so a job uses every core.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

_POOL: list[ProcessPoolExecutor] = []


def count() -> int:
    """Worker processes of the pool (one per core beyond the first)."""
    return max(0, (os.cpu_count() or 1) - 1)


def pool() -> ProcessPoolExecutor | None:
    """The pool, started once; None on a single core."""
    if count() < 1:
        return None
    if not _POOL:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(
            [
                "shekara.screening.scoring",
                "shekara.screening.service",
                "shekara.screening.manifest",
                "shekara.screening.resolution",
            ]
        )
        _POOL.append(ProcessPoolExecutor(max_workers=count(), mp_context=ctx))
    return _POOL[0]


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection in this process during a batch job (restored afterwards as
    it was). A manifest or a resolution run keeps hundreds of thousands to millions of objects
    alive (the scoring caches, the chunks or pairs in flight, the results) and allocates fast:
    the collector ran full collections of them every few seconds, 15-40% of the process's CPU,
    and, holding the interpreter, kept the thread that feeds the workers waiting. Garbage made
    meanwhile (here or by other threads) waits for the end of the job; almost all of it is
    freed at once by reference counting anyway."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
