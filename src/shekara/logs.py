"""Structured logging with structlog: an event string plus key/values, JSON in production."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    """Configure structlog and the standard library once, from the application entry points.

    Library code only calls ``structlog.get_logger(__name__)``; it never configures logging.
    """
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    if not any(isinstance(h, _CurrentStderrHandler) for h in root.handlers):
        root.addHandler(_CurrentStderrHandler())
    root.setLevel(level.upper())
    # Alembic reports each migration at INFO; its plugin set-up chatter is not for operators.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


class _CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """A stream handler bound to whatever ``sys.stderr`` is when a record is emitted."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class _StderrLogger:
    """Writes each line to the *current* ``sys.stderr`` (tests and CLIs swap it)."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)  # noqa: T201

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def _stderr_logger(*_args: object) -> _StderrLogger:
    return _StderrLogger()


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
