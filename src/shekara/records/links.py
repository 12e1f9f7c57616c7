"""Links between records, shown only when the viewer may see both ends (in full)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from shekara.db.driver import pg_rows
from shekara.policy.sharing import Viewer, visible
from shekara.records.schemas import LinkOut


def linked(
    session: Session,
    viewer: Viewer,
    model: Any,
    type_: str,
    label: Callable[[Any], str],
    where: ColumnElement[bool],
    *,
    roles: dict[uuid.UUID, str] | None = None,
    limit: int = 200,
) -> list[LinkOut]:
    rows: Sequence[Any] = (
        []
        if _is_empty_in(where)
        else session.execute(select(model).where(where, visible(viewer, model)).limit(limit))
        .scalars()
        .all()
    )
    return [
        LinkOut(id=r.id, type=type_, label=label(r), role=(roles or {}).get(r.id, "")) for r in rows
    ]


def one_link(
    session: Session,
    viewer: Viewer,
    model: Any,
    type_: str,
    label: Callable[[Any], str],
    record_id: uuid.UUID | None,
) -> LinkOut | None:
    if record_id is None:
        return None
    found = linked(session, viewer, model, type_, label, model.id == record_id, limit=1)
    return found[0] if found else None


def _is_empty_in(where: ColumnElement[bool]) -> bool:
    """True for ``col.in_([])``: no query needed, nothing can match."""
    right = getattr(where, "right", None)
    op = getattr(getattr(where, "operator", None), "__name__", "")
    return op == "in_op" and getattr(right, "value", None) == []


def candidates(session: Session, sources: dict[str, Any]) -> dict[str, dict[uuid.UUID, str]]:
    """Ids (and roles) of linked records of each kind, in one UNION ALL query, before policy.

    ``sources`` maps a kind to a select of two columns (id, role). Only kinds with candidates
    then cost a policy-filtered query each, so a record without links costs one query.
    """
    parts = [sel.add_columns(literal(kind).label("kind")) for kind, sel in sources.items()]
    out: dict[str, dict[uuid.UUID, str]] = {k: {} for k in sources}
    for rid, role, kind in session.execute(union_all(*parts)).all():
        out[kind][rid if isinstance(rid, uuid.UUID) else uuid.UUID(str(rid))] = role or ""
    return out


# Statements built once and reused: building and coercing SQL expressions costs more CPU than
# running them. Keys hold the (cached, immutable) policy condition of the audience.
_STATEMENTS: dict[Any, Any] = {}


def _cached(key: Any, build: Callable[[], Any]) -> Any:
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        if len(_STATEMENTS) > 8192:
            _STATEMENTS.clear()
        stmt = _STATEMENTS[key] = build()
    return stmt


def linked_where(
    session: Session,
    viewer: Viewer,
    model: Any,
    type_: str,
    label: Callable[[Any], str],
    key: str,
    where: Callable[[], ColumnElement[bool]],
    params: dict[str, Any],
    *,
    roles: dict[uuid.UUID, str] | None = None,
    limit: int = 200,
) -> list[LinkOut]:
    """Like :func:`linked` with a condition built once (``where()`` uses bind parameters
    named in ``params``); ``key`` names the condition among the model's link queries."""
    cond = visible(viewer, model)
    stmt = _cached(
        ("where", model, key, cond, limit),
        lambda: select(model).where(where(), cond).limit(limit),
    )
    rows = session.execute(stmt, params).scalars().all()
    return [
        LinkOut(id=r.id, type=type_, label=label(r), role=(roles or {}).get(r.id, "")) for r in rows
    ]


def linked_ids(
    session: Session,
    viewer: Viewer,
    model: Any,
    type_: str,
    label: Callable[[Any], str],
    ids: Sequence[uuid.UUID] | dict[uuid.UUID, str],
    *,
    roles: dict[uuid.UUID, str] | None = None,
) -> list[LinkOut]:
    """The records of ``model`` among ``ids`` that the viewer may see (no query for none)."""
    id_list = list(ids)
    if not id_list:
        return []
    return linked_where(
        session,
        viewer,
        model,
        type_,
        label,
        "id_in",
        lambda: model.id.in_(bindparam("ids", expanding=True)),
        {"ids": id_list},
        roles=roles,
    )


def cached_candidates(
    session: Session,
    key: str,
    sources: Callable[[], dict[str, Any]],
    params: dict[str, Any],
) -> dict[str, dict[uuid.UUID, str]]:
    """:func:`candidates` with the UNION built once under ``key`` (bind parameters in
    ``params``)."""

    def build() -> Any:
        parts = sources()
        return (
            list(parts),
            union_all(
                *[sel.add_columns(literal(kind).label("kind")) for kind, sel in parts.items()]
            ),
        )

    kinds, stmt = _cached(("candidates", key), build)
    out: dict[str, dict[uuid.UUID, str]] = {k: {} for k in kinds}
    # plain rows (no entities): the session's connection, without the ORM's execution layers
    # (on PostgreSQL, without SQLAlchemy's: every detail read runs it)
    conn = session.connection()
    rows = (
        pg_rows(conn, stmt, params)
        if conn.dialect.name == "postgresql"
        else conn.execute(stmt, params).all()
    )
    for rid, role, kind in rows:
        out[kind][rid if isinstance(rid, uuid.UUID) else uuid.UUID(str(rid))] = role or ""
    return out
