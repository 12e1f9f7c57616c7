"""Alembic environment: the URL comes from Shekara's settings unless a connection is given."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from shekara.db.engine import make_engine
from shekara.db.models import Base
from shekara.settings import get_settings

target_metadata = Base.metadata


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Indexes made by hand in migrations (PostgreSQL trigram indexes) are not in the models."""
    return not (type_ == "index" and name is not None and name.endswith("_trgm"))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or None
    engine = make_engine(get_settings(), url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
