from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.errors import ValidationFailed
from shekara.vocab.models import VocabTerm

VOCABULARIES = (
    "threat_category",
    "commodity",
    "concealment",
    "detection",
    "involvement_role",
    "crossing_result",
    "vehicle_kind",
    "source_kind",
)


def check_term(session: Session, vocabulary: str, code: str | None, field: str) -> VocabTerm | None:
    """Return the active term, or fail naming the field and listing what is allowed."""
    if code is None:
        return None
    term = session.execute(
        select(VocabTerm).where(VocabTerm.vocabulary == vocabulary, VocabTerm.code == code)
    ).scalar_one_or_none()
    if term is None or not term.active:
        allowed = (
            session.execute(
                select(VocabTerm.code)
                .where(VocabTerm.vocabulary == vocabulary, VocabTerm.active)
                .order_by(VocabTerm.code)
            )
            .scalars()
            .all()
        )
        hint = ", ".join(allowed[:30]) if allowed else "none defined yet"
        raise ValidationFailed(
            [{"field": field, "message": f"unknown {vocabulary} {code!r}; allowed: {hint}"}]
        )
    return term


@lru_cache(maxsize=1)
def vocabularies() -> tuple[str, ...]:
    return VOCABULARIES
