"""Bulk import of CSV, XLSX and JSON files through the generic record service.

Every row goes through the resource's create schema and :func:`new_record` (or
:func:`update_record` for a record imported before), so the sharing policy, the vocabularies
and the per-record audit entries apply exactly as for a record typed in by hand.

Transactions: the whole import runs in one SAVEPOINT and each row in a nested one.

* ``dry_run``: every row is validated *and written* inside the savepoint (so that the
  service's own checks, vocabularies and references run), then everything is rolled back.
* default (all or nothing): if any row is rejected the outer savepoint is rolled back and
  nothing is written; the report lists every bad row.
* ``partial``: the bad rows' savepoints are rolled back; the good rows stay.

Idempotence: with ``id_column`` the source's id is stored as ``external_ref``. A row whose id
matches a record of the importer's agency updates it through the update schema, or is
*skipped* when the update would change nothing (the record's owner view before and after is
compared, and the unchanged update is rolled back with its audit entry). Nothing is duplicated.

Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, ValidationError, computed_field
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.errors import AppError, ValidationFailed
from shekara.io.mapping import (
    BuiltRow,
    CompiledMapping,
    build_row,
    column_for,
    load_mapping,
    original_path,
    parse_path,
)
from shekara.io.readers import SourceRow, read_rows
from shekara.logs import get_logger
from shekara.policy.sharing import Viewer
from shekara.records.service import (
    find_by_external_ref,
    new_record,
    require,
    serialise,
    update_record,
)

log = get_logger(__name__)

ProgressFn = Callable[[int, int], None]


class RowError(BaseModel):
    """One reason a row was rejected."""

    code: str = "invalid"
    row: int = Field(description="Row as seen in the file (CSV/XLSX: header is row 1)")
    field: str = Field("", description="Field path in the create schema, e.g. names[1].full_name")
    column: str = Field("", description="The source column behind the field")
    message: str


class ImportReport(BaseModel):
    file: str
    resource: str
    dry_run: bool
    partial: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    committed: bool = Field(False, description="True when records were written")
    created_ids: list[uuid.UUID] = []
    updated_ids: list[uuid.UUID] = []
    errors: list[RowError] = []

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """No row was rejected."""
        return self.rejected == 0


def import_file(
    session: Session,
    viewer: Viewer | None,
    file_name: str,
    content: bytes,
    mapping: str | bytes | dict[str, Any] | CompiledMapping,
    *,
    dry_run: bool = False,
    partial: bool = False,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Import one file; raises MappingError/UnsupportedFile for unusable mappings or files."""
    viewer = require(viewer, Perm.import_)
    cm = mapping if isinstance(mapping, CompiledMapping) else load_mapping(mapping)
    rows = read_rows(file_name, content, cm)
    return import_rows(session, viewer, cm, rows, file_name=file_name, dry_run=dry_run,
                       partial=partial, progress=progress)


def import_rows(
    session: Session,
    viewer: Viewer,
    cm: CompiledMapping,
    rows: list[SourceRow],
    *,
    file_name: str,
    dry_run: bool = False,
    partial: bool = False,
    progress: ProgressFn | None = None,
) -> ImportReport:
    viewer = require(viewer, Perm.import_)
    # Importing is writing the own agency's records in bulk: the import permission implies
    # the write permission for the records this import creates or updates.
    writer = dataclasses.replace(viewer, perms=viewer.perms | {Perm.write})
    spec = cm.spec
    report = ImportReport(file=file_name, resource=spec.name, dry_run=dry_run, partial=partial,
                          rows=len(rows))
    seen: dict[str, int] = {}
    outer = session.begin_nested()
    try:
        for done, src in enumerate(rows, start=1):
            outcome, record_id, errors = _row(session, writer, cm, src, seen)
            if errors:
                report.rejected += 1
                report.errors.extend(errors)
            elif outcome == "created":
                report.created += 1
                report.created_ids.append(record_id)  # type: ignore[arg-type]
            elif outcome == "updated":
                report.updated += 1
                report.updated_ids.append(record_id)  # type: ignore[arg-type]
            else:
                report.skipped += 1
            if progress is not None:
                progress(done, len(rows))
    except BaseException:
        outer.rollback()
        raise
    written = report.created + report.updated
    if dry_run or (report.rejected and not partial):
        outer.rollback()
        report.created_ids, report.updated_ids = [], []  # rolled back: the counts say what
    else:
        outer.commit()
        report.committed = written > 0
        ids = report.created_ids + report.updated_ids
        audit.record(
            session, viewer, "import", spec.name,
            query={"file": file_name, "rows": report.rows, "created": report.created,
                   "updated": report.updated, "skipped": report.skipped,
                   "rejected": report.rejected, "partial": partial,
                   "rejected_rows": sorted({e.row for e in report.errors})},
            result_ids=ids, owners=[viewer.agency_id] * len(ids),
        )
    log.info("import_finished", file=file_name, resource=spec.name, user=viewer.username,
             dry_run=dry_run, partial=partial, rows=report.rows, created=report.created,
             updated=report.updated, skipped=report.skipped, rejected=report.rejected)
    return report


