"""``create_app()``: the FastAPI application, its state and its routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy import Engine

from shekara import __version__
from shekara.api import errors
from shekara.api.deps import units_of_work_executor
from shekara.api.fastpath import RecordReadFastPath
from shekara.api.records import make_router
from shekara.api.routes import (
    admin,
    audit_router,
    auth,
    cases_router,
    geo,
    health,
    places_router,
    search_router,
    stats_router,
)
from shekara.audit.sealer import Sealer
from shekara.db.engine import make_engine, make_read_sessionmaker, make_sessionmaker
from shekara.records.registry import RESOURCES
from shekara.settings import Settings, get_settings

DESCRIPTION = """
Shekara's API. Every list, read, search, statistic and export passes through the sharing policy
and is recorded in the audit log. Log in with `POST /api/v1/auth/token`, then send
`Authorization: Bearer <token>`. An optional `X-Purpose` header states why you access records;
it is kept in the audit log. Errors are `{"errors": [{"code", "field", "message"}]}`.
"""


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    owns_engine = engine is None
    engine = engine or make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if engine.dialect.name == "postgresql":
            # As many request threads as pooled connections: a request beyond that would wait
            # for a connection, or open and close an extra one (a new server process each).
            to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        sealer = Sealer(app.state.sessionmaker, settings.audit_seal_seconds)
        if settings.audit_seal_seconds > 0:
            sealer.start()
        yield
        if settings.audit_seal_seconds > 0:
            sealer.stop()
        app.state.executor.shutdown(wait=True)
        app.state.executor = units_of_work_executor(settings)  # no threads until used
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="Shekara",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # No OpenTelemetry here: FastAPI would otherwise look up the global providers on every
        # request (about 0.1 ms of CPU time each).
        telemetry={"tracing": False, "metrics": False, "logs": False},
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.read_sessionmaker = make_read_sessionmaker(engine)
    app.state.executor = units_of_work_executor(settings)
    errors.install(app)
    prefix = "/api/v1"
    for router in (
        auth,
        search_router,
        audit_router,
        admin,
        places_router,
        geo,
        stats_router,
        cases_router,
    ):
        app.include_router(router, prefix=prefix)
    for spec in RESOURCES.values():
        app.include_router(make_router(spec), prefix=prefix)
    app.include_router(health)
    # Added first, so it sits inside the web console's middlewares (added by _mount_optional).
    app.add_middleware(RecordReadFastPath)
    _mount_optional(app)
    return app


OPTIONAL_ROUTERS = ("shekara.io.api", "shekara.screening.api", "shekara.tracking.api")


def _mount_optional(app: FastAPI) -> None:
    """Areas that live in their own packages: each module exposes ``router`` (under /api/v1);
    the web console exposes ``mount(app)``."""
    import importlib

    for name in OPTIONAL_ROUTERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if not (e.name and name.startswith(e.name)):
                raise
            continue
        app.include_router(module.router, prefix="/api/v1")
        if hasattr(module, "on_startup"):
            app.router.on_startup.append(module.on_startup)
    try:
        from shekara.web.app import mount as mount_web
    except ModuleNotFoundError as e:
        if e.name not in ("shekara.web", "shekara.web.app"):
            raise
        return
    mount_web(app)
