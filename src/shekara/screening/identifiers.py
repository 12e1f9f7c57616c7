"""Document numbers, vehicle plates and country codes: normalisation and match keys.

Two levels, for every identifier:

- ``normalize_*``: the canonical form to store and show (upper case, Latin letters, no spaces or
  dashes). Cyrillic letters that look like Latin ones (А В Е К М Н О Р С Т У Х) become the Latin
  letter: Russian plates use only those twelve letters, and officers type either script.
- ``*_match_key``: a deliberately lossy key for lookups that also folds the confusions of
  reading and OCR (letter O vs digit 0, letter I vs digit 1). Two identifiers with the same key
  are a candidate, not a match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

__all__ = [
    "HOMOGLYPHS",
    "country_alpha2",
    "country_alpha3",
    "document_match_key",
    "normalize_document_number",
    "normalize_plate",
    "plate_match_key",
    "same_country",
    "split_russian_passport",
]

#: Cyrillic capital letters with a Latin look-alike (the Russian plate alphabet).
HOMOGLYPHS: Final = {
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X",
    # less common look-alikes seen in typed document numbers
    "Ё": "E", "І": "I", "Ј": "J", "Ѕ": "S", "Ү": "Y",
}  # fmt: skip
_HOMOGLYPH_TABLE: Final = str.maketrans(HOMOGLYPHS)
_SEPARATORS_RE: Final = re.compile(r"[\s\-–—_./\\№#]+")
_OCR_TABLE: Final = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1"})
_PLATE_OCR_TABLE: Final = str.maketrans({"O": "0", "I": "1"})


@lru_cache(maxsize=1 << 16)
def _canonical(value: str) -> str:
    s = unicodedata.normalize("NFKC", value).upper().translate(_HOMOGLYPH_TABLE)
    s = re.sub(r"^NO\.?\s*(?=\d)", "", s.strip())  # "№" is "NO" after NFKC
    return _SEPARATORS_RE.sub("", s)


def normalize_document_number(value: str) -> str:
    """Canonical document number: upper case, Latin look-alikes, no spaces, dashes, dots or a
    leading "№"/"No." (``"№ 45 06-123456"`` -> ``"4506123456"``, ``"н12345678"`` ->
    ``"H12345678"``)."""
    return _canonical(value)


def document_match_key(value: str) -> str:
    """Lookup key for document numbers that also folds O/Q/D->0 and I/L->1 (OCR and typing
    confusions). ``"AO123I45"`` and ``"A0123145"`` share a key."""
    return _canonical(value).translate(_OCR_TABLE)


def split_russian_passport(value: str) -> tuple[str, str] | None:
    """Series and number of a Russian internal passport (10 digits: 4 + 6), else None."""
    digits = normalize_document_number(value)
    if len(digits) == 10 and digits.isdigit():
        return digits[:4], digits[4:]
    return None


_PLATE_COUNTRY_RE: Final = re.compile(r"(RUS|KZ|KAZ|BY|KG|UZ|TJ)$")


def normalize_plate(value: str) -> str:
    """Canonical vehicle plate: Cyrillic look-alikes to Latin, upper case, no spaces, dashes or
    trailing country sign (``"а 123 вс 77 RUS"`` -> ``"A123BC77"``)."""
    s = _canonical(value)
    stripped = _PLATE_COUNTRY_RE.sub("", s)
    return stripped if len(stripped) >= 4 else s


def plate_match_key(value: str) -> str:
    """Lookup key for plates that also folds letter O to digit 0 and I to 1."""
    return normalize_plate(value).translate(_PLATE_OCR_TABLE)


# --------------------------------------------------------------------------------------------
# Country codes
# --------------------------------------------------------------------------------------------

#: ISO 3166-1 alpha-3 -> alpha-2 for the region, its neighbours and frequent travel countries;
#: plus the ICAO 9303 codes that are not ISO (D for Germany, UNO/UNA/UNK, XXA/XXB/XXC/XXX).
_ALPHA3_TO_ALPHA2: Final[dict[str, str]] = {
    "KAZ": "KZ", "RUS": "RU", "BLR": "BY", "KGZ": "KG", "UZB": "UZ", "TJK": "TJ", "TKM": "TM",
    "AFG": "AF", "AZE": "AZ", "ARM": "AM", "GEO": "GE", "UKR": "UA", "MDA": "MD", "MNG": "MN",
    "CHN": "CN", "IRN": "IR", "PAK": "PK", "IND": "IN", "TUR": "TR", "ARE": "AE", "SAU": "SA",
    "DEU": "DE", "POL": "PL", "LTU": "LT", "LVA": "LV", "EST": "EE", "FIN": "FI", "FRA": "FR",
    "GBR": "GB", "USA": "US", "ITA": "IT", "ESP": "ES", "NLD": "NL", "BEL": "BE", "CZE": "CZ",
    "AUT": "AT", "CHE": "CH", "SWE": "SE", "NOR": "NO", "DNK": "DK", "ISR": "IL", "KOR": "KR",
    "PRK": "KP", "JPN": "JP", "VNM": "VN", "THA": "TH", "EGY": "EG", "IRQ": "IQ", "SYR": "SY",
    "BGR": "BG", "ROU": "RO", "HUN": "HU", "SRB": "RS", "GRC": "GR", "CYP": "CY", "CAN": "CA",
    "UTO": "UT",  # ICAO 9303 specimen state "Utopia"
}  # fmt: skip
_ICAO_SPECIAL: Final[dict[str, str]] = {"D": "DE", "D<<": "DE", "GBD": "GB", "GBN": "GB",
                                        "GBO": "GB", "GBP": "GB", "GBS": "GB"}  # fmt: skip
_ALPHA2_TO_ALPHA3: Final[dict[str, str]] = {v: k for k, v in _ALPHA3_TO_ALPHA2.items()}
#: Country names often typed instead of codes (English and Russian).
_NAMES: Final[dict[str, str]] = {
    "KAZAKHSTAN": "KZ", "КАЗАХСТАН": "KZ", "RUSSIA": "RU", "РОССИЯ": "RU",
    "RUSSIAN FEDERATION": "RU", "BELARUS": "BY", "БЕЛАРУСЬ": "BY", "KYRGYZSTAN": "KG",
    "КЫРГЫЗСТАН": "KG", "UZBEKISTAN": "UZ", "УЗБЕКИСТАН": "UZ", "TAJIKISTAN": "TJ",
    "ТАДЖИКИСТАН": "TJ", "TURKMENISTAN": "TM", "ТУРКМЕНИСТАН": "TM", "AFGHANISTAN": "AF",
    "АФГАНИСТАН": "AF", "CHINA": "CN", "КИТАЙ": "CN",
}  # fmt: skip


@lru_cache(maxsize=4096)
def country_alpha2(code: str | None) -> str | None:
    """ISO alpha-2 code for an alpha-2, alpha-3, ICAO or country-name input; None if unknown.

    Unknown but well-formed alpha-2 codes pass through (``"ZZ"`` -> ``"ZZ"``).
    """
    if not code:
        return None
    c = code.strip().upper().rstrip("<")
    if c in _NAMES:
        return _NAMES[c]
    if c in _ICAO_SPECIAL:
        return _ICAO_SPECIAL[c]
    if len(c) == 3 and c in _ALPHA3_TO_ALPHA2:
        return _ALPHA3_TO_ALPHA2[c]
    if len(c) == 2 and c.isalpha() and c.isascii():
        return c
    return None


def country_alpha3(code: str | None) -> str | None:
    """ISO alpha-3 code (as in machine-readable zones), or None if unknown."""
    c = country_alpha2(code)
    if c is None:
        return None
    return _ALPHA2_TO_ALPHA3.get(c)


def same_country(a: str | None, b: str | None) -> bool | None:
    """True/False when both codes are known, None when either is missing or unknown."""
    ca, cb = country_alpha2(a), country_alpha2(b)
    if ca is None or cb is None:
        return None
    return ca == cb
