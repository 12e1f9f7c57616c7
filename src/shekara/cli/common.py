"""Shared CLI helpers: settings, sessions, error reporting with exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from shekara.db.engine import make_engine, make_sessionmaker, session_scope
from shekara.errors import AppError, ValidationFailed
from shekara.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValueError as e:  # pydantic validation of the environment
        err_console.print(f"[red]configuration error:[/red] {e}")
        raise typer.Exit(2) from e


@contextmanager
def cli_session() -> Iterator[Session]:
    settings = load_settings()
    engine = make_engine(settings)
    try:
        with session_scope(make_sessionmaker(engine)) as s:
            yield s
    except ValidationFailed as e:
        for err in e.errors:
            err_console.print(f"[red]{err.get('field', '')}[/red]: {err['message']}")
        raise typer.Exit(1) from e
    except AppError as e:
        where = f" ({e.field})" if e.field else ""
        err_console.print(f"[red]error{where}:[/red] {e.detail}")
        raise typer.Exit(1) from e
    finally:
        engine.dispose()


def cli_actor() -> str:
    import getpass as _gp

    return f"cli:{_gp.getuser()}"
