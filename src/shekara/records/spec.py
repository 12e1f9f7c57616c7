"""The description of one shared-record resource, read by the generic service and router."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from shekara.policy.sharing import Viewer

Filter = Callable[[Any], ColumnElement[bool]]


@dataclass
class ResourceSpec:
    name: str  # URL segment and audit resource name, e.g. "persons"
    title: str  # human name for the OpenAPI tags
    model: Any
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    public_schema: type[BaseModel]
    label: Callable[[Any], str]
    # name -> (python type, description, builder of the SQL condition from the value)
    filters: dict[str, tuple[type, str, Filter]] = field(default_factory=dict)
    text_search: Callable[[str], ColumnElement[bool]] | None = None
    # A faster statement for the search across everything (may yield a row more than once)
    search_select: Callable[[str], Any] | None = None
    order_by: Callable[[], Any] | None = None
    # build(session, viewer, obj, create_data): set fields, nested children; validate references
    build: Callable[[Session, Viewer, Any, BaseModel], None] | None = None
    # patch(session, viewer, obj, update_data) for fields the generic patch cannot set
    patch: Callable[[Session, Viewer, Any, BaseModel], None] | None = None
    # summary(session, viewer, obj) -> cheap fields beyond the columns, shown in lists too
    summary: Callable[[Session, Viewer, Any], dict[str, Any]] | None = None
    # extra(session, viewer, obj, **detail_values) -> links to other records, shown on detail
    # reads only; ``detail_values`` are those of ``detail_columns`` on a detail read (none when
    # the record was loaded otherwise, e.g. after a change: extra() must then query)
    extra: Callable[..., dict[str, Any]] | None = None
    # eager-loading options for lists (avoid one query per row)
    load_options: Callable[[], list[Any]] | None = None
    # child collections loaded with the record on a detail read (relationships whose rows
    # refer to the record's id; see :mod:`shekara.records.detail`)
    detail_children: Callable[[], list[Any]] | None = None
    # detail_columns() -> {name: SQL expression over the record}, selected in the same statement
    # as the record on a detail read and passed to extra() by name: e.g. whether any link of a
    # kind exists, so that a record without one costs no query for that kind
    detail_columns: Callable[[], dict[str, ColumnElement[Any]]] | None = None
    # Columns excluded from generic create/patch (set by build/patch)
    custom_fields: frozenset[str] = frozenset()
    create_example: dict[str, Any] = field(default_factory=dict)
