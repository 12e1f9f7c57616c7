"""Persons, documents and phones as shared-record resources."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, bindparam, cast, exists, literal, select
from sqlalchemy.orm import Session, aliased, selectinload

from shekara.cases.models import Case, CaseIncident
from shekara.core.text import identifier_key, name_tokens, search_key
from shekara.crossings.models import Crossing
from shekara.incidents.models import Incident, Involvement
from shekara.organisations.models import Membership, Organisation
from shekara.persons import schemas as s
from shekara.persons.constants import Script
from shekara.persons.models import Document, Person, PersonName, PersonNameToken, Phone
from shekara.policy.sharing import Viewer
from shekara.records.links import cached_candidates, linked_ids, linked_where, one_link
from shekara.records.service import ensure_visible
from shekara.records.spec import ResourceSpec


def detect_script(text: str) -> Script:
    for ch in text:
        if "\u0400" <= ch <= "\u04ff":
            return Script.cyrillic
        if "\u0600" <= ch <= "\u06ff":
            return Script.arabic
        if ch.isalpha() and ch.isascii():
            return Script.latin
    return Script.other


def name_condition(q: str) -> Any:
    """Persons with a name word starting with each word of ``q``, in any script and order.

    Uses a range on the token index (``token >= t AND token < t + U+FFFF``), which both SQLite
    and PostgreSQL answer from the B-tree.
    """
    conds = [
        Person.id.in_(
            select(PersonNameToken.person_id).where(
                PersonNameToken.token >= tok, PersonNameToken.token < tok + "\uffff"
            )
        )
        for tok in dict.fromkeys(name_tokens(q))
    ]
    return and_(*conds) if conds else Person.id.is_(None)


def name_search_select(q: str) -> Any:
    """Persons matching every word of ``q``, driven by the token index of its longest word.

    Written as a join so that the database walks the (usually short) token range and stops at
    the limit, instead of scanning persons; a person may come back more than once.
    """
    toks = sorted(dict.fromkeys(name_tokens(q)), key=len, reverse=True)
    if not toks:
        return select(Person).where(Person.id.is_(None))
    first = aliased(PersonNameToken)
    stmt = (
        select(Person)
        .join(first, first.person_id == Person.id)
        .where(first.token >= toks[0], first.token < toks[0] + "\uffff")
    )
    for tok in toks[1:]:
        other = aliased(PersonNameToken)
        stmt = stmt.where(
            exists().where(
                other.person_id == first.person_id,
                other.token >= tok,
                other.token < tok + "\uffff",
            )
        )
    return stmt


def name_token_rows(names: list[str]) -> list[PersonNameToken]:
    toks = {t[:60] for n in names for t in name_tokens(n)}
    return [PersonNameToken(token=t) for t in sorted(toks)]


def _names(names: list[s.NameIn]) -> list[PersonName]:
    return [
        PersonName(
            position=i,
            full_name=n.full_name,
            surname=n.surname,
            given_name=n.given_name,
            patronymic=n.patronymic,
            script=n.script or detect_script(n.full_name),
            kind=n.kind,
            search_key=search_key(n.full_name),
        )
        for i, n in enumerate(names)
    ]


def _build_person(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    obj.names = _names(data.names)
    obj.tokens = name_token_rows([n.full_name for n in data.names])
    obj.display_name = data.names[0].full_name


def _patch_person(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    if data.names is not None:
        obj.names = _names(data.names)
        obj.tokens = []
        session.flush()
        obj.tokens = name_token_rows([n.full_name for n in data.names])
        obj.display_name = data.names[0].full_name


def person_label(p: Any) -> str:
    return str(p.display_name)


def birth_date(p: Any) -> str | None:
    if p.birth_year is None:
        return None
    out = f"{p.birth_year:04d}"
    if p.birth_month:
        out += f"-{p.birth_month:02d}"
        if p.birth_day:
            out += f"-{p.birth_day:02d}"
    return out


def _person_summary(session: Session, viewer: Viewer, p: Any) -> dict[str, Any]:
    return {
        "names": [s.NameOut.model_validate(n, from_attributes=True) for n in p.names],
        "birth_date": birth_date(p),
    }


def _person_link_sources() -> dict[str, Any]:
    pid: Any = bindparam("pid")
    return {
        "documents": select(Document.id, literal("")).where(Document.person_id == pid),
        "phones": select(Phone.id, literal("")).where(Phone.person_id == pid),
        "crossings": select(Crossing.id, literal("")).where(Crossing.person_id == pid),
        "incidents": select(Involvement.incident_id, Involvement.role).where(
            Involvement.person_id == pid
        ),
        "organisations": select(Membership.organisation_id, Membership.role).where(
            Membership.person_id == pid
        ),
    }


def _person_extra(session: Session, viewer: Viewer, p: Any) -> dict[str, Any]:
    c = cached_candidates(session, "persons", _person_link_sources, {"pid": p.id})
    incident_links = linked_ids(
        session,
        viewer,
        Incident,
        "incidents",
        lambda r: r.summary,
        c["incidents"],
        roles=c["incidents"],
    )
    cases = (
        linked_where(
            session,
            viewer,
            Case,
            "cases",
            lambda r: f"{r.number} {r.title}",
            "via_incidents",
            lambda: Case.id.in_(
                select(CaseIncident.case_id).where(
                    CaseIncident.incident_id.in_(bindparam("incident_ids", expanding=True))
                )
            ),
            {"incident_ids": [i.id for i in incident_links]},
        )
        if incident_links
        else []
    )
    return {
        "documents": linked_ids(
            session,
            viewer,
            Document,
            "documents",
            lambda r: f"{r.kind} {r.number}",
            c["documents"],
        ),
        "phones": linked_ids(session, viewer, Phone, "phones", lambda r: r.number, c["phones"]),
        "incidents": incident_links,
        "organisations": linked_ids(
            session,
            viewer,
            Organisation,
            "organisations",
            lambda r: r.name,
            c["organisations"],
            roles=c["organisations"],
        ),
        "crossings": linked_ids(
            session,
            viewer,
            Crossing,
            "crossings",
            lambda r: f"{r.direction} {r.crossed_at:%Y-%m-%d %H:%M}",
            c["crossings"],
        ),
        "cases": cases,
    }


PERSONS = ResourceSpec(
    name="persons",
    title="Persons",
    model=Person,
    create_schema=s.PersonCreate,
    update_schema=s.PersonUpdate,
    public_schema=s.PersonPublic,
    label=person_label,
    filters={
        "birth_year": (int, "Year of birth", lambda v: Person.birth_year == v),
        "nationality": (
            str,
            "ISO alpha-2 nationality",
            lambda v: cast(Person.nationalities, String).like(f'%"{v.upper()}"%'),
        ),
        "sex": (str, "M, F or U", lambda v: Person.sex == v),
    },
    text_search=name_condition,
    search_select=name_search_select,
    build=_build_person,
    patch=_patch_person,
    summary=_person_summary,
    extra=_person_extra,
    load_options=lambda: [selectinload(Person.names)],
    detail_children=lambda: [Person.names],
    custom_fields=frozenset({"names"}),
    create_example={
        "names": [
            {"full_name": "Нұрғалиев Ерлан", "surname": "Нұрғалиев", "given_name": "Ерлан"},
            {"full_name": "NURGALIEV ERLAN", "kind": "passport"},
        ],
        "sex": "M",
        "birth_year": 1984,
        "birth_month": 3,
        "nationalities": ["KZ"],
        "distribution": "country",
    },
)


def _build_document(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    ensure_visible(session, viewer, Person, data.person_id, "person_id")
    obj.number_key = identifier_key(data.number)
    if obj.issuing_country:
        obj.issuing_country = obj.issuing_country.upper()


def _patch_document(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    if "person_id" in data.model_fields_set:
        ensure_visible(session, viewer, Person, data.person_id, "person_id")
    obj.number_key = identifier_key(obj.number)
    if obj.issuing_country:
        obj.issuing_country = obj.issuing_country.upper()


DOCUMENTS = ResourceSpec(
    name="documents",
    title="Documents",
    model=Document,
    create_schema=s.DocumentCreate,
    update_schema=s.DocumentUpdate,
    public_schema=s.DocumentPublic,
    label=lambda r: f"{r.kind} {r.number}",
    filters={
        "number": (
            str,
            "Document number in any writing",
            lambda v: Document.number_key == identifier_key(v),
        ),
        "person_id": (str, "Holder", lambda v: Document.person_id == _uuid(v)),
        "issuing_country": (str, "ISO alpha-2", lambda v: Document.issuing_country == v.upper()),
    },
    text_search=lambda q: Document.number_key.like(f"{identifier_key(q)}%"),
    build=_build_document,
    patch=_patch_document,
    extra=lambda session, viewer, r: {
        "person": one_link(session, viewer, Person, "persons", person_label, r.person_id)
    },
    create_example={"kind": "passport", "number": "N1234567", "issuing_country": "KZ"},
)


def _uuid(v: str) -> Any:
    import uuid

    return uuid.UUID(str(v))


def _build_phone(session: Session, viewer: Viewer, obj: Any, data: Any) -> None:
    ensure_visible(session, viewer, Person, data.person_id, "person_id")
    ensure_visible(session, viewer, Organisation, data.organisation_id, "organisation_id")
    obj.number_key = identifier_key(data.number)


PHONES = ResourceSpec(
    name="phones",
    title="Phones",
    model=Phone,
    create_schema=s.PhoneCreate,
    update_schema=s.PhoneUpdate,
    public_schema=s.PhonePublic,
    label=lambda r: r.number,
    filters={"number": (str, "Phone number", lambda v: Phone.number_key == identifier_key(v))},
    text_search=lambda q: Phone.number_key.like(f"%{identifier_key(q)}%"),
    build=_build_phone,
    patch=lambda session, viewer, obj, data: setattr(obj, "number_key", identifier_key(obj.number)),
    extra=lambda session, viewer, r: {
        "person": one_link(session, viewer, Person, "persons", person_label, r.person_id),
        "organisation": one_link(
            session, viewer, Organisation, "organisations", lambda o: o.name, r.organisation_id
        ),
    },
    create_example={"number": "+77015550101", "distribution": "country"},
)
