"""HTTP endpoints for bulk import and export (included under ``/api/v1``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from shekara.api.deps import SessionDep, ViewerDep
from shekara.io import exporter
from shekara.io.importer import ImportReport, import_file

router = APIRouter(tags=["Import and export"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Unusable mapping or file; the error's field names the mapping key"},
    401: {"description": "Not signed in"},
    403: {"description": "The role may not import or export"},
    422: {"description": "Rows were rejected (import), or bad filters (export)"},
}
RESERVED = {"format", "q"}


@router.post("/import", response_model=ImportReport, responses=ERRORS,
             summary="Import a CSV, XLSX or JSON file with a mapping")
def import_(
    session: SessionDep,
    viewer: ViewerDep,
    file: Annotated[UploadFile, File(description="CSV, XLSX, JSON array or JSON lines")],
    mapping: Annotated[str, Form(description="The mapping, as JSON (see the documentation)")],
    dry_run: Annotated[bool, Form(description="Validate every row, write nothing")] = False,
    partial: Annotated[bool, Form(description="Keep the good rows when some are bad")] = False,
) -> Any:
    """All or nothing unless ``partial``: then any rejected row answers 422 with the full
    report (every bad row with its field, column and reason) and nothing is written. A dry run
    and a partial import answer 200 with the same report (``ok`` false if rows were bad)."""
    report = import_file(session, viewer, file.filename or "upload", file.file.read(), mapping,
                         dry_run=dry_run, partial=partial)
    status = 422 if report.rejected and not (dry_run or partial) else 200
    return JSONResponse(report.model_dump(mode="json"), status_code=status)


@router.get("/export/{resource}", responses=ERRORS,
            summary="Export the records of a resource the caller may see")
def export(
    resource: str,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    format: Annotated[str, Query(pattern="^(csv|json|ftm)$",
                                 description="csv, json (JSON lines) or ftm")] = "json",
    q: Annotated[str | None, Query(description="Text search, as the list API")] = None,
) -> StreamingResponse:
    """Any other query parameter is a filter of the resource's list API. Hit/no-hit-only
    records are never exported. The ids of everything exported are written to the audit log
    before the first byte is sent."""
    filters = {k: v for k, v in request.query_params.items() if k not in RESERVED}
    job = exporter.start_export(session, viewer, resource, format, filters, q)
    # Commit the audit entry now: nothing is disclosed that the log does not already hold.
    session.commit()
    return StreamingResponse(
        exporter.stream(session, job), media_type=exporter.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{job.file_name}"'},
    )
