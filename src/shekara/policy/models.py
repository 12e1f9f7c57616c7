"""Columns every shared record carries, and the table of named partners."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shekara.db.base import Base, TimestampMixin, new_id, str_enum
from shekara.policy.constants import Distribution, HandlingCode, InfoCredibility, SourceReliability

# The columns the sharing policy reads (besides ``id``): indexes that include them let the
# database answer a policy-filtered count from the index alone.
POLICY_COLUMNS = ("owner_agency_id", "owner_country", "distribution", "hit_only")


class ShareGrant(Base):
    """A named partner (country or agency) of a record distributed to ``partners``."""

    __tablename__ = "share_grants"
    __table_args__ = (UniqueConstraint("record_id", "partner_country", "partner_agency_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    partner_country: Mapped[str | None] = mapped_column(String(2), index=True)
    partner_agency_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agencies.id"), index=True
    )


class SharedRecord(TimestampMixin):
    """Mixin: owner, distribution, handling code and 4x4 evaluation of a record."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    distribution: Mapped[Distribution] = mapped_column(
        str_enum(Distribution), default=Distribution.agency
    )
    hit_only: Mapped[bool] = mapped_column(Boolean, default=False)
    handling_code: Mapped[HandlingCode] = mapped_column(
        str_enum(HandlingCode), default=HandlingCode.H0
    )
    handling_note: Mapped[str] = mapped_column(String(500), default="")
    source_reliability: Mapped[SourceReliability] = mapped_column(
        str_enum(SourceReliability), default=SourceReliability.X
    )
    info_credibility: Mapped[InfoCredibility] = mapped_column(
        str_enum(InfoCredibility), default=InfoCredibility.cannot_judge
    )
    external_ref: Mapped[str | None] = mapped_column(String(120))
    owner_country: Mapped[str] = mapped_column(String(2))

    @declared_attr
    def owner_agency_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("agencies.id"))

    @declared_attr
    def created_by(cls) -> Mapped[uuid.UUID | None]:
        return mapped_column(ForeignKey("users.id"))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[object, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (
            Index(f"ix_{name}_owner", "owner_agency_id", "external_ref"),
            Index(f"ix_{name}_dist", "owner_country", "distribution"),
            *getattr(cls, "__extra_args__", ()),
        )
