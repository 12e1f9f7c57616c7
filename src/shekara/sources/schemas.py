from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from shekara.records.schemas import RecordOut, SharingIn, SharingUpdate


class SourceCreate(SharingIn):
    kind: str = Field(description="Vocabulary source_kind", examples=["article"])
    title: str = Field(min_length=1, max_length=300)
    url: str = Field("", max_length=1000)
    published_at: AwareDatetime | None = None


class SourceUpdate(SharingUpdate):
    title: str | None = Field(None, min_length=1, max_length=300)
    url: str | None = Field(None, max_length=1000)


class SourcePublic(RecordOut):
    kind: str
    title: str
    url: str
    published_at: datetime | None
