"""Typed dependencies, declared once: the settings, the unit of work, the viewer.

Record reads (detail, list, search) do not use :data:`SessionDep` and :data:`ViewerDep`: a
synchronous dependency costs a hop to the thread pool (a generator one, two), which cost more
than the read itself. Those handlers are ``async`` and run their whole unit of work (session,
viewer, read, audit entry, commit, JSON) in one worker thread with :func:`run_unit_of_work`,
with the same rules as the dependencies here.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from shekara.accounts.service import viewer_for_token
from shekara.policy.sharing import Viewer
from shekara.settings import Settings

T = TypeVar("T")


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler succeeds, else rolled back."""
    yield from _session_of(request.app.state.sessionmaker)


def _session_of(factory: Callable[[], Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def viewer_from(
    request: Request, session: Session, authorization: str | None, x_purpose: str | None
) -> Viewer | None:
    """The signed-in user from a bearer token or the web session cookie; None if anonymous."""
    token = None
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    elif "session" in request.scope and request.session.get("token"):
        token = request.session["token"]
    if not token:
        return None
    return viewer_for_token(session, token, _client_ip(request), (x_purpose or "")[:300])


def get_viewer(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header(description="Bearer <token>")] = None,
    x_purpose: Annotated[
        str | None, Header(description="Why you access (recorded in the audit log)")
    ] = None,
) -> Viewer | None:
    """The signed-in user from a bearer token or the web session cookie; None if anonymous."""
    return viewer_from(request, session, authorization, x_purpose)


ViewerDep = Annotated[Viewer | None, Depends(get_viewer)]


@dataclass(frozen=True, slots=True)
class Credentials:
    """What :func:`get_viewer` reads from the request, taken on the event loop (no thread)."""

    request: Request
    authorization: str | None
    x_purpose: str | None


async def get_credentials(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <token>")] = None,
    x_purpose: Annotated[
        str | None, Header(description="Why you access (recorded in the audit log)")
    ] = None,
) -> Credentials:
    return Credentials(request, authorization, x_purpose)


CredentialsDep = Annotated[Credentials, Depends(get_credentials)]


@contextmanager
def unit_of_work(request: Request, read: bool = False) -> Iterator[Session]:
    """:func:`get_session` as a context manager, for code already in a worker thread.

    ``read``: a single-record read, in a session of
    :func:`shekara.db.engine.make_read_sessionmaker`. Honours
    ``app.dependency_overrides[get_session]`` (the tests' session) like FastAPI does.
    """
    provider: Callable[..., Any] | None = request.app.dependency_overrides.get(get_session)
    if provider is None:
        state = request.app.state
        yield from _session_of(state.read_sessionmaker if read else state.sessionmaker)
        return
    gen = provider(request) if inspect.signature(provider).parameters else provider()
    session = next(gen)
    try:
        yield session
    except BaseException as e:
        try:
            gen.throw(e)
        except StopIteration:
            pass
        raise
    next(gen, None)


def _in_unit_of_work(
    creds: Credentials, work: Callable[[Session, Viewer | None], T], read: bool = False
) -> T:
    with unit_of_work(creds.request, read) as session:
        viewer = viewer_from(creds.request, session, creds.authorization, creds.x_purpose)
        return work(session, viewer)


def units_of_work_executor(settings: Settings) -> ThreadPoolExecutor:
    """The threads that run units of work: as many as pooled connections, since a unit of work
    holds one from start to end."""
    return ThreadPoolExecutor(settings.db_pool_size, thread_name_prefix="unit-of-work")


async def _in_thread(
    creds: Credentials, work: Callable[[Session, Viewer | None], T], read: bool
) -> T:
    # The event loop's own executor hand-off, about half the CPU time of anyio's to_thread
    # (no capacity limiter or cancel scope: the pool bounds concurrency, and a unit of work
    # once started always finishes, committed or rolled back, like a shielded one).
    executor: ThreadPoolExecutor = creds.request.app.state.executor
    run = contextvars.copy_context().run
    return await asyncio.get_running_loop().run_in_executor(
        executor, run, _in_unit_of_work, creds, work, read
    )


async def run_unit_of_work(creds: Credentials, work: Callable[[Session, Viewer | None], T]) -> T:
    """``work(session, viewer)`` in one worker thread, in one transaction: committed when it
    returns, rolled back when it raises (the error then reaches the exception handlers)."""
    return await _in_thread(creds, work, False)


async def run_read(creds: Credentials, work: Callable[[Session, Viewer | None], T]) -> T:
    """:func:`run_unit_of_work` for a single-record read whose only write is its audit entry
    (see :func:`shekara.db.engine.make_read_sessionmaker`)."""
    return await _in_thread(creds, work, True)
