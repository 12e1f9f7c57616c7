from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from shekara.persons.constants import DocumentKind, NameKind, Script, Sex
from shekara.records.schemas import LinkOut, RecordOut, SharingIn, SharingUpdate


class NameIn(BaseModel):
    full_name: str = Field(min_length=1, max_length=300, examples=["Нұрғалиев Ерлан Серікұлы"])
    surname: str = Field("", max_length=120)
    given_name: str = Field("", max_length=120)
    patronymic: str = Field("", max_length=120)
    script: Script | None = Field(None, description="Detected from the text when omitted")
    kind: NameKind = NameKind.native


class NameOut(BaseModel):
    full_name: str
    surname: str
    given_name: str
    patronymic: str
    script: Script
    kind: NameKind


class _BirthFields(BaseModel):
    birth_year: int | None = Field(None, ge=1900, le=2100)
    birth_month: int | None = Field(None, ge=1, le=12)
    birth_day: int | None = Field(None, ge=1, le=31)

    @model_validator(mode="after")
    def _partial_date(self) -> Any:
        if self.birth_month is not None and self.birth_year is None:
            raise ValueError("birth_month needs birth_year")
        if self.birth_day is not None and self.birth_month is None:
            raise ValueError("birth_day needs birth_month")
        if self.birth_day is not None:
            assert self.birth_year is not None and self.birth_month is not None
            date(self.birth_year, self.birth_month, self.birth_day)  # raises if impossible
        return self


def _countries(v: list[str]) -> list[str]:
    out = []
    for c in v:
        if len(c) != 2 or not c.isalpha():
            raise ValueError(f"{c!r} is not an ISO 3166 alpha-2 code")
        out.append(c.upper())
    return out


class PersonCreate(SharingIn, _BirthFields):
    names: list[NameIn] = Field(min_length=1, description="First name is the display name")
    sex: Sex = Sex.unknown
    birth_place: str = Field("", max_length=200)
    nationalities: list[str] = Field(default_factory=list, examples=[["KZ"]])
    notes: str = Field("", max_length=4000)

    _nat = field_validator("nationalities")(_countries)


class PersonUpdate(SharingUpdate, _BirthFields):
    names: list[NameIn] | None = Field(None, min_length=1)
    sex: Sex | None = None
    birth_place: str | None = Field(None, max_length=200)
    nationalities: list[str] | None = None
    notes: str | None = Field(None, max_length=4000)


class PersonPublic(RecordOut):
    display_name: str
    names: list[NameOut]
    sex: Sex
    birth_year: int | None
    birth_month: int | None
    birth_day: int | None
    birth_date: str | None = Field(
        None, description="Partial ISO date: 1985, 1985-03 or 1985-03-12"
    )
    birth_place: str
    nationalities: list[str]
    notes: str
    documents: list[LinkOut] = []
    phones: list[LinkOut] = []
    incidents: list[LinkOut] = []
    organisations: list[LinkOut] = []
    crossings: list[LinkOut] = []
    cases: list[LinkOut] = []


class DocumentCreate(SharingIn):
    kind: DocumentKind
    number: str = Field(min_length=1, max_length=60, examples=["N12345678"])
    issuing_country: str | None = Field(None, min_length=2, max_length=2)
    issued_on: date | None = None
    expires_on: date | None = None
    person_id: uuid.UUID | None = None


class DocumentUpdate(SharingUpdate):
    kind: DocumentKind | None = None
    number: str | None = Field(None, min_length=1, max_length=60)
    issuing_country: str | None = Field(None, min_length=2, max_length=2)
    issued_on: date | None = None
    expires_on: date | None = None
    person_id: uuid.UUID | None = None


class DocumentPublic(RecordOut):
    kind: DocumentKind
    number: str
    issuing_country: str | None
    issued_on: date | None
    expires_on: date | None
    person: LinkOut | None = None


class PhoneCreate(SharingIn):
    number: str = Field(min_length=3, max_length=40, examples=["+7 701 555 0101"])
    person_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None


class PhoneUpdate(SharingUpdate):
    number: str | None = Field(None, min_length=3, max_length=40)
    person_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None


class PhonePublic(RecordOut):
    number: str
    person: LinkOut | None = None
    organisation: LinkOut | None = None
