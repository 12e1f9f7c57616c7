"""Jinja2 templates, the page context every template gets, and HTML error pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from shekara import __version__
from shekara.accounts.constants import Perm
from shekara.agencies.models import Agency
from shekara.errors import AppError, NotAuthenticated, NotFound
from shekara.policy.sharing import Viewer
from shekara.vocab.models import VocabTerm
from shekara.web.forms import field_label, slug
from shekara.web.i18n import LANGUAGE_NAMES, LOCALES, N_, Translator, translator
from shekara.web.presenters import EXTRA_ENUMS
from shekara.web.security import CsrfFailed, csrf_token, locale_of

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["slug"] = slug
    env.globals["field_label"] = field_label
    env.filters["todt"] = lambda v: v if isinstance(v, datetime) else datetime.fromisoformat(v)
    env.filters["todate"] = lambda v: v if isinstance(v, date) else date.fromisoformat(v)
    env.filters["zip_self"] = lambda items: [(x, x) for x in items]
    env.filters["zip_label"] = lambda items, kind, label: [(x, label(kind, x)) for x in items]
    return env


def security_headers(tile_url: str = "") -> dict[str, str]:
    img = "'self' data:"
    if tile_url.startswith(("http://", "https://")):
        origin = "/".join(tile_url.split("/")[:3]).replace("{s}.", "")
        img += f" {origin} *.{origin.split('//', 1)[1]}"
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src {img}; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
            "base-uri 'none'; object-src 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


def vocab_names(request: Request, session: Session | None) -> Callable[[str, str | None], str]:
    """``term(vocabulary, code)``: the term's name in the user's language (one query a page)."""
    cache: dict[tuple[str, str], VocabTerm] | None = getattr(request.state, "vocab", None)
    if cache is None:
        cache = {}
        if session is not None:
            for t in session.execute(select(VocabTerm)).scalars():
                cache[(t.vocabulary, t.code)] = t
        request.state.vocab = cache
    locale = locale_of(request)

    def term(vocabulary: str, code: str | None) -> str:
        if not code:
            return ""
        found = cache.get((vocabulary, code)) if cache else None
        return found.name(locale) if found else code

    return term


def agency_names(request: Request, session: Session | None) -> Callable[[Any], str]:
    """``agency_name(ref)``: an agency's name in the user's language (one query a page)."""
    cache: dict[str, Agency] | None = getattr(request.state, "agencies", None)
    if cache is None:
        cache = {}
        if session is not None:
            cache = {str(a.id): a for a in session.execute(select(Agency)).scalars()}
        request.state.agencies = cache
    locale = locale_of(request)

    def agency_name(ref: Any) -> str:
        key = str(ref.get("id") if isinstance(ref, dict) else getattr(ref, "id", ref))
        found = cache.get(key) if cache else None
        fallback = ref.get("name", "") if isinstance(ref, dict) else getattr(ref, "name", "")
        if found is None:
            return str(fallback)
        return str(getattr(found, f"name_{locale}", "") or found.name)

    return agency_name


# Values of enumerations shown to users, by kind (translated where shown).
ENUM_LABELS: dict[str, dict[str, str]] = {
    "distribution": {
        "agency": N_("Own agency only"),
        "country": N_("Own country"),
        "partners": N_("Own country and named partners"),
        "all": N_("All member countries"),
    },
    "handling_code": {
        "H0": N_("H0 – law enforcement use only"),
        "H1": N_("H1 – not for court without the provider's permission"),
        "H2": N_("H2 – no further dissemination without permission"),
        "H3": N_("H3 – other restrictions, see the note"),
    },
    "source_reliability": {
        "A": N_("A – reliable"),
        "B": N_("B – usually reliable"),
        "C": N_("C – not usually reliable"),
        "X": N_("X – cannot be judged"),
    },
    "info_credibility": {
        "1": N_("1 – known to be true"),
        "2": N_("2 – known to the source personally"),
        "3": N_("3 – corroborated"),
        "4": N_("4 – cannot be judged"),
    },
    "case_status": {
        "opened": N_("Opened"),
        "investigation": N_("Under investigation"),
        "suspended": N_("Suspended"),
        "referred_to_court": N_("Referred to court"),
        "sentenced": N_("Sentenced"),
        "closed": N_("Closed"),
    },
    "role": {
        "officer": N_("Officer"),
        "inspector": N_("Inspector"),
        "analyst": N_("Analyst"),
        "duty_officer": N_("Duty officer"),
        "liaison_officer": N_("Liaison officer"),
        "supervisor": N_("Supervisor"),
        "administrator": N_("Administrator"),
    },
    "resource": {
        "persons": N_("Person"),
        "documents": N_("Document"),
        "phones": N_("Phone"),
        "vehicles": N_("Vehicle"),
        "organisations": N_("Organisation"),
        "incidents": N_("Incident"),
        "crossings": N_("Border crossing"),
        "cases": N_("Case"),
        "sources": N_("Source"),
        "places": N_("Place"),
        "all": N_("All records"),
        "users": N_("User"),
        "agencies": N_("Agency"),
        "vocab_terms": N_("Vocabulary term"),
    },
    "action": {
        "read": N_("read"),
        "list": N_("listed"),
        "search": N_("searched"),
        "hit_notice": N_("hit notice"),
        "read_denied": N_("read denied"),
        "create": N_("created"),
        "update": N_("changed"),
        "delete": N_("deleted"),
        "export": N_("exported"),
        "stats": N_("statistics"),
        "login": N_("signed in"),
        "login_failed": N_("failed sign-in"),
        "login_refused": N_("sign-in refused"),
        "handover": N_("handed over"),
        "import": N_("imported"),
        "judge": N_("judged"),
        "screen": N_("screened"),
    },
    **EXTRA_ENUMS,
}


def nav_items(viewer: Viewer | None) -> list[tuple[str, str]]:
    if viewer is None:
        return []
    items: list[tuple[str, str]] = []
    if viewer.can(Perm.read):
        items += [("/search", N_("Search")), ("/records/incidents", N_("Incidents"))]
        items.append(("/screening", N_("Screening")))
    if viewer.can(Perm.write):
        items.append(("/incidents/new", N_("New incident")))
    if viewer.can(Perm.read):
        items += [("/map", N_("Map")), ("/tracking", N_("Live map"))]
        items.append(("/dashboard", N_("Dashboard")))
    if viewer.can(Perm.audit_own):
        items.append(("/audit", N_("Access log")))
    if viewer.can(Perm.admin):
        items.append(("/admin", N_("Administration")))
    return items


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    viewer: Viewer | None = None,
    session: Session | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page (or an htmx fragment) in the user's language."""
    locale = locale_of(request)
    t: Translator = translator(locale)
    settings = request.app.state.settings

    def label(kind: str, value: Any) -> str:
        raw = str(getattr(value, "value", value))
        found = ENUM_LABELS.get(kind, {}).get(raw)
        return t.gettext(found) if found else raw

    ctx: dict[str, Any] = {
        "request": request,
        "viewer": viewer,
        "lang": locale,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LOCALES],
        "t": t,
        "_": t.gettext,
        "ngettext": t.ngettext,
        "csrf": csrf_token(request),
        "nav": nav_items(viewer),
        "term": vocab_names(request, session),
        "agency_name": agency_names(request, session),
        "label": label,
        "version": __version__,
        "path": request.url.path,
        "is_htmx": request.headers.get("hx-request") == "true",
        "Perm": Perm,
    }
    ctx.update(context or {})
    html = environment().get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=security_headers(settings.tile_url))


def is_web_path(path: str) -> bool:
    return not path.startswith(("/api/", "/docs", "/redoc", "/health", "/static/"))


def error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def html_error(request: Request, exc: Exception) -> Response:
    """Errors on web pages: a sign-in redirect, or a page that says what to do."""
    if isinstance(exc, NotAuthenticated):
        target = "/login?next=" + request.url.path
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if isinstance(exc, CsrfFailed):
        return error_page(
            request, 403, N_("This form has expired. Go back, reload the page and submit it again.")
        )
    if isinstance(exc, NotFound | RequestValidationError) or (
        isinstance(exc, StarletteHTTPException) and exc.status_code == 404
    ):
        # The same page for a missing record and one the policy hides from this user.
        return error_page(
            request,
            404,
            N_(
                "There is no such page or record, or you may not see it. Check the address or "
                "search again."
            ),
        )
    if isinstance(exc, AppError) and exc.status == 403:
        return error_page(
            request,
            403,
            N_("Your role does not allow this. Ask your administrator if you need it."),
        )
    if isinstance(exc, StarletteHTTPException):
        return error_page(request, exc.status_code, N_("The request could not be handled."))
    return error_page(request, 400, N_("The request could not be handled."))
