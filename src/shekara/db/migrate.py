"""Running Alembic from Shekara (``shekara db upgrade``, tests, ``shekara init``)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine | None = None) -> Config:
    root_ini = Path(__file__).resolve().parents[3] / "alembic.ini"
    cfg = Config(str(root_ini)) if root_ini.exists() else Config()
    cfg.set_main_option("script_location", str(files("shekara") / "migrations"))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def check(engine: Engine) -> None:
    """Fail if the models have changes that no migration covers (``alembic check``)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)
