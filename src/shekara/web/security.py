"""Web sessions: who is signed in, the idle timeout, the language, and CSRF tokens.

The session cookie (Starlette's ``SessionMiddleware``, signed with ``settings.secret_key``) holds
only the API token issued at login, a CSRF token, the chosen language and the time of the last
request. The viewer is resolved exactly as for the API (:func:`shekara.api.deps.get_viewer`), so
the same roles and the same sharing policy apply.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import time
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from shekara.accounts.service import revoke
from shekara.api.deps import SessionDep, SettingsDep, get_viewer
from shekara.errors import Forbidden, NotAuthenticated
from shekara.policy.sharing import Viewer
from shekara.web.i18n import LOCALES, negotiate

TOKEN = "token"
CSRF = "csrf"
LANG = "lang"
SEEN = "seen"
EXPIRED = "expired"
PURPOSE = "purpose"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfFailed(Forbidden):
    """A form came without the session's CSRF token (expired page or forged request)."""


def _session_secret(request: Request) -> bytes:
    token = request.session.get(CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF] = token
    return token.encode()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, masked afresh for every page.

    The secret is XOR-ed with a random pad sent alongside it, so that no two responses carry
    the same bytes: compressed pages that also reflect user input (BREACH) reveal nothing.
    """
    secret = _session_secret(request)
    pad = secrets.token_bytes(len(secret))
    return base64.urlsafe_b64encode(
        pad + bytes(a ^ b for a, b in zip(pad, secret, strict=True))
    ).decode()


def csrf_matches(request: Request, sent: str) -> bool:
    expected = request.session.get(CSRF)
    if not (isinstance(expected, str) and expected and sent):
        return False
    try:
        raw = base64.urlsafe_b64decode(sent.encode())
    except (ValueError, binascii.Error):
        return False
    half = len(raw) // 2
    if len(raw) != 2 * len(expected.encode()):
        return False
    secret = bytes(a ^ b for a, b in zip(raw[:half], raw[half:], strict=True))
    return hmac.compare_digest(secret, expected.encode())


def locale_of(request: Request) -> str:
    lang = request.session.get(LANG) if "session" in request.scope else None
    if isinstance(lang, str) and lang in LOCALES:
        return lang
    return negotiate(request.headers.get("accept-language"))


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not (isinstance(sent, str) and csrf_matches(request, sent)):
        raise CsrfFailed("the form has expired or did not come from this site")
    return form


def web_viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer | None:
    """The signed-in user, or None; ends the session after ``session_idle_minutes`` idle."""
    token = request.session.get(TOKEN)
    if not token:
        return None
    now = int(time.time())
    seen = request.session.get(SEEN)
    if not isinstance(seen, int) or now - seen > settings.session_idle_minutes * 60:
        revoke(session, token)
        lang = request.session.get(LANG)
        request.session.clear()
        if lang:
            request.session[LANG] = lang
        request.session[EXPIRED] = True
        return None
    request.session[SEEN] = now
    purpose = request.session.get(PURPOSE)
    return get_viewer(
        request,
        session,
        authorization=None,
        x_purpose=purpose if isinstance(purpose, str) else None,
    )


def signed_in(viewer: Annotated[Viewer | None, Depends(web_viewer)]) -> Viewer:
    if viewer is None:
        raise NotAuthenticated("sign in to continue")
    return viewer


def start_session(request: Request, token: str, lang: str | None) -> None:
    """A fresh session (new CSRF token: no fixation across the login)."""
    chosen = request.session.get(LANG)
    request.session.clear()
    request.session[TOKEN] = token
    request.session[SEEN] = int(time.time())
    request.session[LANG] = chosen if chosen in LOCALES else (lang if lang in LOCALES else "en")
    _session_secret(request)


def end_session(request: Request, session: SessionDep) -> None:
    token = request.session.get(TOKEN)
    if token:
        revoke(session, token)
    lang = request.session.get(LANG)
    request.session.clear()
    if lang:
        request.session[LANG] = lang


MaybeViewer = Annotated[Viewer | None, Depends(web_viewer)]
SignedIn = Annotated[Viewer, Depends(signed_in)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
