"""Reading source files (CSV, XLSX, JSON array or JSON lines) into numbered rows.

A row's number is the one a person sees when opening the file: for CSV and XLSX the sheet row
(the header is row 1, so the first record is row 2); for JSON lines the line number; for a JSON
array the item's position, counted from 1.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from shekara.io.mapping import CompiledMapping, MappingError, UnsupportedFile, has_column

EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
              ".json": "json", ".jsonl": "json", ".ndjson": "json"}


@dataclass
class SourceRow:
    number: int
    values: dict[str, Any]
    error: str | None = None  # the row could not be read (a malformed JSON line)


def file_format(name: str, cm: CompiledMapping) -> str:
    """The file type: the mapping's ``format``, else from the extension."""
    if cm.mapping.format:
        return cm.mapping.format
    suffix = PurePath(name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise UnsupportedFile(
            f"cannot tell the type of {PurePath(name).name!r}: use .csv, .xlsx, .json or "
            f".jsonl, or set 'format' in the mapping", field="file")
    return EXTENSIONS[suffix]


def read_rows(name: str, content: bytes, cm: CompiledMapping) -> list[SourceRow]:
    """Every non-empty row of the file; checks that the mapped columns exist."""
    fmt = file_format(name, cm)
    if fmt == "csv":
        header, rows = _csv(content, cm)
    elif fmt == "xlsx":
        header, rows = _xlsx(content, cm)
    else:
        rows = _json(content)
        header = None
    _check_columns(cm, header, rows)
    return rows


def _check_columns(cm: CompiledMapping, header: list[str] | None,
                   rows: list[SourceRow]) -> None:
    for key, column in cm.columns:
        if header is not None:
            ok = column in header
        else:
            ok = not rows or any(has_column(r.values, column) for r in rows)
        if not ok:
            have = ", ".join(header[:40]) if header is not None else "the JSON keys"
            raise MappingError(f"mapping key {key!r}: no column {column!r} in the file "
                               f"(it has {have})", field=key)


def _csv(content: bytes, cm: CompiledMapping) -> tuple[list[str], list[SourceRow]]:
    try:
        text = content.decode(cm.mapping.encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise MappingError(f"mapping key 'encoding': the file is not {cm.mapping.encoding} "
                           f"({e})", field="encoding") from e
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=cm.mapping.delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], []
    rows = []
    for i, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        rows.append(SourceRow(i, dict(zip(header, values, strict=False))))
    return header, rows


def _xlsx_value(v: Any) -> Any:
    if isinstance(v, time):
        return v.isoformat()
    if isinstance(v, datetime | date | int | float | bool | str) or v is None:
        return v
    return str(v)


def _xlsx(content: bytes, cm: CompiledMapping) -> tuple[list[str], list[SourceRow]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zipfile, KeyError and its own errors
        raise UnsupportedFile(f"not a readable XLSX workbook: {e}", field="file") from e
    try:
        if cm.mapping.sheet:
            if cm.mapping.sheet not in wb.sheetnames:
                raise MappingError(f"mapping key 'sheet': no sheet {cm.mapping.sheet!r} "
                                   f"(have {', '.join(wb.sheetnames)})", field="sheet")
            ws: Any = wb[cm.mapping.sheet]
        else:
            ws = wb.worksheets[0]
        if not hasattr(ws, "iter_rows"):
            raise MappingError("mapping key 'sheet': that sheet is a chart", field="sheet")
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
        if first is None:
            return [], []
        header = ["" if h is None else str(h).strip() for h in first]
        rows = []
        for i, values in enumerate(it, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            rows.append(SourceRow(i, {h: _xlsx_value(v) for h, v in zip(header, values,
                                                                          strict=False) if h}))
        return header, rows
    finally:
        wb.close()


def _json(content: bytes) -> list[SourceRow]:
    text = content.decode("utf-8-sig")
    stripped = text.lstrip()
    rows: list[SourceRow] = []
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except ValueError as e:
            raise UnsupportedFile(f"not valid JSON: {e}", field="file") from e
        for i, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise UnsupportedFile(f"item {i} is not a JSON object", field="file")
            rows.append(SourceRow(i, item))
        return rows
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as e:
            rows.append(SourceRow(i, {}, f"not valid JSON: {e}"))
            continue
        if not isinstance(item, dict):
            rows.append(SourceRow(i, {}, "not a JSON object"))
            continue
        rows.append(SourceRow(i, item))
    return rows
