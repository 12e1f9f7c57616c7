"""The background sealer each server process runs (one at a time seals, under a DB lock)."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from shekara.audit.service import seal
from shekara.logs import get_logger

log = get_logger(__name__)


class Sealer:
    def __init__(self, factory: sessionmaker[Session], interval: float = 1.0):
        self.factory = factory
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.seal_now()

    def seal_now(self, wait: bool = True, batch: int = 5000) -> int:
        """Chain what is unsealed; with ``wait=False`` skip if another process is at it."""
        total = 0
        while True:
            with self.factory() as s:
                n = seal(s, batch=batch, wait=wait)
                s.commit()
            total += n
            if n < batch:
                return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.seal_now(wait=False)
            except Exception:  # keep sealing after a transient database error
                log.exception("audit_seal_failed")
