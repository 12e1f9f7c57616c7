"""The web console's middlewares, kept off API requests that have no use for them.

The API authenticates with bearer tokens and reads the web session cookie only as a fallback
(:func:`shekara.api.deps.viewer_from`); it never writes to the session. Its detail reads are
small JSON answers, for which compression costs more CPU time than it saves on the wire.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware.gzip import GZipMiddleware, GZipResponder
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

API_PREFIX = "/api/"
# API answers from this size are compressed for clients that accept gzip: a page of a list,
# a search, an export; not a single record (1-3 KB, where gzip costs ~0.1-0.2 ms of CPU).
API_GZIP_MINIMUM_SIZE = 8 * 1024


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


class WebSessionMiddleware(SessionMiddleware):
    """Starlette's signed session cookie, skipped for API requests that carry no session
    cookie: there it would only set an empty session and send nothing back."""

    def __init__(self, app: ASGIApp, /, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._cookie = self.session_cookie.encode() + b"="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith(API_PREFIX)
            and self._cookie not in _header(scope, b"cookie")
        ):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class WebGZipMiddleware(GZipMiddleware):
    """gzip from ``minimum_size`` for web pages; for the API only answers from
    ``api_minimum_size`` to clients that accept gzip (the others skip the middleware)."""

    def __init__(
        self,
        app: ASGIApp,
        /,
        minimum_size: int = 1024,
        api_minimum_size: int = API_GZIP_MINIMUM_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, minimum_size, **kwargs)
        self.api_minimum_size = api_minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            if b"gzip" not in _header(scope, b"accept-encoding").lower():
                await self.app(scope, receive, send)
                return
            responder = GZipResponder(
                self.app,
                self.api_minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=self.exclude_content_types,
            )
            await responder(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
