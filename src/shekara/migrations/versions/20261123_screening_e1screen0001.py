"""Screening keys: persons without a year of birth get their typo pair keys with ``@-`` too.

Queues those persons for re-keying (``screening_dirty``): queries fold the queue in as they
come, or ``shekara screen catchup`` does it at once. No schema change.

Revision ID: e1screen0001
Revises: d2records0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e1screen0001"
down_revision: str | Sequence[str] | None = "d2records0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO screening_dirty (record_type, record_id) "
        "SELECT 'person', id FROM persons WHERE birth_year IS NULL"
    )


def downgrade() -> None:
    # the extra keys do no harm to the older code (it never reads them)
    pass
