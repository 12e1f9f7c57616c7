"""Engine and session factories, with the per-backend settings behind one small class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from shekara.settings import Settings


class Backend(ABC):
    """What differs between SQLite and PostgreSQL, in one place."""

    name: str

    @abstractmethod
    def engine_kwargs(self, settings: Settings) -> dict[str, Any]: ...

    def on_connect(self, dbapi_conn: Any) -> None:  # noqa: B027 - optional hook
        pass

    @abstractmethod
    def lock_audit_chain(self, session: Session, wait: bool = True) -> bool:
        """Serialise appends to the hash-chained audit log within the current transaction.

        With ``wait=False``, give up at once (and return False) if another session holds it.
        """


class SQLiteBackend(Backend):
    name = "sqlite"

    def engine_kwargs(self, settings: Settings) -> dict[str, Any]:
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}

    def on_connect(self, dbapi_conn: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    def lock_audit_chain(self, session: Session, wait: bool = True) -> bool:
        # SQLite has one writer at a time, and every transaction begins IMMEDIATE.
        return True


class PostgresBackend(Backend):
    name = "postgresql"
    AUDIT_LOCK_KEY = 0x5E4E_A0D1

    def engine_kwargs(self, settings: Settings) -> dict[str, Any]:
        return {
            "pool_size": settings.db_pool_size,
            "max_overflow": 10,
            "pool_pre_ping": settings.db_pool_pre_ping,
            "pool_recycle": 3600,
        }

    def lock_audit_chain(self, session: Session, wait: bool = True) -> bool:
        if wait:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": self.AUDIT_LOCK_KEY})
            return True
        return bool(
            session.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self.AUDIT_LOCK_KEY}
            ).scalar()
        )


def backend_for(url: str) -> Backend:
    if url.startswith("sqlite"):
        return SQLiteBackend()
    if url.startswith("postgresql"):
        return PostgresBackend()
    raise ValueError(f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite or postgresql")


def make_engine(settings: Settings, url: str | None = None) -> Engine:
    url = url or settings.effective_database_url
    backend = backend_for(url)
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **backend.engine_kwargs(settings))
    if backend.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            backend.on_connect(dbapi_conn)

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # IMMEDIATE: take the write lock up front. Nearly every transaction writes (at least
            # its audit entry) after reading; a deferred BEGIN would fail with "database is
            # locked" when another writer committed in between, whatever the busy timeout.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


_BACKENDS: dict[str, Backend] = {"sqlite": SQLiteBackend(), "postgresql": PostgresBackend()}


def get_backend(session: Session) -> Backend:
    return _BACKENDS[session.get_bind().dialect.name]


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for single-record reads, whose only write is one audit entry.

    On PostgreSQL each statement commits on its own (autocommit): no BEGIN and no COMMIT, two
    round trips of the five a read would cost. A single statement is atomic, the policy check
    and the record come from the same statement, and the audit entry is committed before the
    answer leaves, as in a transaction. On SQLite, where a transaction costs no round trip,
    these are ordinary sessions.
    """
    if engine.dialect.name == "postgresql":
        return sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )
    return make_sessionmaker(engine)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error (nothing half-written)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
