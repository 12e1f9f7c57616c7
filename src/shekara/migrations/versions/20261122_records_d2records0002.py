"""Name-token index by (person, token) so multi-word searches check words index-only.

Revision ID: d2records0002
Revises: d1records0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d2records0002"
down_revision: str | Sequence[str] | None = "d1records0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_person_name_tokens_person_token", "person_name_tokens", ["person_id", "token"]
    )
    op.drop_index("ix_person_name_tokens_person_id", table_name="person_name_tokens")


def downgrade() -> None:
    op.create_index("ix_person_name_tokens_person_id", "person_name_tokens", ["person_id"])
    op.drop_index("ix_person_name_tokens_person_token", table_name="person_name_tokens")
