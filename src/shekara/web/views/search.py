"""One search box over every record the user may see: names in any script, plates, numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from shekara.accounts.constants import Perm
from shekara.api.deps import SessionDep
from shekara.records.registry import RESOURCES
from shekara.records.service import require
from shekara.search.service import search
from shekara.web.rendering import render
from shekara.web.security import SignedIn

router = APIRouter()
MIN_QUERY = 2


@router.get("/search")
def search_page(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    q: Annotated[str, Query(max_length=200)] = "",
    type: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    require(viewer, Perm.read)
    q = q.strip()
    types = [type] if type in RESOURCES else None
    result = None
    if len(q) >= MIN_QUERY:
        result = search(session, viewer, q, types=types, limit=20)
    ctx = {
        "q": q,
        "type": type if types else "",
        "result": result,
        "min_query": MIN_QUERY,
        "types": [name for name, spec in RESOURCES.items() if spec.text_search is not None],
    }
    fragment = request.headers.get("hx-request") == "true" and request.headers.get(
        "hx-target", ""
    ).endswith("results")
    template = "search_results.html" if fragment else "search.html"
    return render(request, template, ctx, viewer=viewer, session=session)
