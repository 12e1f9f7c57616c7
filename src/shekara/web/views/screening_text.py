"""Screening explanations in the user's language: reason codes rendered with gettext.

The scoring functions return reasons as codes with parameters (``surname_translit`` with
``query``, ``candidate``, ``standard``); the console renders them from the catalogs like every
other string. The English templates here are those of :mod:`shekara.screening.scoring` and
:mod:`shekara.screening.service` (``tests/web/test_screening_pages.py`` fails when a code has no
template here or its English text drifts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shekara.screening.models import HitAction, HitStatus, Verdict
from shekara.web.i18n import N_, Translator

#: whole-reason templates by code
REASONS: dict[str, str] = {
    "surname_suffix": N_("Surname: {query} ~ {candidate}, with and without -ov/-ev"),
    "surname_gender_form": N_("Surname: {query} ~ {candidate}, male and female forms"),
    "name_part_unmatched": N_("{part}: no counterpart in the other name"),
    "name_missing": N_("No name to compare"),
    "name_order_swapped": N_("Name parts in a different order"),
    "patronymic_match": N_("Patronymic: {query} = {candidate}"),
    "patronymic_mismatch": N_("Patronymic differs: {query} / {candidate}"),
    "patronymic_missing": N_("Patronymic present in one record only"),
    "common_name": N_("Common name: score lowered by {penalty}"),
    "dob_exact": N_("Date of birth: same ({query})"),
    "dob_compatible": N_("Date of birth: compatible ({query} / {candidate})"),
    "dob_day_month_swap": N_("Date of birth: day and month swapped ({query} / {candidate})"),
    "dob_one_digit": N_("Date of birth: one digit differs ({query} / {candidate})"),
    "dob_conflict": N_("Date of birth differs: {query} / {candidate}"),
    "dob_missing": N_("Date of birth missing in one record"),
    "nationality_match": N_("Nationality: same ({country})"),
    "nationality_conflict": N_("Nationality differs: {query} / {candidate}"),
    "nationality_missing": N_("Nationality missing in one record"),
    "document_match": N_("Document number: same ({number})"),
    "document_similar": N_("Document number: {query} ~ {candidate}, O/0 or I/1 confusion"),
    "document_different": N_("Document numbers differ"),
    "document_missing": N_("Document number missing in one record"),
    "namesake_name": N_(
        "Possible match only: the name alone, no date of birth or document confirms this one; "
        "other people carry this name"
    ),
    "namesake_year": N_(
        "Possible match only: other people carry this name, and a year of birth alone can "
        "agree by coincidence"
    ),
    "namesake_year_month": N_(
        "Possible match only: other people carry this name, and a year and month of birth can "
        "agree by coincidence"
    ),
    "namesake_date": N_(
        "Possible match only: a very common name, even a date of birth can agree by coincidence"
    ),
    # the service's own (documents, vehicles, frequency)
    "plate_match": N_("Plate: same ({plate})"),
    "plate_similar": N_("Plate: {query} ~ {candidate}, O/0 or I/1 confusion"),
    "vin_match": N_("VIN: same ({vin})"),
    "country_match": N_("Country: same ({country})"),
    "country_conflict": N_("Country differs: {query} / {candidate}"),
    "holder": N_("Holder: {name}"),
}
#: name-part templates (codes ``<part>_<how>``), with the part's label
PART_REASONS: dict[str, str] = {
    "exact": N_("{part}: {query} = {candidate}, same spelling"),
    "translit": N_("{part}: {query} = {candidate}, transliteration ({standard})"),
    "cyrillic_form": N_("{part}: {query} = {candidate}, Kazakh/Russian Cyrillic forms"),
    "spelling": N_("{part}: {query} = {candidate}, spelling variant"),
    "initial": N_("{part}: {query} ~ {candidate}, initial only"),
    "typo": N_("{part}: {query} ~ {candidate}, one letter differs"),
    "fuzzy": N_("{part}: {query} ~ {candidate}, similar spelling ({similarity})"),
    "different": N_("{part}: {query} and {candidate} differ"),
}
PART_LABELS: dict[str, str] = {
    "surname": N_("Surname"),
    "given_name": N_("Given name"),
    "name": N_("Name"),
}
ACTIONS: dict[str, str] = {
    HitAction.arrest: N_("Arrest"),
    HitAction.refuse_entry: N_("Refuse entry"),
    HitAction.discreet_check: N_("Discreet check"),
    HitAction.specific_check: N_("Specific check"),
    HitAction.inform_owner: N_("Inform the owner"),
}
STATUSES: dict[str, str] = {
    HitStatus.pending: N_("Awaiting the owner's answer"),
    HitStatus.confirmed: N_("Confirmed"),
    HitStatus.rejected: N_("Rejected"),
}
VERDICTS: dict[str, str] = {
    Verdict.positive: N_("Same entity"),
    Verdict.negative: N_("Different"),
    Verdict.unsure: N_("Unsure"),
}
RECORD_TYPES: dict[str, str] = {
    "person": N_("Person"),
    "document": N_("Document"),
    "vehicle": N_("Vehicle"),
}
#: record type of the screening service -> resource name of the record pages
RESOURCE_OF = {"person": "persons", "document": "documents", "vehicle": "vehicles"}
#: MRZ fields named in check-digit problems
MRZ_FIELDS: dict[str, str] = {
    "document_number": N_("Document number"),
    "birth_date": N_("Date of birth"),
    "expiry_date": N_("Date of expiry"),
    "optional_data": N_("Personal number"),
    "composite": N_("Whole zone (composite check digit)"),
    "sex": N_("Sex"),
    "mrz": N_("Layout"),
}
MRZ_CODES: dict[str, str] = {
    "check_digit": N_("check digit does not match: the zone was misread or altered"),
    "format": N_("not in the expected format"),
    "length": N_("line length does not fit TD1, TD2 or TD3"),
    "charset": N_("characters other than A-Z, 0-9 and <"),
}


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _value(v: Any, t: Translator) -> Any:
    if isinstance(v, float):
        return t.number(v, 2)
    return v


def reason_text(t: Translator, code: str, params: Mapping[str, Any], fallback: str = "") -> str:
    """One reason in the user's language; ``fallback`` (the service's text) for a new code."""
    values = _Params({k: _value(v, t) for k, v in params.items()})
    template = REASONS.get(code)
    if template is None:
        kind, _, how = code.partition("_")
        if kind == "given":
            kind, how = "given_name", how.removeprefix("name_")
        if kind in PART_LABELS and how in PART_REASONS:
            values["part"] = t.gettext(PART_LABELS[kind])
            template = PART_REASONS[how]
    if template is None:
        return fallback or code
    return t.gettext(template).format_map(values)


def label_of(table: Mapping[str, str], t: Translator, value: Any) -> str:
    raw = str(getattr(value, "value", value) or "")
    found = table.get(raw)
    return t.gettext(found) if found else raw
