"""How each resource is shown: which fields, in which order, with which label and format.

Presentation only: the record itself always comes from :mod:`shekara.records.service`, which
applies the sharing policy and writes the audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from shekara.web.i18n import N_


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"  # text, datetime, date, vocab:<name>, enum:<kind>, countries, link, coords


FIELDS: dict[str, tuple[Field, ...]] = {
    "persons": (
        Field("display_name", N_("Name")),
        Field("birth_date", N_("Date of birth")),
        Field("sex", N_("Sex"), "enum:sex"),
        Field("birth_place", N_("Place of birth")),
        Field("nationalities", N_("Nationalities"), "countries"),
        Field("notes", N_("Notes")),
    ),
    "documents": (
        Field("kind", N_("Kind"), "enum:document_kind"),
        Field("number", N_("Number")),
        Field("issuing_country", N_("Issuing country")),
        Field("issued_on", N_("Issued on"), "date"),
        Field("expires_on", N_("Expires on"), "date"),
        Field("person", N_("Holder"), "link"),
    ),
    "phones": (
        Field("number", N_("Number")),
        Field("person", N_("Person"), "link"),
        Field("organisation", N_("Organisation"), "link"),
    ),
    "vehicles": (
        Field("plate", N_("Plate")),
        Field("country", N_("Registration country")),
        Field("kind", N_("Kind"), "vocab:vehicle_kind"),
        Field("make", N_("Make")),
        Field("model", N_("Model")),
        Field("colour", N_("Colour")),
        Field("vin", N_("VIN")),
        Field("tracker_id", N_("Tracker")),
        Field("seal_id", N_("Seal")),
    ),
    "organisations": (
        Field("name", N_("Name")),
        Field("kind", N_("Kind"), "enum:organisation_kind"),
        Field("country", N_("Country")),
        Field("notes", N_("Notes")),
    ),
    "incidents": (
        Field("reference", N_("Reference")),
        Field("category", N_("Category"), "vocab:threat_category"),
        Field("occurred_at", N_("Occurred at (UTC)"), "datetime"),
        Field("place", N_("Place"), "link"),
        Field("lat", N_("Position"), "coords"),
        Field("summary", N_("Summary")),
        Field("description", N_("Description")),
    ),
    "crossings": (
        Field("direction", N_("Direction"), "enum:direction"),
        Field("crossed_at", N_("Crossed at (UTC)"), "datetime"),
        Field("checkpoint", N_("Checkpoint"), "link"),
        Field("person", N_("Person"), "link"),
        Field("vehicle", N_("Vehicle"), "link"),
        Field("result", N_("Result"), "vocab:crossing_result"),
        Field("inspected_for", N_("Inspected for"), "countries"),
    ),
    "cases": (
        Field("number", N_("Number")),
        Field("title", N_("Title")),
        Field("status", N_("Status"), "enum:case_status"),
        Field("opened_at", N_("Opened at (UTC)"), "datetime"),
    ),
    "sources": (
        Field("kind", N_("Kind"), "vocab:source_kind"),
        Field("title", N_("Title")),
        Field("url", N_("Address")),
        Field("published_at", N_("Published at (UTC)"), "datetime"),
    ),
}

# Lists of linked records shown under a record (key in the public schema, heading).
LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "persons": (
        ("documents", N_("Documents")),
        ("phones", N_("Phones")),
        ("incidents", N_("Incidents")),
        ("organisations", N_("Organisations and groups")),
        ("crossings", N_("Border crossings")),
        ("cases", N_("Cases")),
    ),
    "vehicles": (("incidents", N_("Incidents")), ("crossings", N_("Border crossings"))),
    "organisations": (("members", N_("Members")), ("incidents", N_("Incidents"))),
    "incidents": (
        ("persons", N_("Persons involved")),
        ("vehicles", N_("Vehicles involved")),
        ("organisations", N_("Organisations involved")),
        ("cases", N_("Cases")),
    ),
    "cases": (("incidents", N_("Incidents")),),
}

# The field that names a record in lists.
TITLE_FIELD: dict[str, str] = {
    "persons": "display_name",
    "documents": "number",
    "phones": "number",
    "vehicles": "plate",
    "organisations": "name",
    "incidents": "summary",
    "crossings": "crossed_at",
    "cases": "title",
    "sources": "title",
}

# Columns of the list page of each resource (keys of FIELDS).
COLUMNS: dict[str, tuple[str, ...]] = {
    "persons": ("birth_date", "nationalities"),
    "documents": ("kind", "issuing_country", "expires_on"),
    "phones": (),
    "vehicles": ("country", "kind", "make"),
    "organisations": ("kind", "country"),
    "incidents": ("occurred_at", "category"),
    "crossings": ("direction", "result"),
    "cases": ("number", "status", "opened_at"),
    "sources": ("kind",),
}

RESOURCE_PLURAL: dict[str, str] = {
    "persons": N_("Persons"),
    "documents": N_("Documents"),
    "phones": N_("Phones"),
    "vehicles": N_("Vehicles"),
    "organisations": N_("Organisations and groups"),
    "incidents": N_("Incidents"),
    "crossings": N_("Border crossings"),
    "cases": N_("Cases"),
    "sources": N_("Sources"),
}

EXTRA_ENUMS: dict[str, dict[str, str]] = {
    "sex": {"M": N_("male"), "F": N_("female"), "U": N_("unknown")},
    "document_kind": {
        "passport": N_("passport"),
        "id_card": N_("identity card"),
        "driving_licence": N_("driving licence"),
        "residence_permit": N_("residence permit"),
        "visa": N_("visa"),
        "seaman_book": N_("seaman's book"),
        "other": N_("other"),
    },
    "organisation_kind": {
        "company": N_("company"),
        "criminal_group": N_("criminal group"),
        "other": N_("other"),
    },
    "direction": {"entry": N_("entry"), "exit": N_("exit")},
    "checkpoint_kind": {
        "road": N_("road"),
        "rail": N_("rail"),
        "air": N_("airport"),
        "sea": N_("sea port"),
        "river": N_("river port"),
        "pedestrian": N_("pedestrian"),
        "simplified": N_("simplified (local traffic)"),
    },
    "impact_level": {
        "low": N_("low impact"),
        "medium": N_("medium impact"),
        "high": N_("high impact"),
        "critical": N_("critical impact"),
    },
    "agency_kind": {
        "border": N_("border guard"),
        "customs": N_("customs"),
        "police": N_("police"),
        "security": N_("security service"),
        "prosecutor": N_("prosecutor's office"),
        "drug_control": N_("drug control"),
        "coordination_centre": N_("coordination centre"),
    },
    "name_kind": {
        "native": N_("native script"),
        "passport": N_("passport Latin"),
        "transliteration": N_("transliteration"),
        "alias": N_("alias"),
    },
}

FILTER_LABELS: dict[str, str] = {
    "category": N_("Category"),
    "commodity": N_("Commodity"),
    "since": N_("From"),
    "until": N_("Before"),
    "owner_country": N_("Owner country"),
    "status": N_("Status"),
    "kind": N_("Kind"),
    "country": N_("Country"),
}
