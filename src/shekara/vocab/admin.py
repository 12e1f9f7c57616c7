from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.errors import Conflict, NotAuthenticated, ValidationFailed
from shekara.policy.sharing import Viewer
from shekara.records.service import require
from shekara.vocab.models import VocabTerm
from shekara.vocab.service import VOCABULARIES


class TermIn(BaseModel):
    code: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")
    name_en: str = Field(min_length=1, max_length=200)
    name_ru: str = Field(min_length=1, max_length=200)
    name_kk: str = Field(min_length=1, max_length=200)
    parent_code: str | None = None
    quantity_kind: str | None = Field(None, pattern="^(mass|volume|count|money)$")


class TermPublic(TermIn):
    vocabulary: str
    active: bool


def _check_vocab(vocabulary: str) -> None:
    if vocabulary not in VOCABULARIES:
        raise ValidationFailed(
            [
                {
                    "field": "vocabulary",
                    "message": f"unknown vocabulary; one of {', '.join(VOCABULARIES)}",
                }
            ]
        )


def list_terms(session: Session, viewer: Viewer | None, vocabulary: str) -> list[TermPublic]:
    if viewer is None:
        raise NotAuthenticated("authentication required")
    _check_vocab(vocabulary)
    rows = session.execute(
        select(VocabTerm).where(VocabTerm.vocabulary == vocabulary).order_by(VocabTerm.code)
    ).scalars()
    return [TermPublic.model_validate(t, from_attributes=True) for t in rows]


def add_term(session: Session, viewer: Viewer | None, vocabulary: str, data: TermIn) -> TermPublic:
    viewer = require(viewer, Perm.admin)
    _check_vocab(vocabulary)
    if session.execute(
        select(VocabTerm).where(VocabTerm.vocabulary == vocabulary, VocabTerm.code == data.code)
    ).first():
        raise Conflict(f"{vocabulary} {data.code!r} exists", field="code")
    term = VocabTerm(vocabulary=vocabulary, **data.model_dump())
    session.add(term)
    session.flush()
    audit.record(
        session,
        viewer,
        "create",
        "vocab_terms",
        record_id=term.id,
        after={"vocabulary": vocabulary, **data.model_dump()},
    )
    return TermPublic.model_validate(term, from_attributes=True)
