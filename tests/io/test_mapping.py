"""Mapping files and row building, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from shekara.io.mapping import (
    MappingError,
    build_row,
    column_for,
    leaf_kind,
    load_mapping,
    original_path,
    parse_path,
)
from shekara.persons.schemas import PersonCreate

PERSONS = {
    "resource": "persons",
    "id_column": "ID",
    "fields": {
        "names[0].full_name": "ФИО",
        "names[1].full_name": "Latin",
        "sex": {"column": "Пол", "map": {"М": "M", "Ж": "F"}, "map_only": True},
        "birth_year": {"column": "ДР", "date_format": ["%d.%m.%Y", "%Y"], "part": "year"},
        "birth_month": {"column": "ДР", "date_format": ["%d.%m.%Y", "%Y"], "part": "month"},
        "nationalities": {"column": "Гражданство", "split": ","},
    },
    "constants": {"names[1].kind": "passport", "distribution": "country"},
}


def test_parse_path() -> None:
    assert parse_path("names[1].full_name") == ("names", 1, "full_name")
    assert parse_path("seizures[0].transit_countries[2]") == (
        "seizures", 0, "transit_countries", 2)
    with pytest.raises(ValueError):
        parse_path("names[x].full_name")


def test_leaf_kinds() -> None:
    assert leaf_kind(PersonCreate, ("names", 0, "full_name")) == "str"
    assert leaf_kind(PersonCreate, ("birth_year",)) == "int"
    assert leaf_kind(PersonCreate, ("sex",)) == "enum"
    assert leaf_kind(PersonCreate, ("nationalities",)) == "list"
    with pytest.raises(ValueError, match="no field 'nope'"):
        leaf_kind(PersonCreate, ("names", 0, "nope"))


@pytest.mark.parametrize(("raw", "key"), [
    ("{not json", "(file)"),
    ({"resource": "aliens", "fields": {"x": "y"}}, "resource"),
    ({"resource": "persons", "fields": {"names[0].fullname": "A"}}, "fields.names[0].fullname"),
    ({"resource": "persons", "fields": {"sex": {"column": "A", "mapp": {}}}}, "fields.sex.mapp"),
    ({"resource": "persons", "fields": {"external_ref": "A"}}, "fields.external_ref"),
    ({"resource": "persons", "fields": {"sex": {"column": "A", "split": ","}}}, "fields.sex"),
    ({"resource": "persons", "fields": {"sex": "A"}, "constants": {"bogus": 1}}, "constants.bogus"),
    ({"resource": "persons", "fields": {"sex": "A"}, "timezone": "Mars/Olympus"}, "timezone"),
    ({"resource": "persons", "fields": {"sex": "A"}, "colour": "red"}, "colour"),
    ({"resource": "persons", "fields": {"sex": "A"}, "constants": {"distribution": "world"}},
     "constants.distribution"),
    ({"resource": "persons", "fields": {"names[1].full_name": "A"},
      "constants": {"names[1].kind": "nickname"}}, "constants.names[1].kind"),
])
def test_bad_mappings_name_the_key(raw: object, key: str) -> None:
    with pytest.raises(MappingError) as e:
        load_mapping(raw)  # type: ignore[arg-type]
    assert e.value.field == key, e.value.detail
    assert key in e.value.detail or key == "(file)"


def test_build_row_maps_dates_lists_and_constants() -> None:
    cm = load_mapping(PERSONS)
    built = build_row(cm, {"ID": " 17 ", "ФИО": "Иванов Иван", "Latin": "IVANOV IVAN",
                           "Пол": "М", "ДР": "12.03.1984", "Гражданство": "KZ, RU"})
    assert built.errors == []
    assert built.external_ref == "17"
    assert built.data == {
        "names": [{"full_name": "Иванов Иван"},
                  {"full_name": "IVANOV IVAN", "kind": "passport"}],
        "sex": "M", "birth_year": 1984, "birth_month": 3, "nationalities": ["KZ", "RU"],
        "distribution": "country", "external_ref": "17",
    }
    PersonCreate.model_validate(built.data)


def test_empty_list_items_are_dropped_and_errors_point_at_the_mapping_path() -> None:
    cm = load_mapping(PERSONS)
    built = build_row(cm, {"ID": "1", "ФИО": "", "Latin": "IVANOV", "Пол": "Ж", "ДР": "1970",
                           "Гражданство": ""})
    # names[0] had no value: the passport name becomes the only item, kind kept
    assert built.data["names"] == [{"full_name": "IVANOV", "kind": "passport"}]
    assert built.data["birth_year"] == 1970 and "birth_month" not in built.data
    assert original_path(built, ("names", 0, "full_name")) == "names[1].full_name"
    assert column_for(built, "names[1].full_name") == "Latin"


def test_cell_errors_name_field_and_column() -> None:
    cm = load_mapping(PERSONS)
    built = build_row(cm, {"ID": "", "ФИО": "A", "Latin": "", "Пол": "X", "ДР": "March 1984",
                           "Гражданство": ""})
    fields = {(e["field"], e["column"]) for e in built.errors}
    assert ("external_ref", "ID") in fields
    assert ("sex", "Пол") in fields
    assert ("birth_year", "ДР") in fields
    assert any("not in the map" in e["message"] for e in built.errors)


def test_xlsx_values_and_time_zones() -> None:
    cm = load_mapping({
        "resource": "incidents", "timezone": "+05:00",
        "fields": {"occurred_at": "when", "summary": "what", "reference": "ref",
                   "seizures[0].quantity": "qty", "seizures[0].commodity": "c",
                   "seizures[0].unit": {"column": "u", "default": "kg"}},
        "constants": {"category": "contraband"},
    })
    built = build_row(cm, {"when": datetime(2024, 5, 14, 6, 30), "what": "x", "ref": 1017.0,
                           "qty": 4.5, "c": "heroin", "u": None})
    assert built.data["occurred_at"] == datetime(2024, 5, 14, 6, 30,
                                                 tzinfo=timezone(timedelta(hours=5)))
    assert built.data["reference"] == "1017"
    assert built.data["seizures"] == [{"quantity": 4.5, "commodity": "heroin", "unit": "kg"}]
    built = build_row(cm, {"when": "2024-05-14T06:30:00Z", "what": "x", "ref": "", "qty": 1,
                           "c": "heroin", "u": "g"})
    assert built.data["occurred_at"] == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)


def test_dates_from_spreadsheets_become_dates() -> None:
    cm = load_mapping({"resource": "documents",
                       "fields": {"number": "n", "issued_on": "d"},
                       "constants": {"kind": "passport"}})
    built = build_row(cm, {"n": 123456, "d": datetime(2020, 1, 2)})
    assert built.data == {"number": "123456", "issued_on": date(2020, 1, 2), "kind": "passport"}


def test_decimal_comma_and_json_lists() -> None:
    cm = load_mapping({"resource": "incidents", "decimal_comma": True,
                       "fields": {"seizures[0].quantity": "q", "seizures[0].commodity": "c",
                                  "seizures[0].transit_countries": {"column": "t",
                                                                    "map": {"Казахстан": "KZ"}},
                                  "lat": "lat"}})
    built = build_row(cm, {"q": "1 200,5", "c": "heroin", "t": ["Казахстан", "RU", ""],
                           "lat": "50,85"})
    assert built.data == {"seizures": [{"quantity": "1200.5", "commodity": "heroin",
                                        "transit_countries": ["KZ", "RU"]}], "lat": "50.85"}
