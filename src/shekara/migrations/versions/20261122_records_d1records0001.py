"""Filtered-list indexes carry the sharing policy's columns (PostgreSQL INCLUDE).

A list filtered by year of birth or by incident category, and its capped count, can then be
answered by an index-only scan instead of visiting one heap page per candidate row. On SQLite
the indexes are recreated unchanged (INCLUDE is PostgreSQL only).

Revision ID: d1records0001
Revises: c0merge000001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d1records0001"
down_revision: str | Sequence[str] | None = "c0merge000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLICY = ["owner_agency_id", "owner_country", "distribution", "hit_only"]


def upgrade() -> None:
    op.drop_index("ix_persons_birth_year", table_name="persons")
    op.create_index(
        "ix_persons_birth_year", "persons", ["birth_year", "id"], postgresql_include=POLICY
    )
    op.drop_index("ix_incidents_category", table_name="incidents")
    op.create_index(
        "ix_incidents_category",
        "incidents",
        ["category", "occurred_at"],
        postgresql_include=["id", *POLICY],
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_category", table_name="incidents")
    op.create_index("ix_incidents_category", "incidents", ["category", "occurred_at"])
    op.drop_index("ix_persons_birth_year", table_name="persons")
    op.create_index("ix_persons_birth_year", "persons", ["birth_year", "id"])
