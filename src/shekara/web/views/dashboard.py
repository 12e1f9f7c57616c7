"""The dashboard: what the user's scope holds, from :func:`shekara.stats.service.summary`."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from shekara.agencies.service import list_countries
from shekara.api.deps import SessionDep
from shekara.stats.service import Summary, summary
from shekara.web.i18n import Translator, translator
from shekara.web.rendering import ENUM_LABELS, render, vocab_names
from shekara.web.security import SignedIn, locale_of
from shekara.web.stats import SectionCount, incidents_by_border_section
from shekara.web.views.maps import day_start

router = APIRouter()


def chart_data(
    s: Summary, t: Translator, term: Any, sections: list[SectionCount], locale: str
) -> dict[str, Any]:
    """Labels in the user's language and series for the charts (presentation only)."""
    months = sorted(
        {b.month for b in s.seizures_by_commodity_month if b.month}
        | {b.month for b in s.incidents_by_month if b.month}
    )
    commodities = sorted({b.key for b in s.seizures_by_commodity_month})
    counts = {(b.key, b.month): 0 for b in s.seizures_by_commodity_month}
    for b in s.seizures_by_commodity_month:
        counts[(b.key, b.month)] += b.count
    statuses = ENUM_LABELS["case_status"]
    return {
        "months": [t.month(m) for m in months],
        "seizures": [
            {"label": term("commodity", c), "data": [counts.get((c, m), 0) for m in months]}
            for c in commodities
        ],
        "incidents_by_month": [
            next((b.count for b in s.incidents_by_month if b.month == m), 0) for m in months
        ],
        "categories": {
            "labels": [term("threat_category", b.key) for b in s.incidents_by_category],
            "data": [b.count for b in s.incidents_by_category],
        },
        "sections": {
            "labels": [x.name(locale) for x in sections],
            "data": [x.count for x in sections],
        },
        "cases": {
            "labels": [t.gettext(statuses.get(b.key, b.key)) for b in s.cases_by_status],
            "data": [b.count for b in s.cases_by_status],
        },
        "text": {"seizures": t.gettext("Seizures"), "incidents": t.gettext("Incidents")},
    }


@router.get("/dashboard")
def dashboard(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    since: Annotated[date | None, Query()] = None,
    until: Annotated[date | None, Query()] = None,
    country: Annotated[str | None, Query(max_length=2)] = None,
) -> Response:
    locale = locale_of(request)
    s = summary(
        session,
        viewer,
        since=day_start(since),
        until=day_start(until, end=True),
        country=country or None,
    )
    sections = incidents_by_border_section(
        session,
        viewer,
        since=day_start(since),
        until=day_start(until, end=True),
        country=country or None,
    )
    term = vocab_names(request, session)
    countries = [
        (c.code, getattr(c, f"name_{locale}") or c.name_en)
        for c in list_countries(session)
        if c.member
    ]
    return render(
        request,
        "dashboard.html",
        {
            "s": s,
            "sections": sections,
            "chart_json": json.dumps(
                chart_data(s, translator(locale), term, sections, locale), ensure_ascii=False
            ).replace("</", "<\\/"),
            "since": since,
            "until": until,
            "country": country or "",
            "countries": countries,
        },
        viewer=viewer,
        session=session,
    )
