"""Maintenance of the persons' search index (name tokens in any script)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from shekara.core.text import name_tokens
from shekara.persons.models import PersonName, PersonNameToken


def rebuild_name_tokens(
    session: Session, progress: Callable[[int], None] | None = None, batch: int = 20_000
) -> int:
    """Recompute every person's name tokens from their names (after bulk loads); returns rows."""
    session.execute(delete(PersonNameToken))
    written = 0
    last = None
    while True:
        stmt = select(PersonName.id, PersonName.person_id, PersonName.full_name).order_by(
            PersonName.id
        )
        if last is not None:
            stmt = stmt.where(PersonName.id > last)
        rows = session.execute(stmt.limit(batch)).all()
        if not rows:
            return written
        seen: set[tuple[str, object]] = set()
        for _id, person_id, full_name in rows:
            for tok in name_tokens(full_name):
                seen.add((tok[:60], person_id))
        fresh = [{"token": t, "person_id": p} for t, p in seen]
        if fresh:
            # a person's names may span two batches: skip pairs already written
            existing = {
                (t, p)
                for t, p in session.execute(
                    select(PersonNameToken.token, PersonNameToken.person_id).where(
                        PersonNameToken.person_id.in_({p for _, p in seen})
                    )
                )
            }
            fresh = [r for r in fresh if (r["token"], r["person_id"]) not in existing]
            if fresh:
                session.execute(insert(PersonNameToken), fresh)
        written += len(fresh)
        last = rows[-1][0]
        if progress:
            progress(len(rows))