def _row(
    session: Session, writer: Viewer, cm: CompiledMapping, src: SourceRow, seen: dict[str, int]
) -> tuple[str, uuid.UUID | None, list[RowError]]:
    """Validate and write one row in its own savepoint: (outcome, record id, errors)."""
    if src.error is not None:
        return "rejected", None, [RowError(row=src.number, message=src.error)]
    built = build_row(cm, src.values)
    errors = _cell_errors(src.number, built)
    ext = built.external_ref
    if ext is not None:
        if ext in seen:
            errors.append(RowError(row=src.number, field="external_ref",
                                   column=cm.mapping.id_column or "",
                                   message=f"id {ext!r} appears again (first at row {seen[ext]})"))
        else:
            seen[ext] = src.number
    spec = cm.spec
    try:
        data = spec.create_schema.model_validate(built.data)
    except ValidationError as e:
        # Report the schema's objections too, except for the fields whose cells were bad.
        bad = {f.strip() for err in errors for f in err.field.split(",")}
        errors += [x for x in _pydantic_errors(src.number, built, e) if x.field not in bad]
    if errors:
        return "rejected", None, errors
    existing = find_by_external_ref(session, writer, spec, ext) if ext else None
    if existing is not None and not writer.can(Perm.read):
        return "rejected", None, [RowError(
            row=src.number, field="external_ref", column=cm.mapping.id_column or "",
            message=f"a record with id {ext!r} exists and the role {writer.role.value!r} may not "
                    "read records to update them; import as a user who may")]
    sp = session.begin_nested()
    try:
        if existing is None:
            obj = new_record(session, writer, spec, data)
            sp.commit()
            return "created", obj.id, []
        change = _update_data(spec.update_schema, data)
        # Compare what is stored, not the objects' in-memory values (a time in +05:00 and
        # the same instant read back in UTC are the same).
        session.expire_all()
        before = _comparable(serialise(session, writer, spec, existing))
        update_record(session, writer, spec, existing.id, change)
        session.expire_all()
        after = _comparable(serialise(session, writer, spec, existing))
        if before == after:
            sp.rollback()  # also drops the update's audit entry: nothing changed
            return "skipped", existing.id, []
        sp.commit()
        return "updated", existing.id, []
    except ValidationError as e:
        sp.rollback()
        return "rejected", None, _pydantic_errors(src.number, built, e)
    except ValidationFailed as e:
        sp.rollback()
        return "rejected", None, [_service_error(src.number, built, err) for err in e.errors]
    except AppError as e:
        sp.rollback()
        return "rejected", None, [_service_error(
            src.number, built, {"field": e.field or "", "message": e.detail})]
    except SQLAlchemyError as e:
        sp.rollback()
        reason = str(getattr(e, "orig", None) or e).splitlines()[0]
        return "rejected", None, [RowError(row=src.number, message=f"database: {reason}")]


def _update_data(update_schema: type[BaseModel], data: BaseModel) -> BaseModel:
    """The mapped values (not the create schema's defaults) that the update schema accepts.

    Fields a resource does not let one change after creation (e.g. a crossing's checkpoint)
    are left as they are.
    """
    given = data.model_dump(exclude_unset=True, exclude={"external_ref"})
    allowed = update_schema.model_fields
    return update_schema.model_validate({k: v for k, v in given.items() if k in allowed})


def _comparable(public: dict[str, Any]) -> Any:
    """The owner's view of a record without what every write changes (times, child row ids)."""

    def strip(v: Any, top: bool) -> Any:
        if isinstance(v, dict):
            drop = {"updated_at", "editable"} if top else ({"id"} if "type" not in v else set())
            return {k: strip(x, False) for k, x in v.items() if k not in drop}
        if isinstance(v, list):
            return [strip(x, False) for x in v]
        return v

    return strip(public, True)


def _cell_errors(row: int, built: BuiltRow) -> list[RowError]:
    """Errors of the cells, one per column and reason (a date feeding three fields once)."""
    merged: dict[tuple[str, str], list[str]] = {}
    for e in built.errors:
        merged.setdefault((e["column"], e["message"]), []).append(e["field"])
    return [RowError(row=row, field=", ".join(fields), column=column, message=message)
            for (column, message), fields in merged.items()]


def _pydantic_errors(row: int, built: BuiltRow, e: ValidationError) -> list[RowError]:
    out = []
    for err in e.errors():
        loc = tuple(c for c in err["loc"] if isinstance(c, int) or "[" not in str(c))
        path = original_path(built, loc)
        msg = err["msg"]
        if err["type"] not in ("missing",) and "input" in err and not isinstance(
                err["input"], dict | list):
            msg = f"{msg} (got {err['input']!r})"
        out.append(RowError(row=row, field=path, column=column_for(built, path) if path else "",
                            message=msg))
    return out


def _service_error(row: int, built: BuiltRow, err: dict[str, Any]) -> RowError:
    raw = str(err.get("field") or "")
    try:
        path = original_path(built, parse_path(raw)) if raw else ""
    except ValueError:
        path = raw
    return RowError(row=row, field=path, column=column_for(built, path) if path else "",
                    message=str(err.get("message", "")))
