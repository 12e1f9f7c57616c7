"""The map: incidents, checkpoints and border sections over an offline basemap."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from shekara.accounts.constants import Perm
from shekara.agencies.service import list_countries
from shekara.api.deps import SessionDep, SettingsDep
from shekara.places.service import geojson as places_geojson
from shekara.records.service import require
from shekara.vocab.admin import list_terms
from shekara.web import geo
from shekara.web.geo import basemap_bytes
from shekara.web.rendering import render
from shekara.web.security import SignedIn, locale_of

router = APIRouter(prefix="/map")


def day_start(d: date | None, *, end: bool = False) -> datetime | None:
    if d is None:
        return None
    return datetime.combine(d + timedelta(days=1) if end else d, time(0), tzinfo=UTC)


@router.get("")
def map_page(
    request: Request, session: SessionDep, viewer: SignedIn, settings: SettingsDep
) -> Response:
    require(viewer, Perm.read)
    locale = locale_of(request)

    def terms(vocabulary: str) -> list[tuple[str, str]]:
        rows = [
            (x.code, getattr(x, f"name_{locale}") or x.name_en)
            for x in list_terms(session, viewer, vocabulary)
            if x.active
        ]
        return sorted(rows, key=lambda r: r[1].casefold())

    countries = [
        (c.code, getattr(c, f"name_{locale}") or c.name_en)
        for c in list_countries(session)
        if c.member
    ]
    return render(
        request,
        "map.html",
        {
            "categories": terms("threat_category"),
            "commodities": terms("commodity"),
            "countries": countries,
            "tile_url": settings.tile_url,
            "category_names": dict(terms("threat_category")),
            "since": request.query_params.get("since", ""),
        },
        viewer=viewer,
        session=session,
    )


@router.get("/incidents.geojson")
def map_incidents(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    since: Annotated[date | None, Query()] = None,
    until: Annotated[date | None, Query(description="Last day included")] = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    commodity: Annotated[str | None, Query(max_length=60)] = None,
    country: Annotated[str | None, Query(max_length=2)] = None,
) -> Response:
    body = geo.map_incidents(
        session,
        viewer,
        geo.MapFilters(
            since=day_start(since),
            until=day_start(until, end=True),
            category=category or None,
            commodity=commodity or None,
            country=country or None,
        ),
    )
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", "") and len(body) > 1024:
        # compressed here, at a cheaper level than the middleware's (which then leaves it)
        body = geo.gzip_bytes(body)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/geo+json", headers=headers)


@router.get("/places.geojson")
def map_places(
    session: SessionDep,
    viewer: SignedIn,
    kind: Annotated[str, Query(pattern="^(checkpoint|border_section)$")],
) -> Any:
    return JSONResponse(
        places_geojson(session, viewer, kind), headers={"Cache-Control": "private, max-age=300"}
    )


@router.get("/basemap.geojson")
def basemap(viewer: SignedIn) -> Response:
    return Response(
        basemap_bytes(),
        media_type="application/geo+json",
        headers={"Cache-Control": "private, max-age=86400"},
    )
