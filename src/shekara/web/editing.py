"""Forms for creating and editing persons, vehicles, documents and organisations.

Presentation only: which inputs a form shows, and how a record's public form becomes the form's
values and back. Saving goes through :func:`shekara.records.service.create_record` /
:func:`~shekara.records.service.update_record` (policy, owner check and audit live there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from shekara.web.i18n import N_


@dataclass(frozen=True)
class Input:
    key: str
    label: str
    kind: str = "text"  # text, textarea, number, date, countries, enum:<kind>, vocab:<name>
    required: bool = False
    hint: str = ""


COUNTRY_HINT = N_("Two-letter ISO code, e.g. KZ.")
INPUTS: dict[str, tuple[Input, ...]] = {
    "persons": (
        Input("sex", N_("Sex"), "enum:sex"),
        Input("birth_year", N_("Year of birth"), "number", hint=N_("e.g. 1984; may stay empty.")),
        Input("birth_month", N_("Month of birth"), "number", hint=N_("1 to 12.")),
        Input("birth_day", N_("Day of birth"), "number", hint=N_("1 to 31.")),
        Input("birth_place", N_("Place of birth")),
        Input(
            "nationalities",
            N_("Nationalities"),
            "countries",
            hint=N_("ISO codes separated by commas, e.g. KZ, RU."),
        ),
        Input("notes", N_("Notes"), "textarea"),
    ),
    "vehicles": (
        Input("plate", N_("Plate"), required=True, hint=N_("As written on the plate.")),
        Input("country", N_("Registration country"), hint=COUNTRY_HINT),
        Input("kind", N_("Kind"), "vocab:vehicle_kind", required=True),
        Input("make", N_("Make")),
        Input("model", N_("Model")),
        Input("colour", N_("Colour")),
        Input("vin", N_("VIN")),
        Input("tracker_id", N_("Tracker")),
        Input("seal_id", N_("Seal")),
    ),
    "documents": (
        Input("kind", N_("Kind"), "enum:document_kind", required=True),
        Input("number", N_("Number"), required=True),
        Input("issuing_country", N_("Issuing country"), hint=COUNTRY_HINT),
        Input("issued_on", N_("Issued on"), "date"),
        Input("expires_on", N_("Expires on"), "date"),
    ),
    "organisations": (
        Input("name", N_("Name"), required=True),
        Input("kind", N_("Kind"), "enum:organisation_kind", required=True),
        Input("country", N_("Country"), hint=COUNTRY_HINT),
        Input("notes", N_("Notes"), "textarea"),
    ),
}
EDITABLE = frozenset(INPUTS)
CREATABLE = frozenset({"persons", "vehicles"})
NEW_TITLES = {"persons": N_("New person"), "vehicles": N_("New vehicle")}
EDIT_TITLES = {
    "persons": N_("Edit person"),
    "vehicles": N_("Edit vehicle"),
    "documents": N_("Edit document"),
    "organisations": N_("Edit organisation"),
}
SHARING_KEYS = (
    "distribution",
    "hit_only",
    "partner_countries",
    "partner_agencies",
    "handling_code",
    "handling_note",
    "source_reliability",
    "info_credibility",
)
DEFAULTS = {
    "distribution": "country",
    "handling_code": "H0",
    "source_reliability": "X",
    "info_credibility": "4",
}
NAME_ROWS_EXTRA = 1  # blank name rows offered after the existing ones
MAX_NAMES = 20


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v)


def record_values(resource: str, record: dict[str, Any]) -> dict[str, str]:
    """The form's values for an existing record (its public form, as the owner reads it)."""
    out = {i.key: _text(record.get(i.key)) for i in INPUTS[resource]}
    sh = record["sharing"]
    for key in SHARING_KEYS:
        if key == "hit_only":
            if sh.get("hit_only"):
                out["hit_only"] = "on"
        else:
            out[key] = _text(sh.get(key))
    if resource == "persons":
        for n, name in enumerate(record.get("names") or []):
            out[f"names[{n}].full_name"] = name["full_name"]
            out[f"names[{n}].kind"] = name["kind"]
    return out


def name_rows(values: dict[str, str]) -> list[dict[str, str]]:
    """The name rows of a person form: those typed, then a blank one."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in values.items():
        if key.startswith("names[") and "]." in key:
            index, _, field = key[6:].partition("].")
            if index.isdigit() and int(index) < MAX_NAMES:
                rows.setdefault(int(index), {})[field] = value
    out = [rows[i] for i in sorted(rows) if rows[i].get("full_name", "").strip()]
    return out + [{"kind": "native"} for _ in range(NAME_ROWS_EXTRA)]


def payload(resource: str, data: dict[str, Any], hit_only: bool) -> dict[str, Any]:
    """The nested form data as the create schema takes it."""
    data["hit_only"] = hit_only
    if resource == "persons":
        data["names"] = [n for n in data.get("names", []) if n.get("full_name")]
    return data


def as_update(resource: str, created: BaseModel, update_schema: type[BaseModel]) -> BaseModel:
    """The update with every field of the form set (an emptied field is cleared)."""
    keys = [i.key for i in INPUTS[resource]] + list(SHARING_KEYS)
    if resource == "persons":
        keys.append("names")
    return update_schema.model_validate({k: getattr(created, k) for k in keys})
