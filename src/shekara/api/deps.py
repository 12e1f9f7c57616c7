"""Typed dependencies, declared once: the settings, the unit of work, the viewer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from shekara.accounts.service import viewer_for_token
from shekara.policy.sharing import Viewer
from shekara.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler succeeds, else rolled back."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def get_viewer(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header(description="Bearer <token>")] = None,
    x_purpose: Annotated[
        str | None, Header(description="Why you access (recorded in the audit log)")
    ] = None,
) -> Viewer | None:
    """The signed-in user from a bearer token or the web session cookie; None if anonymous."""
    token = None
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    elif "session" in request.scope and request.session.get("token"):
        token = request.session["token"]
    if not token:
        return None
    return viewer_for_token(session, token, _client_ip(request), (x_purpose or "")[:300])


ViewerDep = Annotated[Viewer | None, Depends(get_viewer)]
