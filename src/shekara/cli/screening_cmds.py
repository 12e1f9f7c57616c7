"""``shekara screen ...``: reindex, catch up, screen a person or a manifest, entity resolution.

Screening runs as a named user (``--as``) so that the sharing policy and the audit apply
exactly as in the API. Exit codes: 0 done; 1 refused or invalid; 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.models import User
from shekara.accounts.service import viewer_for
from shekara.cli.common import cli_session, console, err_console
from shekara.policy.sharing import Viewer

app = typer.Typer(help="Screening: index, queries, manifests, entity resolution.",
                  no_args_is_help=True)  # fmt: skip

AsUser = Annotated[str, typer.Option("--as", help="Run as this user (policy and audit apply)")]


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _viewer(session: Session, username: str, purpose: str) -> Viewer:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        err_console.print(f"[red]error:[/red] no active user {username!r} (--as)")
        raise typer.Exit(2)
    return viewer_for(session, user, ip="cli", purpose=purpose)


@app.command("reindex")
def reindex_cmd() -> None:
    """Rebuild the whole screening index from the records."""
    from shekara.screening import index

    with cli_session() as s, _progress() as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        counts = index.rebuild(s, progress)
    console.print(
        f"indexed {counts['persons']} persons, {counts['documents']} documents, "
        f"{counts['vehicles']} vehicles: {counts['keys']} keys"
    )


@app.command("catchup")
def catchup_cmd() -> None:
    """Fold the queued record changes into the index (also done before every query)."""
    from shekara.screening import index

    with cli_session() as s:
        n = index.catch_up(s)
    console.print(f"reindexed {n} changed records")


#: how the grade of a hit is shown: an alert stands out, a possible match asks for a check
_GRADES = {"alert": "[bold red]ALERT[/]", "possible": "[yellow]possible[/]", "no_match": "-"}


@app.command("person")
def person_cmd(
    names: Annotated[list[str], typer.Argument(help="Names in any script and order")],
    as_user: AsUser,
    dob: Annotated[str | None, typer.Option(help="Date of birth (partial allowed)")] = None,
    nationality: Annotated[list[str] | None, typer.Option()] = None,
    document: Annotated[list[str] | None, typer.Option()] = None,
    lang: Annotated[str, typer.Option(help="en, ru or kk")] = "en",
    purpose: Annotated[str, typer.Option(help="Why (recorded in the audit log)")] = "",
) -> None:
    """Screen a person and print the ranked hits with their reasons."""
    from shekara.screening import service

    with cli_session() as s:
        v = _viewer(s, as_user, purpose)
        q = service.PersonInput.build(names, dob, nationality or [], document or [])
        out = service.screen_person(s, v, q, lang=service.pick_lang(lang))
    table = Table("score", "grade", "record", "owner", "action", "reasons")
    for h in out.hits:
        if h.notice:
            table.add_row("-", "hit", f"{h.type} {h.id}", h.owner_agency.code, "contact owner",
                          h.message or "")  # fmt: skip
            continue
        actions = ", ".join(a.action.value for a in h.watchlist if a.action and not a.suppressed)
        table.add_row(
            f"{h.score:.3f}", _GRADES.get(h.grade or "", "-"), h.label or str(h.id),
            h.owner_agency.code, actions, "\n".join(r.text for r in h.reasons),
        )  # fmt: skip
    console.print(table)
    console.print(f"{out.candidates} candidates, timings (ms): {out.timings_ms}")


@app.command("manifest")
def manifest_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    as_user: AsUser,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="CSV result file")] = None,
    lang: Annotated[str, typer.Option(help="en, ru or kk")] = "en",
    purpose: Annotated[str, typer.Option(help="Why (recorded in the audit log)")] = "",
) -> None:
    """Screen every row of a CSV, XLSX or MRZ-lines file; write the CSV result."""
    from shekara.screening import manifest, service

    with cli_session() as s, _progress() as bar:
        v = _viewer(s, as_user, purpose)
        task = bar.add_task("screening", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        out = manifest.screen_manifest(
            s, v, file.read_bytes(), file.name, lang=service.pick_lang(lang), progress=progress
        )
    target = output or file.with_name(file.stem + ".screened.csv")
    target.write_text(manifest.to_csv(out), encoding="utf-8")
    console.print(
        f"{out.rows} rows in {out.seconds:.1f} s: {out.matches} matches, {out.notices} hit "
        f"notices, {out.errors} errors; result in {target}"
    )


@app.command("resolve")
def resolve_cmd(
    min_score: Annotated[float, typer.Option(help="Keep pairs scoring at least this")] = 0.75,
) -> None:
    """Entity resolution: find, score and store candidate pairs across agencies."""
    from shekara.screening import resolution

    with cli_session() as s, _progress() as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        counts = resolution.run(s, min_score=min_score, progress=progress)
        clusters = resolution.rebuild_clusters(s)
    console.print(
        f"{counts['candidate_pairs']} candidate pairs; stored {counts['person_pairs']} person "
        f"and {counts['vehicle_pairs']} vehicle pairs; {clusters} confirmed clusters"
    )
