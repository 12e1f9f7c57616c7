"""Records as FollowTheMoney entities (https://followthemoney.tech), for Aleph users.

Entity ids are ``shekara-<record uuid>`` so that exports of different resources link up when
loaded into one Aleph collection. A link to another record (a document's holder, an incident's
persons) is written only when the exporting user may see that record too; its content is not
copied (export that resource as well). Every entity carries the owner agency as ``publisher``
and, where the schema has ``keywords``, the handling code and distribution, so that the
conditions of use travel with the data.

============== ==========================================================================
Resource       Entities
============== ==========================================================================
persons        Person (name, alias, first/last/father name, birthDate, nationality, gender)
documents      Passport or Identification with a visible holder; otherwise a Note
phones         the ``phone`` property of the holder's Person or Organization (an entity
               fragment with the holder's id, merged by Aleph); a LegalEntity named after
               the number when the phone has no visible holder
vehicles       Vehicle (registrationNumber, country, model, type)
organisations  Organization, plus one Membership per visible member
incidents      Event (date, summary, involved persons and organisations) and an UnknownLink
               per involved vehicle
crossings      Event (date, checkpoint as location, involved person) and an UnknownLink for
               the vehicle
cases          Note, plus an UnknownLink to each visible incident
sources        Note (title, sourceUrl)
============== ==========================================================================
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from followthemoney import model as ftm_model
from followthemoney.proxy import EntityProxy
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.agencies.models import Agency
from shekara.cases.models import CaseIncident
from shekara.incidents.models import Incident
from shekara.organisations.models import Membership, Organisation
from shekara.persons.models import Person
from shekara.persons.resource import birth_date
from shekara.places.models import Place
from shekara.policy.sharing import Viewer, visible
from shekara.records.spec import ResourceSpec
from shekara.vehicles.models import Vehicle

PREFIX = "shekara"
GENDER = {"M": "male", "F": "female"}


def entity_id(record_id: uuid.UUID | str) -> str:
    return f"{PREFIX}-{record_id}"


def _visible_ids(
    session: Session, viewer: Viewer, model: Any, ids: Iterable[uuid.UUID | None]
) -> set[uuid.UUID]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return set()
    return set(session.execute(
        select(model.id).where(model.id.in_(wanted), visible(viewer, model))
    ).scalars())


def _make(schema: str, key: str) -> EntityProxy:
    e = ftm_model.make_entity(schema)
    e.id = key
    return e


def _val(v: Any) -> Any:
    return v.value if hasattr(v, "value") else v


def _provenance(session: Session, e: EntityProxy, obj: Any) -> None:
    agency = session.get(Agency, obj.owner_agency_id)
    e.add("publisher", f"Shekara: {agency.code if agency else obj.owner_country}")
    if "keywords" in e.schema.properties:
        e.add("keywords", [f"handling:{_val(obj.handling_code)}",
                           f"distribution:{_val(obj.distribution)}",
                           f"evaluation:{_val(obj.source_reliability)}"
                           f"{_val(obj.info_credibility)}"])
        if obj.hit_only:
            e.add("keywords", "hit_only")


def _date(d: Any) -> str | None:
    return d.isoformat() if d is not None else None


def entities(session: Session, viewer: Viewer, spec: ResourceSpec, obj: Any) -> list[EntityProxy]:
    """The FtM entities of one record that ``viewer`` may see in full."""
    fn = _BUILDERS[spec.name]
    out = fn(session, viewer, obj)
    if out:
        _provenance(session, out[0], obj)
    return out


def _person(session: Session, viewer: Viewer, p: Any) -> list[EntityProxy]:
    e = _make("Person", entity_id(p.id))
    names = list(p.names)
    e.add("name", p.display_name)
    e.add("alias", [n.full_name for n in names if n.full_name != p.display_name])
    for n in names[:1]:
        e.add("lastName", n.surname or None)
        e.add("firstName", n.given_name or None)
        e.add("fatherName", n.patronymic or None)
    e.add("birthDate", birth_date(p))
    e.add("birthPlace", p.birth_place or None)
    e.add("nationality", [c.lower() for c in p.nationalities or []])
    e.add("gender", GENDER.get(_val(p.sex)))
    e.add("notes", p.notes or None)
    return [e]


def _document(session: Session, viewer: Viewer, d: Any) -> list[EntityProxy]:
    kind = _val(d.kind)
    holder = d.person_id if d.person_id in _visible_ids(session, viewer, Person,
                                                        [d.person_id]) else None
    if holder is None:
        e = _make("Note", entity_id(d.id))
        e.add("name", f"{kind} {d.number}")
        e.add("description", f"{kind} {d.number}, issued by {d.issuing_country or '?'}")
        e.add("country", (d.issuing_country or "").lower() or None)
        return [e]
    e = _make("Passport" if kind == "passport" else "Identification", entity_id(d.id))
    e.add("number", d.number)
    if kind == "passport":
        e.add("passportNumber", d.number)
    e.add("type", kind)
    e.add("holder", entity_id(holder))
    e.add("country", (d.issuing_country or "").lower() or None)
    e.add("startDate", _date(d.issued_on))
    e.add("endDate", _date(d.expires_on))
    return [e]


def _phone(session: Session, viewer: Viewer, ph: Any) -> list[EntityProxy]:
    if ph.person_id in _visible_ids(session, viewer, Person, [ph.person_id]):
        e = _make("Person", entity_id(ph.person_id))
    elif ph.organisation_id in _visible_ids(session, viewer, Organisation,
                                             [ph.organisation_id]):
        e = _make("Organization", entity_id(ph.organisation_id))
    else:
        e = _make("LegalEntity", entity_id(ph.id))
        e.add("name", ph.number)
    e.add("phone", ph.number)
    return [e]


def _vehicle(session: Session, viewer: Viewer, v: Any) -> list[EntityProxy]:
    e = _make("Vehicle", entity_id(v.id))
    e.add("name", v.plate)
    e.add("registrationNumber", v.plate)
    e.add("country", (v.country or "").lower() or None)
    e.add("model", " ".join(x for x in (v.make, v.model) if x) or None)
    e.add("type", v.kind)
    details = [f"VIN {v.vin}" if v.vin else "", f"colour {v.colour}" if v.colour else ""]
    e.add("description", ", ".join(x for x in details if x) or None)
    return [e]


def _organisation(session: Session, viewer: Viewer, o: Any) -> list[EntityProxy]:
    e = _make("Organization", entity_id(o.id))
    e.add("name", o.name)
    e.add("country", (o.country or "").lower() or None)
    e.add("classification", o.kind)
    e.add("notes", o.notes or None)
    out = [e]
    members = session.execute(
        select(Membership).where(Membership.organisation_id == o.id)
    ).scalars().all()
    seen = _visible_ids(session, viewer, Person, [m.person_id for m in members])
    for m in members:
        if m.person_id not in seen:
            continue
        link = _make("Membership", entity_id(m.id))
        link.add("member", entity_id(m.person_id))
        link.add("organization", e.id)
        link.add("role", m.role)
        link.add("startDate", _date(m.since))
        link.add("endDate", _date(m.until))
        out.append(link)
    return out


def _link(key: str, subject: str, obj: str, role: str) -> EntityProxy:
    link = _make("UnknownLink", key)
    link.add("subject", subject)
    link.add("object", obj)
    link.add("role", role)
    return link


def _incident(session: Session, viewer: Viewer, inc: Any) -> list[EntityProxy]:
    e = _make("Event", entity_id(inc.id))
    e.add("name", inc.summary)
    e.add("summary", inc.summary)
    e.add("date", inc.occurred_at.isoformat())
    e.add("country", inc.owner_country.lower())
    seizures = [f"{s.quantity.normalize()} {s.unit} {s.commodity}"
                + (f" ({s.concealment})" if s.concealment else "") for s in inc.seizures]
    text = "\n".join(x for x in [inc.description, "Seized: " + "; ".join(seizures)
                                 if seizures else ""] if x)
    e.add("description", text or None)
    e.add("keywords", [inc.category, *(s.commodity for s in inc.seizures)])
    place = session.get(Place, inc.place_id) if inc.place_id else None
    if place is not None:
        e.add("location", place.name_en)
    invs = list(inc.involvements)
    persons = _visible_ids(session, viewer, Person, [i.person_id for i in invs])
    orgs = _visible_ids(session, viewer, Organisation, [i.organisation_id for i in invs])
    vehicles = _visible_ids(session, viewer, Vehicle, [i.vehicle_id for i in invs])
    out = [e]
    for inv in invs:
        if inv.person_id in persons or inv.organisation_id in orgs:
            e.add("involved", entity_id(inv.person_id or inv.organisation_id))
        if inv.vehicle_id in vehicles:
            out.append(_link(entity_id(inv.id), entity_id(inv.vehicle_id), e.id or "", inv.role))
    return out


def _crossing(session: Session, viewer: Viewer, c: Any) -> list[EntityProxy]:
    e = _make("Event", entity_id(c.id))
    place = session.get(Place, c.checkpoint_id)
    where = place.name_en if place is not None else ""
    e.add("name", f"{c.direction} {where}".strip())
    e.add("date", c.crossed_at.isoformat())
    e.add("location", where or None)
    e.add("summary", f"border crossing ({c.direction}), result: {c.result}")
    e.add("keywords", ["border_crossing", c.result])
    out = [e]
    if c.person_id in _visible_ids(session, viewer, Person, [c.person_id]):
        e.add("involved", entity_id(c.person_id))
    if c.vehicle_id in _visible_ids(session, viewer, Vehicle, [c.vehicle_id]):
        out.append(_link(f"{e.id}-vehicle", entity_id(c.vehicle_id), e.id or "", "vehicle"))
    return out


def _case(session: Session, viewer: Viewer, c: Any) -> list[EntityProxy]:
    e = _make("Note", entity_id(c.id))
    e.add("name", f"{c.number} {c.title}")
    e.add("summary", f"case {c.number}, status {_val(c.status)}")
    e.add("createdAt", c.opened_at.isoformat())
    ids = session.execute(
        select(CaseIncident.incident_id).where(CaseIncident.case_id == c.id)
    ).scalars().all()
    out = [e]
    for inc_id in sorted(_visible_ids(session, viewer, Incident, ids)):
        out.append(_link(f"{e.id}-{inc_id}", entity_id(inc_id), e.id or "", "case"))
    return out


def _source(session: Session, viewer: Viewer, s: Any) -> list[EntityProxy]:
    e = _make("Note", entity_id(s.id))
    e.add("name", s.title)
    e.add("summary", f"source ({s.kind})")
    e.add("sourceUrl", s.url or None)
    e.add("createdAt", _date(s.published_at))
    return [e]


_BUILDERS = {
    "persons": _person, "documents": _document, "phones": _phone, "vehicles": _vehicle,
    "organisations": _organisation, "incidents": _incident, "crossings": _crossing,
    "cases": _case, "sources": _source,
}
