"""``shekara demo``: migrate, load reference data, generate the synthetic dataset, print the demo
accounts and start the server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from shekara.cli.common import console, err_console, load_settings
from shekara.demo import (
    DEMO_PASSWORD,
    MEMBER_COUNTRIES,
    SIZES,
    GenerationReport,
    Sizes,
    demo_accounts,
    generate,
    is_empty,
    load_reference,
    reset,
)
from shekara.demo.agencies import AGENCY_BY_CODE
from shekara.settings import Environment, Settings


def accounts_table() -> Table:
    t = Table(title="Demo accounts (synthetic data; never in production)")
    for column in ("username", "password", "agency", "country", "role"):
        t.add_column(column, no_wrap=True)
    for username, code, role in demo_accounts():
        adef = AGENCY_BY_CODE[code]
        t.add_row(username, DEMO_PASSWORD, code, adef.country, role.value)
    return t


def _refuse_production(settings: Settings) -> None:
    if settings.env == Environment.production:
        err_console.print("[red]refused:[/red] the demo data and its shared password are not "
                          "allowed when SHEKARA_ENV=production")
        raise typer.Exit(2)


def demo_load(size: str | Sizes = "demo", seed: int = 1, *, reset_data: bool = False,
              settings: Settings | None = None) -> GenerationReport | None:
    """Migrate the database, load reference data and generate the dataset.

    Returns None (and generates nothing) when the database already holds records and
    ``reset_data`` is false.
    """
    from sqlalchemy.orm import Session

    from shekara.db.engine import make_engine, make_sessionmaker
    from shekara.db.migrate import upgrade

    settings = settings or load_settings()
    _refuse_production(settings)
    engine = make_engine(settings)
    try:
        upgrade(engine)
        with Session(engine) as s:
            ref = load_reference(s, settings.member_countries or MEMBER_COUNTRIES)
            s.commit()
            if any(ref.values()):
                console.print("reference data: " + ", ".join(f"{v} {k}" for k, v in ref.items()))
            if not is_empty(s):
                if not reset_data:
                    console.print("[yellow]the database already holds records: nothing "
                                  "generated[/yellow] (use --reset to wipe and regenerate)")
                    return None
                reset(s)
                s.commit()
                console.print("[yellow]existing records, users, agencies and audit log "
                              "deleted[/yellow]")
        with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done)

            report = generate(make_sessionmaker(engine), size, seed, progress=progress)
    finally:
        engine.dispose()
    console.print(f"generated {report.rows:,} rows in {report.seconds:.1f} s "
                  f"({report.rows_per_second:,.0f} rows/s), seed {seed}")
    counts = Table("table", "rows", title="Generated")
    for table, n in report.counts.items():
        counts.add_row(table, f"{n:,}")
    console.print(counts)
    return report


def demo_cmd(
    size: Annotated[str, typer.Option(help=f"Dataset size: {', '.join(SIZES)}")] = "demo",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data")] = 1,
    reset_data: Annotated[bool, typer.Option(
        "--reset", help="Wipe existing records, users and audit log first")] = False,
    persons: Annotated[int | None, typer.Option(help="Override the number of persons")] = None,
    incidents: Annotated[int | None, typer.Option(help="Override the number of incidents")
                         ] = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the server after")
                     ] = True,
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
) -> None:
    """Load a synthetic demo dataset (clearly fake records) and start the server."""
    from dataclasses import replace

    if size not in SIZES:
        err_console.print(f"[red]unknown size {size!r}[/red]; use one of {', '.join(SIZES)}")
        raise typer.Exit(2)
    sizes = SIZES[size]
    if persons is not None:
        sizes = replace(sizes, persons=persons)
    if incidents is not None:
        sizes = replace(sizes, incidents=incidents)
    settings = load_settings()
    demo_load(sizes, seed, reset_data=reset_data, settings=settings)
    console.print(accounts_table())
    h = host or settings.host
    p = port or settings.port
    base = f"http://{'127.0.0.1' if h in ('0.0.0.0', '::') else h}:{p}"
    console.print(
        f"Open [bold]{base}[/bold]; API documentation at [bold]{base}/docs[/bold].\n"
        f"Get a token: [bold]curl -X POST {base}/api/v1/auth/token -H 'Content-Type: "
        f"application/json' -d '{{\"username\": \"kz-ps-knb.officer\", \"password\": "
        f"\"{DEMO_PASSWORD}\"}}'[/bold]\n"
        "then send [bold]Authorization: Bearer <token>[/bold].",
        soft_wrap=True,
    )
    if not serve:
        return
    import uvicorn

    from shekara.api.app import create_app
    from shekara.logs import configure_logging

    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(create_app(settings), host=h, port=p)
