from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from shekara.accounts.constants import Role


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=80, examples=["kz-bs-officer"])
    password: str = Field(min_length=1, max_length=200, examples=["demo-password"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]+$")
    display_name: str = Field("", max_length=200)
    agency: str = Field(description="Agency code")
    role: Role
    password: str = Field(min_length=12, max_length=200)
    locale: str = Field("en", pattern="^(en|ru|kk)$")


class UserUpdate(BaseModel):
    display_name: str | None = Field(None, max_length=200)
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(None, min_length=12, max_length=200)
    locale: str | None = Field(None, pattern="^(en|ru|kk)$")


class UserPublic(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    agency_code: str
    country: str
    role: Role
    active: bool
    locale: str
