from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shekara.db.base import Base, new_id, str_enum
from shekara.persons.constants import DocumentKind, NameKind, Script, Sex
from shekara.policy.models import POLICY_COLUMNS, SharedRecord


class Person(SharedRecord, Base):
    __tablename__ = "persons"
    # (filter, order) pairs so that a filtered page reads only the rows it returns
    # The policy's columns ride along (PostgreSQL INCLUDE) so that a filtered list and its
    # capped count are answered from the index alone, without visiting a million heap rows.
    __extra_args__ = (
        Index("ix_persons_birth_year", "birth_year", "id", postgresql_include=list(POLICY_COLUMNS)),
    )

    display_name: Mapped[str] = mapped_column(String(300))
    sex: Mapped[Sex] = mapped_column(str_enum(Sex), default=Sex.unknown)
    # Partial date of birth: year only, year-month, or full date.
    birth_year: Mapped[int | None] = mapped_column(Integer)
    birth_month: Mapped[int | None] = mapped_column(Integer)
    birth_day: Mapped[int | None] = mapped_column(Integer)
    birth_place: Mapped[str] = mapped_column(String(200), default="")
    nationalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(String(4000), default="")

    names: Mapped[list[PersonName]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonName.position"
    )
    tokens: Mapped[list[PersonNameToken]] = relationship(cascade="all, delete-orphan")


class PersonNameToken(Base):
    """One folded word of any of a person's names: the index behind search in any script."""

    __tablename__ = "person_name_tokens"
    # (person_id, token): a search for several words walks the range of one word and checks
    # the others for each person from this index alone (no table visit per candidate).
    __table_args__ = (Index("ix_person_name_tokens_person_token", "person_id", "token"),)

    token: Mapped[str] = mapped_column(String(60), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )


class PersonName(Base):
    __tablename__ = "person_names"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    full_name: Mapped[str] = mapped_column(String(300))
    surname: Mapped[str] = mapped_column(String(120), default="")
    given_name: Mapped[str] = mapped_column(String(120), default="")
    patronymic: Mapped[str] = mapped_column(String(120), default="")
    script: Mapped[Script] = mapped_column(str_enum(Script))
    kind: Mapped[NameKind] = mapped_column(str_enum(NameKind))
    # Normalised, script-independent key of the whole name (search by any script).
    search_key: Mapped[str] = mapped_column(String(300), index=True)

    person: Mapped[Person] = relationship(back_populates="names")


class Document(SharedRecord, Base):
    __tablename__ = "documents"

    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    number: Mapped[str] = mapped_column(String(60))
    number_key: Mapped[str] = mapped_column(String(60), index=True)
    issuing_country: Mapped[str | None] = mapped_column(String(2))
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)


class Phone(SharedRecord, Base):
    __tablename__ = "phones"

    number: Mapped[str] = mapped_column(String(40))
    number_key: Mapped[str] = mapped_column(String(40), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
