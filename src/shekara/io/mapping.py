"""Mapping files: which source column feeds which field of a resource's create schema.

A mapping is a JSON object (see ``docs/import-export.md``)::

    {"resource": "persons", "id_column": "ID", "timezone": "Asia/Almaty",
     "fields": {"names[0].full_name": "ФИО",
                "sex": {"column": "Пол", "map": {"М": "M", "Ж": "F"}},
                "birth_year": {"column": "Дата рождения", "date_format": "%d.%m.%Y",
                               "part": "year"}},
     "constants": {"distribution": "country", "names[1].kind": "passport"}}

:func:`load_mapping` checks it against the resource (every field path must exist in the create
schema) and fails with :class:`MappingError` naming the offending key. :func:`build_row` turns
one source row into the dict that the create schema validates, remembering which column fed
which field so that errors can name both.
"""

from __future__ import annotations

import json
import re
import types
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from shekara.errors import AppError
from shekara.records.registry import RESOURCES
from shekara.records.spec import ResourceSpec

Path = tuple[str | int, ...]
_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
FORMATS = ("csv", "xlsx", "json")


class MappingError(AppError):
    """The mapping file (or the source file's shape) is unusable; ``field`` names the key."""

    status = 400
    code = "bad_mapping"


class UnsupportedFile(AppError):
    status = 400
    code = "unsupported_file"


class FieldSpec(BaseModel):
    """How one field is filled from one source column."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(min_length=1, description="Source column (JSON: key, or dotted path)")
    map: dict[str, Any] = Field(
        default_factory=dict, description="Source value -> value (e.g. 'М' -> 'M')"
    )
    map_only: bool = Field(False, description="Reject values the map does not list")
    date_format: str | list[str] | None = Field(
        None, description="strptime format(s) tried in order, e.g. '%d.%m.%Y'"
    )
    part: Literal["year", "month", "day"] | None = Field(
        None, description="Keep only this part of the parsed date (persons' partial birth date)"
    )
    split: str | None = Field(None, description="Split the cell into a list on this separator")
    default: Any = Field(None, description="Value used when the cell is empty")


class Mapping(BaseModel):
    """A whole mapping file."""

    model_config = ConfigDict(extra="forbid")

    resource: str
    id_column: str | None = Field(
        None, description="Column with the source's own id; stored as external_ref"
    )
    format: Literal["csv", "xlsx", "json"] | None = Field(
        None, description="File type; by default from the file name's extension"
    )
    delimiter: str = Field(",", min_length=1, max_length=1, description="CSV delimiter")
    encoding: str = Field("utf-8-sig", description="CSV text encoding")
    sheet: str | None = Field(None, description="XLSX sheet name; the first sheet by default")
    timezone: str | None = Field(
        None, description="Zone of times given without one: an IANA name or +05:00"
    )
    decimal_comma: bool = Field(
        False, description="Numbers are written 4,2 and 1 200,5 (comma decimals, space groups)"
    )
    fields: dict[str, FieldSpec] = Field(
        default_factory=dict, description="Field path -> column name, or a FieldSpec object"
    )
    constants: dict[str, Any] = Field(default_factory=dict)

    @field_validator("fields", mode="before")
    @classmethod
    def _column_shorthand(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: {"column": x} if isinstance(x, str) else x for k, x in v.items()}
        return v


@dataclass
class CompiledMapping:
    """A mapping checked against its resource, ready to build rows."""

    mapping: Mapping
    spec: ResourceSpec
    fields: dict[str, tuple[Path, FieldSpec, str]]  # path text -> (path, spec, leaf kind)
    constants: list[tuple[str, Path, Any]]
    tz: tzinfo | None

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(mapping key, column) for every column the file must have (no ``default``)."""
        out = [(f"fields.{p}", fs.column) for p, (_, fs, _) in self.fields.items()
               if fs.default is None]
        if self.mapping.id_column:
            out.append(("id_column", self.mapping.id_column))
        return out


