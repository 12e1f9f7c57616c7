"""Worker processes for the pure scoring of batch jobs (manifests, entity resolution).

One pool per process, started on first use from a clean fork server: the workers hold no
database connection and run only the pure functions of :mod:`.scoring` on what they are sent.
There is one worker per extra core; the process that uses the pool keeps the database work
(and scores itself when the workers are busy), so a job uses every core.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

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
                "shekara.screening.resolution",
            ]
        )
        _POOL.append(ProcessPoolExecutor(max_workers=count(), mp_context=ctx))
    return _POOL[0]
