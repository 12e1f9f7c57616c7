"""Records for screening tests, written straight into the test transaction (the triggers
queue them for the index, as they would for any other writer)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from shekara.core.text import search_key
from shekara.persons.constants import DocumentKind, NameKind, Script
from shekara.persons.models import Document, Person, PersonName
from shekara.policy.constants import Distribution
from shekara.policy.models import ShareGrant
from shekara.vehicles.models import Vehicle
from tests.conftest import WORLD


def _owner(agency: str) -> dict[str, Any]:
    return {"owner_agency_id": WORLD.agencies[agency], "owner_country": agency[:2]}


def person(
    session: Session,
    agency: str,
    names: list[str],
    *,
    dob: str | None = None,
    distribution: Distribution = Distribution.all,
    hit_only: bool = False,
    nationalities: list[str] | None = None,
    documents: list[str] = (),  # type: ignore[assignment]
    partners: list[str] = (),  # type: ignore[assignment]
) -> Person:
    y = m = d = None
    if dob:
        parts = [int(x) for x in dob.split("-")]
        y, m, d = (parts + [None, None])[:3]
    p = Person(
        id=uuid.uuid4(),
        display_name=names[0],
        birth_year=y,
        birth_month=m,
        birth_day=d,
        nationalities=nationalities or [],
        distribution=distribution,
        hit_only=hit_only,
        **_owner(agency),
    )
    p.names = [
        PersonName(
            position=i,
            full_name=n,
            script=Script.cyrillic if any("\u0400" <= c <= "\u04ff" for c in n) else Script.latin,
            kind=NameKind.native if i == 0 else NameKind.transliteration,
            search_key=search_key(n),
        )
        for i, n in enumerate(names)
    ]
    session.add(p)
    session.flush()
    for c in partners:
        session.add(ShareGrant(record_id=p.id, partner_country=c))
    for number in documents:
        session.add(
            Document(
                id=uuid.uuid4(),
                kind=DocumentKind.passport,
                number=number,
                number_key=number.replace(" ", "").upper(),
                issuing_country=agency[:2],
                person_id=p.id,
                distribution=distribution,
                hit_only=hit_only,
                **_owner(agency),
            )
        )
    session.flush()
    return p


def vehicle(
    session: Session,
    agency: str,
    plate: str,
    *,
    vin: str = "",
    distribution: Distribution = Distribution.all,
    hit_only: bool = False,
) -> Vehicle:
    v = Vehicle(
        id=uuid.uuid4(),
        plate=plate,
        plate_key=plate.replace(" ", "").upper(),
        vin=vin,
        country=agency[:2],
        distribution=distribution,
        hit_only=hit_only,
        **_owner(agency),
    )
    session.add(v)
    session.flush()
    return v