@dataclass
class BuiltRow:
    data: dict[str, Any]
    external_ref: str | None
    errors: list[dict[str, str]] = field(default_factory=list)
    # final list-prefix -> original indices (items without any value are dropped)
    remap: dict[Path, list[int]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # original path text -> column


def parse_path(text: str) -> Path:
    """``names[1].full_name`` -> ``("names", 1, "full_name")``; ValueError if malformed."""
    out: list[str | int] = []
    for part in text.split("."):
        m = _TOKEN.fullmatch(part)
        if m is None:
            raise ValueError(f"malformed field path {text!r}")
        out.append(m.group(1))
        out.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return tuple(out)


def format_path(path: Path | list[str | int]) -> str:
    out = ""
    for c in path:
        if isinstance(c, int):
            out += f"[{c}]"
        else:
            out += f".{c}" if out else str(c)
    return out


def _unwrap(ann: Any) -> Any:
    """Drop ``None`` from optional annotations."""
    origin = get_origin(ann)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return ann


def leaf_kind(schema: type[BaseModel], path: Path) -> str:
    """The kind of value at ``path`` in ``schema``; ValueError naming the bad part.

    Kinds: str, date, datetime, int, float, decimal, bool, enum, uuid, list, model, other.
    """
    ann: Any = schema
    for i, comp in enumerate(path):
        ann = _unwrap(ann)
        if isinstance(comp, int):
            if get_origin(ann) is not list:
                raise ValueError(f"{format_path(path[:i])} is not a list")
            ann = get_args(ann)[0]
            continue
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            raise ValueError(f"{format_path(path[:i])} has no field {comp!r}")
        if comp not in ann.model_fields:
            where = format_path(path[:i]) or schema.__name__
            raise ValueError(f"{where} has no field {comp!r}")
        ann = ann.model_fields[comp].annotation
    ann = _unwrap(ann)
    if ann is AwareDatetime or ann is datetime:
        return "datetime"
    if ann is date:
        return "date"
    if get_origin(ann) is list:
        return "list"
    if isinstance(ann, type):
        for typ, kind in ((BaseModel, "model"), (Enum, "enum"), (bool, "bool"), (int, "int"),
                          (float, "float"), (Decimal, "decimal"), (str, "str"),
                          (uuid.UUID, "uuid")):
            if issubclass(ann, typ):
                return kind
    return "other"


def _zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z"):
        return UTC
    m = _OFFSET.match(name)
    if m:
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
        return timezone(-delta if m.group(1) == "-" else delta)
    return ZoneInfo(name)


def load_mapping(raw: str | bytes | dict[str, Any]) -> CompiledMapping:
    """Parse and check a mapping; MappingError names the key at fault."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as e:
            raise MappingError(f"the mapping is not valid JSON: {e}", field="(file)") from e
    if not isinstance(raw, dict):
        raise MappingError("the mapping must be a JSON object", field="(file)")
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        key = format_path(tuple(first["loc"])) or "(file)"
        raise MappingError(f"mapping key {key!r}: {first['msg']}", field=key) from e
    spec = RESOURCES.get(mapping.resource)
    if spec is None:
        raise MappingError(
            f"mapping key 'resource': unknown resource {mapping.resource!r}; "
            f"one of {', '.join(RESOURCES)}", field="resource")
    schema = spec.create_schema
    fields: dict[str, tuple[Path, FieldSpec, str]] = {}
    for text, fs in mapping.fields.items():
        key = f"fields.{text}"
        path = _checked_path(schema, text, key)
        if path == ("external_ref",):
            raise MappingError(f"mapping key {key!r}: set external_ref with 'id_column'",
                               field=key)
        kind = leaf_kind(schema, path)
        if fs.split is not None and kind != "list":
            raise MappingError(f"mapping key {key!r}: 'split' needs a list field", field=key)
        fields[text] = (path, fs, kind)
    constants = []
    for text, value in mapping.constants.items():
        constants.append((text, _checked_path(schema, text, f"constants.{text}"), value))
    _check_constants(schema, constants)
    tz = None
    if mapping.timezone:
        try:
            tz = _zone(mapping.timezone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise MappingError(f"mapping key 'timezone': unknown zone {mapping.timezone!r}",
                               field="timezone") from e
    if not fields and not mapping.id_column:
        raise MappingError("mapping key 'fields': map at least one column", field="fields")
    return CompiledMapping(mapping, spec, fields, constants, tz)


def _check_constants(schema: type[BaseModel], constants: list[tuple[str, Path, Any]]) -> None:
    """Validate the constants once, so that a bad one is a mapping error, not N bad rows."""
    tree: dict[str, Any] = {}
    for _text_path, path, value in constants:
        _put(tree, path, value, create=True)
    probe = BuiltRow(data={}, external_ref=None)
    probe.data = _finish(tree, (), probe.remap)
    try:
        schema.model_validate(probe.data)
    except ValidationError as e:
        texts = {t for t, _, _ in constants}
        for err in e.errors():
            where = original_path(probe, tuple(err["loc"]))
            if err["type"] != "missing" and where in texts:
                key = f"constants.{where}"
                raise MappingError(f"mapping key {key!r}: {err['msg']}", field=key) from e


def _checked_path(schema: type[BaseModel], text: str, key: str) -> Path:
    try:
        path = parse_path(text)
        leaf_kind(schema, path)
    except ValueError as e:
        raise MappingError(f"mapping key {key!r}: {e}", field=key) from e
    return path


# -- building rows -------------------------------------------------------------------------


def cell(row: dict[str, Any], column: str) -> Any:
    """A column's value; for JSON sources also a dotted path into nested objects."""
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def has_column(row: dict[str, Any], column: str) -> bool:
    if column in row:
        return True
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


def _map(value: Any, fs: FieldSpec) -> Any:
    if not fs.map:
        return value
    key = _text(value).strip()
    if key in fs.map:
        return fs.map[key]
    if fs.map_only:
        raise ValueError(f"value {key!r} is not in the map ({', '.join(fs.map)})")
    return value


_PART_DIRECTIVES = {"year": ("%Y", "%y"), "month": ("%m", "%b", "%B"), "day": ("%d", "%j")}


def _parse_date(value: Any, fs: FieldSpec) -> Any:
    """Parse with the first matching format; ``None`` when ``part`` is not in that format.

    So ``["%d.%m.%Y", "%m.%Y", "%Y"]`` fills birth_year/birth_month/birth_day from full or
    partial dates alike.
    """
    if fs.date_format is None or isinstance(value, datetime | date):
        return value
    formats = [fs.date_format] if isinstance(fs.date_format, str) else fs.date_format
    text = _text(value).strip()
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fs.part is not None and not any(d in fmt for d in _PART_DIRECTIVES[fs.part]):
            return None
        return parsed
    raise ValueError(f"{text!r} does not match the date format {' or '.join(formats)}")


def _coerce(value: Any, kind: str, tz: tzinfo | None) -> Any:
    """Adapt a cell value (XLSX numbers and dates, CSV text) to what the field expects."""
    if kind == "str" and not isinstance(value, str):
        return _text(value)
    if kind == "date" and isinstance(value, datetime):
        return value.date()
    if kind == "datetime":
        if isinstance(value, str) and tz is not None:
            try:
                value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                return value  # pydantic reports it
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        if isinstance(value, datetime) and value.tzinfo is None and tz is not None:
            value = value.replace(tzinfo=tz)
    if isinstance(value, str):
        return value.strip()
    return value


_NUMERIC = ("int", "float", "decimal")


def _number(text: str) -> str:
    """``1 200,5`` -> ``1200.5`` (comma decimals, space or no-break-space groups)."""
    return "".join(text.split()).replace(",", ".")  # split() also drops no-break spaces


def convert(raw: Any, fs: FieldSpec, kind: str, tz: tzinfo | None,
            decimal_comma: bool = False) -> Any:
    """One cell through split, map, date parsing, part and coercion; ValueError if unusable."""
    if _empty(raw):
        return None
    if kind == "list" and isinstance(raw, str) and fs.split is not None:
        items = [p.strip() for p in raw.split(fs.split) if p.strip()]
        return [_map(p, fs) for p in items]
    if kind == "list" and isinstance(raw, list):  # JSON sources
        return [_map(p, fs) for p in raw if not _empty(p)]
    value = _parse_date(_map(raw, fs), fs)
    if decimal_comma and kind in _NUMERIC and isinstance(value, str):
        value = _number(value)
    if value is None:
        return None
    if fs.part is not None:
        if not isinstance(value, date):
            raise ValueError(f"{_text(value)!r} is not a date; give 'date_format'")
        return getattr(value, fs.part)
    return _coerce(value, kind, tz)


def _put(tree: dict[str, Any], path: Path, value: Any, *, create: bool) -> bool:
    """Set ``value`` at ``path``; lists are int-keyed dicts until :func:`_finish`.

    With ``create=False`` (constants inside list items) the item must exist already: a list
    item exists only when one of its columns had a value.
    """
    node: Any = tree
    if not create:
        for comp in path[:-1]:
            if not isinstance(node, dict) or comp not in node:
                return False
            node = node[comp]
        node = tree
    for comp in path[:-1]:
        node = node.setdefault(comp, {})
        if not isinstance(node, dict):
            return False
    node[path[-1]] = value
    return True


def _finish(node: Any, prefix: Path, remap: dict[Path, list[int]]) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        order = sorted(node)
        remap[prefix] = order
        return [_finish(node[k], (*prefix, i), remap) for i, k in enumerate(order)]
    return {k: _finish(v, (*prefix, k), remap) for k, v in node.items()}


def build_row(cm: CompiledMapping, row: dict[str, Any]) -> BuiltRow:
    """The create-schema input for one source row, plus the errors of its cells."""
    tree: dict[str, Any] = {}
    out = BuiltRow(data={}, external_ref=None)
    if cm.mapping.id_column:
        ext = cell(row, cm.mapping.id_column)
        if _empty(ext):
            out.errors.append({"field": "external_ref", "column": cm.mapping.id_column,
                               "message": "the id column is empty"})
        else:
            out.external_ref = _text(ext).strip()
    for text, (path, fs, kind) in cm.fields.items():
        out.columns[text] = fs.column
        try:
            value = convert(cell(row, fs.column), fs, kind, cm.tz, cm.mapping.decimal_comma)
        except ValueError as e:
            out.errors.append({"field": text, "column": fs.column, "message": str(e)})
            continue
        if value is None:
            value = fs.default
        if value is not None:
            _put(tree, path, value, create=True)
    for _text_path, path, value in cm.constants:
        _put(tree, path, value, create=not any(isinstance(c, int) for c in path))
    out.data = _finish(tree, (), out.remap)
    if out.external_ref is not None:
        out.data["external_ref"] = out.external_ref
    return out


def original_path(built: BuiltRow, loc: Path | list[str | int]) -> str:
    """A path in the built data, as the mapping wrote it (undo dropped list items)."""
    out: list[str | int] = []
    final: list[str | int] = []
    for comp in loc:
        if isinstance(comp, int):
            order = built.remap.get(tuple(final))
            out.append(order[comp] if order is not None and comp < len(order) else comp)
        else:
            out.append(comp)
        final.append(comp)
    return format_path(out)


def column_for(built: BuiltRow, path_text: str) -> str:
    """The source column behind a field path (or its closest mapped parent/child)."""
    if path_text in built.columns:
        return built.columns[path_text]
    def related(p: str) -> bool:
        return any(a.startswith(b + sep) for a, b in ((p, path_text), (path_text, p))
                   for sep in (".", "["))

    hits = [c for p, c in built.columns.items() if related(p)]
    return ", ".join(dict.fromkeys(hits))
