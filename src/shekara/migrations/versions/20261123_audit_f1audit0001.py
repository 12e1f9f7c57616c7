"""Audit log: a partial index of the entries the sealer has not chained yet.

Without it the sealer found unsealed entries through the unique index on ``chain_pos``, whose
NULL entries include the old version of every entry sealed since the last vacuum: at a
thousand reads a second, hundreds of thousands of index entries read every second.

Revision ID: f1audit0001
Revises: e1screen0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1audit0001"
down_revision: str | Sequence[str] | None = "e1screen0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_log_unsealed",
        "audit_log",
        ["seq"],
        postgresql_where=sa.text("chain_pos IS NULL"),
        sqlite_where=sa.text("chain_pos IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_unsealed", table_name="audit_log")
