"""Accounts: creating users, logging in, resolving bearer tokens to a viewer."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm, Role
from shekara.accounts.limits import LoginLimits, record_failure
from shekara.accounts.limits import check as check_limits
from shekara.accounts.models import ApiToken, User
from shekara.accounts.schemas import TokenOut, UserCreate, UserPublic, UserUpdate
from shekara.accounts.security import hash_password, new_token, token_digest, verify_password
from shekara.agencies.models import Agency, Country
from shekara.audit import service as audit
from shekara.db.base import utcnow
from shekara.db.driver import pg_rows
from shekara.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from shekara.policy.sharing import Viewer
from shekara.records.service import require


def viewer_for(session: Session, user: User, ip: str = "", purpose: str = "") -> Viewer:
    country = session.get(Country, user.agency.country)
    return Viewer(
        user_id=user.id,
        username=user.username,
        agency_id=user.agency_id,
        country=user.agency.country,
        role=user.role,
        member=bool(country and country.member),
        ip=ip,
        purpose=purpose,
    )


def create_user(session: Session, data: UserCreate) -> User:
    """Create a user (no permission check: the CLI and admin API call this)."""
    agency = session.execute(select(Agency).where(Agency.code == data.agency)).scalar_one_or_none()
    if agency is None:
        raise ValidationFailed([{"field": "agency", "message": f"unknown agency {data.agency!r}"}])
    if session.execute(select(User).where(User.username == data.username)).first():
        raise Conflict(f"username {data.username!r} is taken", field="username")
    user = User(
        username=data.username,
        display_name=data.display_name or data.username,
        agency_id=agency.id,
        role=data.role,
        password_hash=hash_password(data.password),
        locale=data.locale,
    )
    session.add(user)
    session.flush()
    return user


def public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        agency_code=user.agency.code,
        country=user.agency.country,
        role=user.role,
        active=user.active,
        locale=user.locale,
    )


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if (
        user is None
        or not user.active
        or not user.agency.active
        or not verify_password(user.password_hash, password)
    ):
        raise NotAuthenticated("wrong username or password")
    return user


def login(
    session: Session,
    username: str,
    password: str,
    ttl_hours: int,
    ip: str = "",
    limits: LoginLimits | None = None,
) -> TokenOut:
    """A new token; a failure is audited (``login_failed``) and, with ``limits``, counted.

    The caller commits the failure's audit entry even though it reports an error.
    """
    if limits is not None:
        check_limits(session, limits, username, ip)
    try:
        user = authenticate(session, username, password)
    except NotAuthenticated:
        record_failure(session, username, ip)
        raise
    token = new_token()
    now = utcnow()
    row = ApiToken(
        user_id=user.id,
        token_hash=token_digest(token),
        created_at=now,
        expires_at=now + timedelta(hours=ttl_hours),
    )
    session.add(row)
    audit.record(session, viewer_for(session, user, ip), "login", "users", record_id=user.id)
    return TokenOut(access_token=token, expires_at=row.expires_at)


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked or row.expires_at <= utcnow():
        return None
    if not row.user.active or not row.user.agency.active:
        return None
    return row.user


_VIEWER_BY_TOKEN = (
    select(
        User.id,
        User.username,
        User.agency_id,
        User.role,
        Agency.country,
        Country.member,
        ApiToken.expires_at,
    )
    .join(User, User.id == ApiToken.user_id)
    .join(Agency, Agency.id == User.agency_id)
    .outerjoin(Country, Country.code == Agency.country)
    .where(
        ApiToken.token_hash == bindparam("digest"),
        ApiToken.revoked.is_(False),
        User.active.is_(True),
        Agency.active.is_(True),
    )
)


def viewer_for_token(
    session: Session, token: str, ip: str = "", purpose: str = ""
) -> Viewer | None:
    """The viewer behind a bearer token in one query, or None (unknown, expired, revoked,
    deactivated user or agency): the same rules as :func:`user_for_token` + :func:`viewer_for`.
    """
    # On the session's connection (same transaction): plain rows, without the ORM's execution
    # layers, which cost as much again as the query on every request; on PostgreSQL through the
    # driver itself (every request runs it).
    conn = session.connection()
    params = {"digest": token_digest(token)}
    if conn.dialect.name == "postgresql":
        rows = pg_rows(conn, _VIEWER_BY_TOKEN, params)
        row = rows[0] if rows else None
    else:
        row = conn.execute(_VIEWER_BY_TOKEN, params).first()
    if row is None:
        return None
    user_id, username, agency_id, role, country, member, expires_at = row
    if expires_at <= utcnow():
        return None
    return Viewer(
        user_id=user_id,
        username=username,
        agency_id=agency_id,
        country=country,
        role=Role(role),
        member=bool(member),
        ip=ip,
        purpose=purpose,
    )


def revoke(session: Session, token: str) -> None:
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token))
    ).scalar_one_or_none()
    if row is not None:
        row.revoked = True


def admin_create_user(session: Session, viewer: Viewer | None, data: UserCreate) -> UserPublic:
    viewer = require(viewer, Perm.admin)
    user = create_user(session, data)
    audit.record(
        session,
        viewer,
        "create",
        "users",
        record_id=user.id,
        after={"username": user.username, "role": user.role.value, "agency": data.agency},
    )
    return public(user)


def admin_update_user(
    session: Session, viewer: Viewer | None, user_id: uuid.UUID, data: UserUpdate
) -> UserPublic:
    viewer = require(viewer, Perm.admin)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    before = {"role": user.role.value, "active": user.active, "display_name": user.display_name}
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.role is not None:
        user.role = data.role
    if data.active is not None:
        user.active = data.active
    if data.locale is not None:
        user.locale = data.locale
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    audit.record(
        session,
        viewer,
        "update",
        "users",
        record_id=user.id,
        before=before,
        after={
            "role": user.role.value,
            "active": user.active,
            "display_name": user.display_name,
            "password_changed": data.password is not None,
        },
    )
    return public(user)


def list_users(session: Session, viewer: Viewer | None) -> list[UserPublic]:
    require(viewer, Perm.admin)
    return [public(u) for u in session.execute(select(User).order_by(User.username)).scalars()]


def list_users_unchecked(session: Session) -> list[UserPublic]:
    """All users, for the local CLI (whoever runs it already holds the database)."""
    return [public(u) for u in session.execute(select(User).order_by(User.username)).scalars()]
