"""The record of a detail read, with its children: the one statement that applies the sharing
policy to it, and the objects built from its rows.

On SQLite the ORM loads it (``joinedload`` of the children). On PostgreSQL, where detail reads
are the hot path (checkpoints and partners' systems read hundreds a second), the ORM's loading
of a record with two collections cost half of the read's CPU time. There the statements run
through the driver (:func:`shekara.db.driver.pg_rows`): the record and its detail columns in
the statement that carries the policy condition, then each child collection by the record's
id (children are visible with their record). The rows become the same mapped objects the ORM
would make, values converted by the columns' own types, attached to the session as loaded
objects: anything not loaded (another relationship) loads lazily as usual, and nothing is
written back. ``tests/records/test_detail.py`` checks both loads give the same answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Float, Numeric, TypeDecorator, bindparam, inspect, select
from sqlalchemy.orm import Mapper, Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from shekara.db.driver import pg_rows
from shekara.records.spec import ResourceSpec

Processor = Callable[[Any], Any] | None
T = TypeVar("T")


def _processor(column: ColumnElement[Any], dialect: Any) -> Processor:
    """The converter SQLAlchemy applies to the column's values (an enum member from its text,
    a UTC time...), or None. Numbers: the type the column is declared with in the database
    (the driver's type code is not read)."""
    t = column.type
    base = t
    while isinstance(base, TypeDecorator):
        base = base.impl_instance
    code = None
    if isinstance(base, Float):
        code = _FLOAT8
    elif isinstance(base, Numeric):
        code = _NUMERIC
    proc: Processor = t._cached_result_processor(dialect, code)
    return proc


_NUMERIC, _FLOAT8 = 1700, 701  # PostgreSQL type oids


@dataclass(frozen=True, slots=True)
class _Rows:
    """Columns of a mapped class as a statement returns them: attribute keys, converters."""

    mapper: Mapper[Any]
    keys: tuple[str, ...]
    processors: tuple[Processor, ...]

    @staticmethod
    def of(mapper: Mapper[Any], dialect: Any) -> tuple[_Rows, list[Any]]:
        props = list(mapper.column_attrs)
        columns = [p.columns[0] for p in props]
        procs = tuple(_processor(c, dialect) for c in columns)
        return _Rows(mapper, tuple(p.key for p in props), procs), columns

    def build(self, row: Sequence[Any]) -> Any:
        obj = self.mapper.class_manager.new_instance()
        d = obj.__dict__
        for key, proc, value in zip(self.keys, self.processors, row, strict=False):
            d[key] = proc(value) if proc is not None and value is not None else value
        return obj


@dataclass(frozen=True, slots=True)
class _Child:
    key: str  # relationship on the record
    rows: _Rows
    statement: Any  # the children of :record_id


@dataclass(frozen=True, slots=True)
class _Loader:
    rows: _Rows
    statement: Any  # the record (and its detail columns) if visible
    extra: tuple[tuple[str, Processor], ...]  # detail columns: name, converter
    children: tuple[_Child, ...]


_ORM_STATEMENTS: dict[tuple[Any, ColumnElement[bool]], Any] = {}
_LOADERS: dict[tuple[Any, ColumnElement[bool]], _Loader] = {}


def _columns(spec: ResourceSpec) -> dict[str, ColumnElement[Any]]:
    return spec.detail_columns() if spec.detail_columns else {}


def _children(spec: ResourceSpec) -> list[Any]:
    return spec.detail_children() if spec.detail_children else []


def orm_statement(spec: ResourceSpec, condition: ColumnElement[bool]) -> Any:
    """``SELECT record[, detail columns] WHERE id = :record_id AND <policy condition>`` with
    the children joined, built once per audience.

    ``condition`` is the (cached, immutable) expression from :func:`visible`; reusing the whole
    statement saves rebuilding and coercing it on every read, the costliest part of a detail read.
    """
    return _cached(_ORM_STATEMENTS, spec, condition, lambda: _orm_statement(spec, condition))


def _orm_statement(spec: ResourceSpec, condition: ColumnElement[bool]) -> Any:
    model = spec.model
    stmt = select(model, *(c.label(n) for n, c in _columns(spec).items())).where(
        model.id == bindparam("record_id", type_=model.id.type), condition
    )
    children = _children(spec)
    return stmt.options(*(joinedload(c) for c in children)) if children else stmt


def _cached(cache: dict[Any, T], spec: ResourceSpec, condition: Any, build: Callable[[], T]) -> T:
    """What ``build`` makes for a resource and an audience (``condition``), made once."""
    key = (spec.model, condition)
    hit = cache.get(key)
    if hit is None:
        if len(cache) > 4096:
            cache.clear()
        hit = cache[key] = build()
    return hit


def _loader(spec: ResourceSpec, condition: ColumnElement[bool], dialect: Any) -> _Loader:
    return _cached(_LOADERS, spec, condition, lambda: _new_loader(spec, condition, dialect))


def _new_loader(spec: ResourceSpec, condition: ColumnElement[bool], dialect: Any) -> _Loader:
    model = spec.model
    rows, columns = _Rows.of(model.__mapper__, dialect)
    detail = _columns(spec)
    statement = select(*columns, *(c.label(n) for n, c in detail.items())).where(
        model.id == bindparam("record_id", type_=model.id.type), condition
    )
    extra = tuple((n, _processor(c, dialect)) for n, c in detail.items())
    children = []
    for attr in _children(spec):
        rel = attr.property
        ((parent_col, child_col),) = rel.local_remote_pairs
        if parent_col is not model.__table__.c.id:
            raise ValueError(f"{attr}: a detail child must refer to the record's id")
        child_rows, child_columns = _Rows.of(rel.mapper, dialect)
        order = list(rel.order_by) if rel.order_by else list(rel.mapper.primary_key)
        children.append(
            _Child(
                rel.key,
                child_rows,
                select(*child_columns)
                .where(child_col == bindparam("record_id", type_=model.id.type))
                .order_by(*order),
            )
        )
    return _Loader(rows, statement, extra, tuple(children))


def load(
    session: Session,
    spec: ResourceSpec,
    condition: ColumnElement[bool],
    record_id: uuid.UUID,
    *,
    driver: bool | None = None,
) -> tuple[Any, dict[str, Any]] | None:
    """The record if ``condition`` (the viewer's policy) lets it be seen, with the values of
    ``spec.detail_columns``; None otherwise. ``driver``: through the driver (the default on
    PostgreSQL, the only backend where it can) or the ORM."""
    conn = session.connection()
    if driver is None:
        driver = conn.dialect.name == "postgresql"
    mapper = spec.model.__mapper__
    if driver and mapper.identity_key_from_primary_key((record_id,)) in session.identity_map:
        # the session holds the record already (it made or changed it): the ORM returns that
        driver = False
    if not driver:
        row = (
            session.execute(orm_statement(spec, condition), {"record_id": record_id})
            .unique()
            .one_or_none()
        )
        if row is None:
            return None
        return row[0], dict(zip(row._fields[1:], row[1:], strict=True))
    loader = _loader(spec, condition, conn.dialect)
    params = {"record_id": record_id}
    found = pg_rows(conn, loader.statement, params)
    if not found:
        return None
    (record,) = found
    n = len(loader.rows.keys)
    obj = loader.rows.build(record)
    values = {
        name: proc(v) if proc is not None and v is not None else v
        for (name, proc), v in zip(loader.extra, record[n:], strict=True)
    }
    for child in loader.children:
        items = [child.rows.build(r) for r in pg_rows(conn, child.statement, params)]
        for item in items:
            make_transient_to_detached(item)
            if inspect(item).key in session.identity_map:
                # a child the session holds already: the ORM loads the record around it
                return load(session, spec, condition, record_id, driver=False)
        set_committed_value(obj, child.key, items)
    make_transient_to_detached(obj)
    # attached as loaded (persistent, unchanged): relationships not loaded here load lazily
    session.add(obj)
    return obj, values
