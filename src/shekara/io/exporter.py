"""Bulk export of one resource as CSV, JSON lines or FollowTheMoney entities.

The export takes the list API's filters and text search, and only ever reads through
:func:`shekara.policy.sharing.visible` (hit/no-hit-only records are never exported, not even
to their audience). It works in two steps so that the audit entry precedes the disclosure:

1. :func:`start_export` checks ``Perm.export``, resolves the ids and owners of the matching
   records and writes one ``export`` audit entry holding the format, the filters and every
   exported id (and, through the owners, one access row per owner agency). The caller commits.
2. :func:`stream` reads those records back in batches (again through :func:`visible`) and
   yields text chunks, so memory stays flat however many records are exported.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.errors import ValidationFailed
from shekara.io import ftm
from shekara.policy.sharing import Viewer, visible
from shekara.records.registry import RESOURCES
from shekara.records.service import require, serialise
from shekara.records.spec import ResourceSpec

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/x-ndjson; charset=utf-8",
    "ftm": "application/x-ndjson; charset=utf-8",
}
EXTENSIONS = {"csv": "csv", "json": "jsonl", "ftm": "ftm.json"}
BATCH_SIZE = 500
SHARING_COLUMNS = ("owner_agency", "owner_country", "distribution", "hit_only",
                   "partner_countries", "partner_agencies", "handling_code", "handling_note",
                   "source_reliability", "info_credibility", "external_ref")


@dataclass
class ExportJob:
    """An audited export, ready to stream."""

    spec: ResourceSpec
    viewer: Viewer
    fmt: str
    ids: list[uuid.UUID]
    owners: list[uuid.UUID] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return f"{self.spec.name}.{EXTENSIONS[self.fmt]}"


def resource_spec(resource: str) -> ResourceSpec:
    spec = RESOURCES.get(resource)
    if spec is None:
        raise ValidationFailed([{"field": "resource", "message": f"unknown resource {resource!r};"
                                 f" one of {', '.join(RESOURCES)}"}])
    return spec


def parse_filters(spec: ResourceSpec, raw: Mapping[str, str]) -> dict[str, Any]:
    """Typed filter values from text (query string, ``--filter key=value``), as the list API."""
    out: dict[str, Any] = {}
    errors = []
    for name, text in raw.items():
        if name not in spec.filters:
            errors.append({"field": name, "message": f"unknown filter for {spec.name}; one of "
                           f"{', '.join(spec.filters) or 'none'}"})
            continue
        if text is None or text == "":
            continue
        typ = spec.filters[name][0]
        try:
            if typ is int:
                out[name] = int(text)
            elif typ is uuid.UUID:
                out[name] = uuid.UUID(text)
            elif typ is datetime:
                value = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if value.tzinfo is None:
                    raise ValueError("needs a time zone, e.g. 2024-01-01T00:00:00Z")
                out[name] = value
            else:
                out[name] = text
        except ValueError as e:
            errors.append({"field": name, "message": str(e)})
    if errors:
        raise ValidationFailed(errors)
    return out


def start_export(
    session: Session,
    viewer: Viewer | None,
    resource: str,
    fmt: str,
    filters: Mapping[str, str] | None = None,
    q: str | None = None,
) -> ExportJob:
    """Check, select and audit an export; nothing is disclosed yet (see :func:`stream`)."""
    viewer = require(viewer, Perm.export)
    spec = resource_spec(resource)
    if fmt not in MEDIA_TYPES:
        raise ValidationFailed([{"field": "format",
                                 "message": f"unknown format {fmt!r}; one of csv, json, ftm"}])
    typed = parse_filters(spec, filters or {})
    model = spec.model
    conds = [visible(viewer, model)]
    conds += [spec.filters[name][2](value) for name, value in typed.items()]
    if q and spec.text_search is not None:
        conds.append(spec.text_search(q))
    order = spec.order_by() if spec.order_by else model.id.desc()
    rows = session.execute(
        select(model.id, model.owner_agency_id).where(*conds).order_by(order, model.id)
    ).all()
    job = ExportJob(spec=spec, viewer=viewer, fmt=fmt, ids=[r[0] for r in rows],
                    owners=[r[1] for r in rows])
    audit.record(
        session, viewer, "export", spec.name,
        query={"format": fmt, "filters": {k: str(v) for k, v in typed.items()}, "q": q,
               "count": len(job.ids)},
        result_ids=job.ids, owners=job.owners,
    )
    return job


def records(session: Session, job: ExportJob, batch_size: int = BATCH_SIZE) -> Iterator[Any]:
    """The audited records, in the planned order, in batches (re-checked through visible)."""
    model = job.spec.model
    for start in range(0, len(job.ids), batch_size):
        chunk = job.ids[start:start + batch_size]
        found = {
            r.id: r for r in session.execute(
                select(model).where(model.id.in_(chunk), visible(job.viewer, model))
            ).scalars()
        }
        for record_id in chunk:
            obj = found.get(record_id)
            if obj is not None:  # deleted or re-shared since the export started
                yield obj


def stream(session: Session, job: ExportJob, batch_size: int = BATCH_SIZE) -> Iterator[str]:
    """Text chunks of the export file (one chunk per batch)."""
    if job.fmt == "csv":
        yield from _csv(session, job, batch_size)
        return
    buf: list[str] = []
    for n, obj in enumerate(records(session, job, batch_size), start=1):
        if job.fmt == "json":
            items = [serialise(session, job.viewer, job.spec, obj)]
        else:
            items = [e.to_dict() for e in ftm.entities(session, job.viewer, job.spec, obj)]
        buf.extend(json.dumps(i, ensure_ascii=False, sort_keys=True) + "\n" for i in items)
        if n % batch_size == 0:
            yield "".join(buf)
            buf = []
    if buf:
        yield "".join(buf)


def csv_columns(spec: ResourceSpec) -> list[str]:
    cols: list[str] = []
    for name in spec.public_schema.model_fields:
        if name == "sharing":
            cols.extend(SHARING_COLUMNS)
        elif name not in ("editable",):
            cols.append(name)
    return cols


def csv_row(public: dict[str, Any], obj: Any, columns: list[str]) -> list[str]:
    """One CSV row: lists of codes joined with ';', nested objects as JSON."""
    sharing = public.get("sharing") or {}
    flat = dict(public)
    for key in SHARING_COLUMNS:
        flat[key] = sharing.get(key)
    flat["owner_agency"] = (sharing.get("owner_agency") or {}).get("code", "")
    flat["owner_country"] = obj.owner_country
    out = []
    for col in columns:
        v = flat.get(col)
        if v is None:
            out.append("")
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            out.append(";".join(v))
        elif isinstance(v, dict | list):
            out.append(json.dumps(v, ensure_ascii=False, sort_keys=True))
        elif isinstance(v, bool):
            out.append("true" if v else "false")
        else:
            out.append(str(v))
    return out


def _csv(session: Session, job: ExportJob, batch_size: int) -> Iterator[str]:
    columns = csv_columns(job.spec)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for n, obj in enumerate(records(session, job, batch_size), start=1):
        writer.writerow(csv_row(serialise(session, job.viewer, job.spec, obj), obj, columns))
        if n % batch_size == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def export_to(
    session: Session,
    viewer: Viewer | None,
    resource: str,
    fmt: str,
    out: io.TextIOBase | Any,
    filters: Mapping[str, str] | None = None,
    q: str | None = None,
) -> ExportJob:
    """Audit and write a whole export to a text file object (no commit: the caller's)."""
    job = start_export(session, viewer, resource, fmt, filters, q)
    for chunk in stream(session, job):
        out.write(chunk)
    return job
