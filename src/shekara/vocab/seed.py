"""Default vocabularies and countries, loaded by ``shekara init`` (idempotent)."""

from __future__ import annotations

import json
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.agencies.models import Country
from shekara.vocab.models import VocabTerm


def seed_vocabularies(session: Session) -> int:
    data = json.loads((files("shekara.vocab") / "data" / "defaults.json").read_text("utf-8"))
    existing = {(v, c) for v, c in session.execute(select(VocabTerm.vocabulary, VocabTerm.code))}
    added = 0
    for vocabulary, terms in data.items():
        for row in terms:
            code, en, ru, kk = row[:4]
            if (vocabulary, code) in existing:
                continue
            session.add(
                VocabTerm(
                    vocabulary=vocabulary,
                    code=code,
                    name_en=en,
                    name_ru=ru,
                    name_kk=kk,
                    quantity_kind=row[4] if len(row) > 4 else None,
                )
            )
            added += 1
    return added


def seed_countries(session: Session, members: list[str]) -> int:
    raw = json.loads((files("shekara.refdata") / "data" / "countries.json").read_text("utf-8"))
    existing = {c.code: c for c in session.execute(select(Country)).scalars()}
    added = 0
    for c in raw["countries"]:
        code = c["alpha2"]
        row = existing.get(code)
        if row is None:
            row = Country(
                code=code,
                alpha3=c["alpha3"],
                name_en=c["names"]["en"],
                name_ru=c["names"]["ru"],
                name_kk=c["names"]["kk"],
                member=False,
            )
            session.add(row)
            added += 1
        if code in members:
            row.member = True
    return added
