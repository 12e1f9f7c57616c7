"""Worker processes for batch jobs (manifests, entity resolution).

One pool per process, started on first use from a clean fork server (nothing of the parent's
state, no inherited database connection). Entity resolution sends the workers pure scoring
tasks; manifest screening sends them chunks of rows, which they screen read-only on a database
connection of their own. There is one worker per extra core; the process that uses the pool
keeps what writes (and works itself when the workers are busy), so a job uses every core.
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
                "shekara.screening.manifest",
                "shekara.screening.resolution",
            ]
        )
        _POOL.append(ProcessPoolExecutor(max_workers=count(), mp_context=ctx))
    return _POOL[0]
