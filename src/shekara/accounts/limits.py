"""Failed-login limits: too many failures for a username, or from one address, are refused.

Failures are audit entries (action ``login_failed``, the attempted username and the client
address), so the count is shared by every server process and survives restarts, and an
administrator sees them in the audit log. A refused attempt is audited too
(``login_refused``) but does not count: the refusal ends when enough failures have left the
window, never later. A successful login clears the username's count, not the address's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.orm import Session

from shekara.accounts.models import User
from shekara.audit.models import AuditEntry
from shekara.db.base import utcnow
from shekara.errors import AppError

FAILED = "login_failed"
REFUSED = "login_refused"


class TooManyAttempts(AppError):
    """Refused before the password is checked; ``retry_after`` in seconds."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int, scope: str) -> None:
        super().__init__(
            f"too many failed logins for this {scope}; try again in {retry_after} s",
            extra={"retry_after": retry_after},
        )
        self.retry_after = retry_after
        self.scope = scope


@dataclass(frozen=True)
class LoginLimits:
    per_user: int = 5  # failures for one username within the window; 0 = no limit
    per_ip: int = 20  # failures from one client address within the window; 0 = no limit
    window_minutes: int = 15

    @classmethod
    def from_settings(cls, settings: Any) -> LoginLimits:
        return cls(
            per_user=settings.login_max_failures,
            per_ip=settings.login_max_failures_per_ip,
            window_minutes=settings.login_window_minutes,
        )


def _locked_until(
    session: Session, where: ColumnElement[bool], limit: int, since: datetime
) -> datetime | None:
    """When the ``limit``-th latest failure leaves the window, if there are that many."""
    if limit <= 0:
        return None
    rows = (
        session.execute(
            select(AuditEntry.at)
            .where(AuditEntry.at >= since, AuditEntry.action == FAILED, where)
            .order_by(AuditEntry.at.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return rows[-1] if len(rows) >= limit else None


def check(session: Session, limits: LoginLimits, username: str, ip: str) -> None:
    """Raise :class:`TooManyAttempts` (and audit the refusal) when a limit is reached."""
    now = utcnow()
    window = timedelta(minutes=limits.window_minutes)
    since = now - window
    name = username[:80]
    last_ok = session.execute(
        select(AuditEntry.at)
        .where(AuditEntry.at >= since, AuditEntry.action == "login", AuditEntry.username == name)
        .order_by(AuditEntry.at.desc())
        .limit(1)
    ).scalar_one_or_none()
    found = [
        ("username", _locked_until(session, AuditEntry.username == name, limits.per_user,
                                   max(since, last_ok) if last_ok else since)),
        ("address", _locked_until(session, AuditEntry.ip == ip, limits.per_ip, since)
         if ip else None),
    ]  # fmt: skip
    for scope, oldest in found:
        if oldest is not None:
            retry = max(1, math.ceil((oldest + window - now).total_seconds()))
            _audit(session, REFUSED, name, ip, {"scope": scope, "retry_after": retry})
            raise TooManyAttempts(retry, scope)


def record_failure(session: Session, username: str, ip: str) -> None:
    """Audit a failed login (wrong password, unknown or locked user)."""
    _audit(session, FAILED, username[:80], ip, None)


def _audit(
    session: Session, action: str, username: str, ip: str, query: dict[str, Any] | None
) -> None:
    user = session.execute(select(User.id, User.agency_id).where(User.username == username)).first()
    session.execute(
        insert(AuditEntry).values(
            at=utcnow(),
            user_id=None,  # nobody signed in: the name tried is in ``username``
            username=username,
            agency_id=user.agency_id if user else None,
            action=action,
            resource="users",
            record_id=user.id if user else None,
            query=query,
            ip=ip[:64],
            purpose="",
        )
    )
