from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from shekara.agencies.constants import AgencyKind


class CountryPublic(BaseModel):
    code: str
    alpha3: str
    name_en: str
    name_ru: str
    name_kk: str
    member: bool


class AgencyCreate(BaseModel):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_-]+$", examples=["KZ-BS"])
    name: str = Field(min_length=1, max_length=200)
    name_ru: str = ""
    name_kk: str = ""
    country: str = Field(min_length=2, max_length=2)
    kind: AgencyKind
    contact: str = Field("", max_length=300)


class AgencyPublic(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    name_ru: str
    name_kk: str
    country: str
    kind: AgencyKind
    contact: str
    active: bool
