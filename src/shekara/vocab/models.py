from __future__ import annotations

import uuid

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shekara.db.base import Base, TimestampMixin, new_id


class VocabTerm(TimestampMixin, Base):
    """One term of a vocabulary, named in English, Russian and Kazakh."""

    __tablename__ = "vocab_terms"
    __table_args__ = (UniqueConstraint("vocabulary", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    vocabulary: Mapped[str] = mapped_column(String(40), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_kk: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(String(60))
    # For commodities: the quantity kind (mass, volume, count, money) it is normalised to.
    quantity_kind: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name(self, locale: str) -> str:
        return str(getattr(self, f"name_{locale}", None) or self.name_en)
