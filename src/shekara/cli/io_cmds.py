"""``shekara import`` and ``shekara export``: bulk files through the record service.

Exit codes: 0 done; 1 rows rejected (a table lists row, field, column and reason) or the
user may not import/export; 2 usage error (unknown file type, bad mapping naming its key,
unknown resource, format or filter, unknown user).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.models import User
from shekara.accounts.service import viewer_for
from shekara.cli.common import console, err_console, load_settings
from shekara.db.engine import make_engine, make_sessionmaker, session_scope
from shekara.errors import AppError, ValidationFailed
from shekara.io import exporter
from shekara.io.importer import ImportReport, import_rows
from shekara.io.mapping import CompiledMapping, MappingError, UnsupportedFile, load_mapping
from shekara.io.readers import read_rows
from shekara.policy.sharing import Viewer


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    ftm = "ftm"


def _usage(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(2)


def _viewer(session: Session, username: str, purpose: str) -> Viewer:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        raise _usage(f"no active user {username!r} (--as)")
    return viewer_for(session, user, ip="cli", purpose=purpose)


def _load_mapping(path: Path) -> CompiledMapping:
    try:
        return load_mapping(path.read_bytes())
    except MappingError as e:
        raise _usage(f"{path.name}: {e.detail}") from e


def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX, JSON array or JSON lines file",
                                         exists=True, dir_okay=False, readable=True)],
    mapping: Annotated[Path, typer.Option("--mapping", "-m", help="Mapping file (JSON)",
                                          exists=True, dir_okay=False, readable=True)],
    as_user: Annotated[str, typer.Option("--as", help="Import as this user (owner agency, "
                                         "audit)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate every row, write "
                                          "nothing")] = False,
    partial: Annotated[bool, typer.Option("--partial", help="Keep the good rows when some "
                                          "are bad (default: all or nothing)")] = False,
    purpose: Annotated[str, typer.Option(help="Why (kept in the audit log)")] = "bulk import",
) -> None:
    """Import FILE into the resource named by the mapping, owned by the user's agency.

    Re-importing the same file is safe when the mapping names an id_column: records already
    imported are updated or skipped, never duplicated.
    """
    cm = _load_mapping(mapping)
    settings = load_settings()
    engine = make_engine(settings)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            viewer = _viewer(session, as_user, purpose)
            try:
                rows = read_rows(file.name, file.read_bytes(), cm)
            except (MappingError, UnsupportedFile) as e:
                raise _usage(f"{e.detail}") from e
            with Progress(TextColumn(f"importing {file.name}"), BarColumn(),
                          MofNCompleteColumn(), TimeRemainingColumn(), console=err_console,
                          transient=True) as bar:
                task = bar.add_task("import", total=len(rows))
                report = import_rows(
                    session, viewer, cm, rows, file_name=file.name, dry_run=dry_run,
                    partial=partial,
                    progress=lambda done, total: bar.update(task, completed=done),
                )
    except AppError as e:
        err_console.print(f"[red]error:[/red] {e.detail}")
        raise typer.Exit(1) from e
    finally:
        engine.dispose()
    _print_report(report)
    if report.rejected:
        raise typer.Exit(1)


def _print_report(report: ImportReport) -> None:
    if report.errors:
        t = Table("row", "field", "column", "reason", title="rejected rows",
                  title_style="bold red")
        for e in report.errors:
            t.add_row(str(e.row), e.field, e.column, e.message)
        err_console.print(t)
    mode = "dry run: " if report.dry_run else ""
    console.print(
        f"{mode}{report.rows} rows of {report.file} -> {report.resource}: "
        f"{report.created} created, {report.updated} updated, {report.skipped} unchanged, "
        f"{report.rejected} rejected"
    )
    if report.dry_run:
        console.print("nothing was written (dry run)")
    elif report.rejected and not report.partial:
        console.print("[red]nothing was written[/red]: fix the rows above or use --partial")


def _filters(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _usage(f"--filter {item!r}: write key=value")
        out[key.strip()] = value.strip()
    return out


def export_cmd(
    resource: Annotated[str, typer.Argument(help="persons, documents, phones, vehicles, "
                                            "organisations, incidents, crossings, cases, "
                                            "sources")],
    as_user: Annotated[str, typer.Option("--as", help="Export as this user (what they may "
                                         "see; audited)")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="csv, json (JSON lines) "
                                                 "or ftm (FollowTheMoney)")] = ExportFormat.json,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default: "
                                             "standard output)", dir_okay=False)] = None,
    filter: Annotated[list[str] | None, typer.Option(
        "--filter", help="key=value, as the list API's filters (repeatable)")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Text search")] = None,
    purpose: Annotated[str, typer.Option(help="Why (kept in the audit log)")] = "bulk export",
) -> None:
    """Export the RESOURCE records the user may see (never hit/no-hit-only ones)."""
    filters = _filters(filter or [])
    settings = load_settings()
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    try:
        # Step 1, committed on its own: the audit entry with every id to be exported.
        with session_scope(factory) as session:
            viewer = _viewer(session, as_user, purpose)
            try:
                job = exporter.start_export(session, viewer, resource, format.value, filters, q)
            except ValidationFailed as e:
                raise _usage("; ".join(f"{x.get('field')}: {x['message']}"
                                       for x in e.errors)) from e
        # Step 2: stream the records in batches.
        with session_scope(factory) as session:
            if out is None:
                for chunk in exporter.stream(session, job):
                    sys.stdout.write(chunk)
                sys.stdout.flush()
            else:
                with out.open("w", encoding="utf-8", newline="") as fh:
                    for chunk in exporter.stream(session, job):
                        fh.write(chunk)
    except AppError as e:
        err_console.print(f"[red]error:[/red] {e.detail}")
        raise typer.Exit(1) from e
    finally:
        engine.dispose()
    where = str(out) if out is not None else "standard output"
    err_console.print(f"exported {len(job.ids)} {job.spec.name} as {format.value} to {where}")
