"""Signing in and out, and the language switch."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from shekara.accounts import service as accounts
from shekara.accounts.constants import Perm
from shekara.accounts.limits import LoginLimits, TooManyAttempts
from shekara.api.deps import SessionDep, SettingsDep
from shekara.errors import NotAuthenticated
from shekara.web.i18n import LOCALES, N_
from shekara.web.rendering import render
from shekara.web.security import (
    EXPIRED,
    LANG,
    PURPOSE,
    CheckedForm,
    MaybeViewer,
    end_session,
    start_session,
)

router = APIRouter()


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no ``//host``) is a place to go back to."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def home_for(viewer: MaybeViewer) -> str:
    if viewer is None:
        return "/login"
    if viewer.can(Perm.read):
        return "/search"
    if viewer.can(Perm.admin):
        return "/admin"
    return "/audit"


@router.get("/")
def index(viewer: MaybeViewer) -> Response:
    return RedirectResponse(home_for(viewer), status_code=303)


@router.get("/login")
def login_page(
    request: Request, viewer: MaybeViewer, next: Annotated[str | None, Query()] = None
) -> Response:
    if viewer is not None:
        return RedirectResponse(safe_next(next, home_for(viewer)), status_code=303)
    expired = bool(request.session.pop(EXPIRED, False))
    return render(
        request,
        "login.html",
        {"next": safe_next(next, ""), "error": None, "username": "", "expired": expired},
    )


@router.post("/login")
def login_submit(
    request: Request,
    form: CheckedForm,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    ip = request.client.host if request.client else ""
    context = {"next": safe_next(next, ""), "username": username, "expired": False}
    try:
        token = accounts.login(
            session,
            username.strip(),
            password,
            settings.token_ttl_hours,
            ip,
            LoginLimits.from_settings(settings),
        )
    except TooManyAttempts as e:  # audited as a refusal; the password was not checked
        minutes = max(1, math.ceil(e.retry_after / 60))
        error = (
            N_(
                "Too many failed sign-ins for this username. Try again in %(minutes)s min, "
                "or ask your administrator to check the account."
            )
            if e.scope == "username"
            else N_(
                "Too many failed sign-ins from this computer. Try again in %(minutes)s min, "
                "or ask your administrator."
            )
        )
        return render(
            request,
            "login.html",
            {**context, "error": error, "error_args": {"minutes": minutes}},
            status_code=429,
        )
    except NotAuthenticated:  # audited as a failure (committed with this request)
        return render(
            request,
            "login.html",
            {
                **context,
                "error": N_(
                    "Wrong username or password. Check both (and the keyboard layout) "
                    "and try again."
                ),
            },
            status_code=401,
        )
    user = accounts.user_for_token(session, token.access_token)
    start_session(request, token.access_token, user.locale if user else None)
    return RedirectResponse(safe_next(next, "/"), status_code=303)


@router.post("/logout")
def logout(request: Request, form: CheckedForm, session: SessionDep) -> Response:
    end_session(request, session)
    return RedirectResponse("/login", status_code=303)


@router.post("/purpose")
def set_purpose(request: Request, form: CheckedForm) -> Response:
    """Why the user is looking: kept in the session and written into every audit entry."""
    purpose = form.get("purpose")
    text = purpose.strip()[:300] if isinstance(purpose, str) else ""
    if text:
        request.session[PURPOSE] = text
    else:
        request.session.pop(PURPOSE, None)
    target = form.get("next")
    return RedirectResponse(
        safe_next(target if isinstance(target, str) else None, "/search"), status_code=303
    )


@router.post("/lang")
def set_language(request: Request, form: CheckedForm) -> Response:
    lang = form.get("lang")
    if isinstance(lang, str) and lang in LOCALES:
        request.session[LANG] = lang
    target = form.get("next")
    return RedirectResponse(
        safe_next(target if isinstance(target, str) else None, "/"), status_code=303
    )
