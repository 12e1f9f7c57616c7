"""Document numbers, plates and country codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shekara.screening.identifiers import (
    HOMOGLYPHS,
    country_alpha2,
    country_alpha3,
    document_match_key,
    normalize_document_number,
    normalize_plate,
    plate_match_key,
    same_country,
    split_russian_passport,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("№ 45 06-123456", "4506123456"), ("45 06 123456", "4506123456"), ("н12345678", "H12345678"),
     ("N 1234 5678", "N12345678"), ("No. 123", "123"), ("ав 1234567", "AB1234567"),
     ("  l898902c3 ", "L898902C3"), ("12.34.56", "123456")],
)  # fmt: skip
def test_normalize_document_number(raw: str, expected: str) -> None:
    assert normalize_document_number(raw) == expected


def test_document_match_key_folds_ocr_confusions() -> None:
    assert document_match_key("AO123I45") == document_match_key("A0123145")
    assert document_match_key("АО123І45") == document_match_key("A0123145")  # Cyrillic
    assert document_match_key("N12345678") != document_match_key("N12345679")


def test_split_russian_passport() -> None:
    assert split_russian_passport("45 06 123456") == ("4506", "123456")
    assert split_russian_passport("N12345678") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("а 123 вс 77 RUS", "A123BC77"), ("A123BC777", "A123BC777"), ("А123ВС 77", "A123BC77"),
     ("123 ABC 02", "123ABC02"), ("01 KZ 123 ABA", "01KZ123ABA"), ("х001хх 99", "X001XX99"),
     ("1234 AB-7", "1234AB7")],
)  # fmt: skip
def test_normalize_plate(raw: str, expected: str) -> None:
    assert normalize_plate(raw) == expected


def test_plate_match_key() -> None:
    assert plate_match_key("О001ОО77") == plate_match_key("0001OO77")  # letter O vs digit 0
    assert plate_match_key("А123ВС77") == plate_match_key("a 123 bc 77")


def test_all_russian_plate_letters_have_latin_look_alikes() -> None:
    for cyr in "АВЕКМНОРСТУХ":
        assert HOMOGLYPHS[cyr].isascii()
        assert (
            normalize_plate(f"{cyr}123{cyr}{cyr}77")
            == f"{HOMOGLYPHS[cyr]}123" + (HOMOGLYPHS[cyr] * 2) + "77"
        )


@given(st.text(alphabet="АВЕКМНОРСТУХавекмнорстух0123456789 -", min_size=1, max_size=12))
def test_plate_normalisation_idempotent(raw: str) -> None:
    once = normalize_plate(raw)
    assert normalize_plate(once) == once
    assert plate_match_key(once) == plate_match_key(raw)


@pytest.mark.parametrize(
    ("code", "alpha2", "alpha3"),
    [("KAZ", "KZ", "KAZ"), ("kz", "KZ", "KAZ"), ("RUS", "RU", "RUS"), ("D", "DE", "DEU"),
     ("D<<", "DE", "DEU"), ("Kazakhstan", "KZ", "KAZ"), ("Россия", "RU", "RUS"),
     ("UZB", "UZ", "UZB"), ("GBD", "GB", "GBR"), ("ZZ", "ZZ", None), ("XYZ", None, None),
     ("", None, None), (None, None, None)],
)  # fmt: skip
def test_country_codes(code: str | None, alpha2: str | None, alpha3: str | None) -> None:
    assert country_alpha2(code) == alpha2
    assert country_alpha3(code) == alpha3


def test_same_country() -> None:
    assert same_country("KAZ", "kz") is True
    assert same_country("RUS", "KZ") is False
    assert same_country(None, "KZ") is None
