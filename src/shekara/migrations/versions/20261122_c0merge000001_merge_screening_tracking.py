"""Merge the screening and tracking branches.

Revision ID: c0merge000001
Revises: b8s0screening1, a7t0tracking01
"""

from collections.abc import Sequence

revision: str = "c0merge000001"
down_revision: str | Sequence[str] | None = ("b8s0screening1", "a7t0tracking01")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
