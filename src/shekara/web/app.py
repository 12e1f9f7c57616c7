"""The web console, mounted on the API application by :func:`shekara.api.app.create_app`.

Server-rendered pages (Jinja2 + htmx) over the same service functions as the API. The session
cookie carries the API token issued at login; the viewer, roles and sharing policy are the API's.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from shekara.api.middleware import WebGZipMiddleware, WebSessionMiddleware
from shekara.errors import AppError
from shekara.logs import get_logger
from shekara.settings import Environment, Settings
from shekara.web.i18n import N_
from shekara.web.rendering import STATIC_DIR, error_page, html_error, is_web_path
from shekara.web.views import ROUTERS

log = get_logger(__name__)
SESSION_COOKIE = "shekara_session"

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


async def _call(handler: Handler, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


def _web_or(original: Handler | None) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if is_web_path(request.url.path) or original is None:
            return html_error(request, exc)
        return await _call(original, request, exc)

    return handler


def _unexpected_or(original: Handler | None) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if is_web_path(request.url.path):
            log.exception("unhandled_error", path=request.url.path)
            return error_page(
                request,
                500,
                N_(
                    "Something went wrong on the server. Try again; "
                    "if it happens again, tell your administrator the time."
                ),
            )
        if original is None:  # pragma: no cover - the API installs one
            raise exc
        return await _call(original, request, exc)

    return handler


def mount(app: FastAPI) -> None:
    """Add the session middleware, static files, the pages and HTML error pages."""
    settings: Settings = app.state.settings
    app.add_middleware(
        WebSessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        # The idle timeout is checked on the server (``security.web_viewer``); the cookie
        # itself lives as long as the token it carries.
        max_age=settings.token_ttl_hours * 3600,
        same_site="lax",
        https_only=settings.env == Environment.production,
    )
    app.add_middleware(WebGZipMiddleware, minimum_size=1024)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    handlers = app.exception_handlers
    for exc_class in (AppError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(exc_class, _web_or(handlers.get(exc_class)))
    app.add_exception_handler(Exception, _unexpected_or(handlers.get(Exception)))
