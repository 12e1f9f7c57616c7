"""The hot path of the API: ``GET /api/v1/<resource>/<id>`` with a bearer token.

Checkpoints and partners' systems read records one at a time, hundreds a second. For such a
read, FastAPI's routing, dependency solving, exception and exit-stack middlewares cost more CPU
time than the read itself (about 0.8 ms of 2.4 ms on the benchmark machine). This middleware
answers exactly those requests with the FastAPI route's own unit of work
(:func:`shekara.api.records.detail_work`: the token, the sharing policy, the audit entry, the
same JSON) and its error bodies (:mod:`shekara.api.errors`). Everything else goes on to the
FastAPI app unchanged: another method, a query string, a path that is not a record id in its
canonical form, no bearer token (anonymous requests and the web console's cookie). The FastAPI
route stays: it documents the endpoint in the OpenAPI document and answers what this passes on;
``tests/api/test_fastpath.py`` checks that both give the same answers.

It sits inside the web console's middlewares (gzip answers alike).
"""

from __future__ import annotations

import re
import uuid

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from shekara.api.deps import Credentials, run_read
from shekara.api.errors import app_error, unexpected
from shekara.api.records import detail_work
from shekara.errors import AppError
from shekara.records.registry import RESOURCES

PREFIX = "/api/v1/"
_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


class RecordReadFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        name, _, record_id = path[len(PREFIX) :].partition("/")
        spec = RESOURCES.get(name) if path.startswith(PREFIX) else None
        if spec is None or not _CANONICAL_UUID.fullmatch(record_id):
            await self.app(scope, receive, send)
            return
        authorization = x_purpose = None
        for key, value in scope["headers"]:  # the first of each, as Starlette's Headers.get
            if key == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif key == b"x-purpose" and x_purpose is None:
                x_purpose = value.decode("latin-1")
        if authorization is None or authorization[:7].lower() != "bearer ":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await run_read(
                Credentials(request, authorization, x_purpose),
                detail_work(spec, uuid.UUID(record_id)),
            )
        except AppError as exc:
            response = await app_error(request, exc)
        except Exception as exc:
            response = await unexpected(request, exc)
        await response(scope, receive, send)
