"""Transliteration tables, one constant per standard (lower-case Cyrillic letter -> Latin).

Every table was written from the standard's own letter table (or, where noted, from the official
summary of it); context rules (``ye`` after vowels, ``cz``/``c`` before front vowels, ...) are in
``translit.py`` and are switched on per standard by :class:`StandardSpec`. Letters a standard does
not define fall back to the standard's rendering of the Russian letter they collapse to (see
:data:`NATIONAL_TO_RUSSIAN`), so every table covers every letter we know.

Sources (see ``docs/screening.md``):

- ICAO Doc 9303 Part 3, "Transliteration of Cyrillic characters" (7th/8th ed.); the Russian
  extract is published as "Добавление 9 к разделу IV" and applies to Russian passports since
  FMS order 320 (2012). Language exceptions: Belarusian Г->H, Ё->IO; Ukrainian И->Y.
- GOST R 52535.1-2006 (Russian passports 2010-2013): ICAO except Ц->TC and Ъ omitted.
- MVD order 310 (1997), appendix 6: passports 1997-2010.
- MVD order 782 (2000), appendix 7, driving licences ("Таблица соответствия русских и латинских
  букв"): context rules for Е, Ё, И after Ь.
- BGN/PCGN 1947 Russian; BGN/PCGN 1979 Kazakh; BGN/PCGN Kyrgyz; BGN/PCGN 1994 Tajik.
- ISO 9:1995 = GOST 7.79-2000 system A (one letter to one letter, diacritics).
- GOST 7.79-2000 system B (ASCII digraphs and grave accents).
- Kazakh Latin alphabet of 2021 (31 letters). Ц, Ч, Щ, Ю, Я, Ё are loan-word letters whose
  rendering is not in the published alphabet: marked UNVERIFIED below.
- ODNI ICS-630-01 (2015) Kazakh.
- Uzbek Latin alphabet (1995, revised) for Uzbek Cyrillic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

Table = Mapping[str, str]

#: Russian letters that every system in this module renders the same way.
RUSSIAN_COMMON: Final[Table] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "з": "z", "и": "i", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "ч": "ch", "ш": "sh",
}  # fmt: skip

#: Letters of Kazakh, Kyrgyz, Uzbek, Tajik, Ukrainian, Belarusian and Serbian/Macedonian Cyrillic
#: and the Russian Cyrillic used to write the same names in Russian documents ("Instruction on
#: the Russian rendering of Kazakh anthroponyms": Ә->А, Ғ->Г, Қ->К, Ң->Н, Ө->О, Ұ->У, Ү->У,
#: Һ->Х, І->И; Uzbek Ў->У, Ҳ->Х; Tajik Ҷ->ДЖ, Ӣ->И, Ӯ->У).
NATIONAL_TO_RUSSIAN: Final[Table] = {
    # Kazakh
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и",
    # Uzbek, Tajik (Ғ, Қ shared with Kazakh)
    "ў": "у", "ҳ": "х", "ҷ": "дж", "ӣ": "и", "ӯ": "у",
    # Ukrainian
    "ґ": "г", "є": "е", "ї": "и",
    # Serbian, Macedonian
    "ђ": "д", "ѓ": "г", "ѕ": "дз", "ј": "й", "љ": "л", "њ": "н", "ћ": "ч", "ќ": "к", "џ": "дж",
}  # fmt: skip

#: Kazakh-specific letters (used to recognise Kazakh text).
KAZAKH_LETTERS: Final = frozenset("әғқңөұүһі")
#: Letters that mark Uzbek or Tajik text (Ғ, Қ are shared with Kazakh).
UZBEK_LETTERS: Final = frozenset("ўқғҳ")
TAJIK_LETTERS: Final = frozenset("ғӣқӯҳҷ")
KYRGYZ_LETTERS: Final = frozenset("ңөү")
UKRAINIAN_LETTERS: Final = frozenset("ґєїі")
BELARUSIAN_LETTERS: Final = frozenset("ўі")

#: Cyrillic vowels (all languages above), for "after a vowel" context rules.
CYRILLIC_VOWELS: Final = frozenset("аеёиоуыэюяәөұүіїєӣӯў")

# --------------------------------------------------------------------------------------------
# Russian passport chain
# --------------------------------------------------------------------------------------------

#: ICAO Doc 9303 Part 3, Russian letters (Russian passports since 2013).
ICAO_9303: Final[Table] = {
    **RUSSIAN_COMMON,
    "е": "e", "ё": "e", "ж": "zh", "й": "i", "х": "kh", "ц": "ts", "щ": "shch",
    "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    # 9303 table, letters beyond Russian
    "ґ": "g", "є": "ie", "ї": "i", "і": "i", "ў": "u", "ђ": "d", "ѓ": "g", "ѕ": "dz", "ј": "j",
    "ќ": "k", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz",
}  # fmt: skip

#: ICAO 9303, Belarusian exceptions (Г->H, Ё->IO).
ICAO_9303_BELARUSIAN: Final[Table] = {**ICAO_9303, "г": "h", "ё": "io"}

#: ICAO 9303, Ukrainian exception (И->Y).
ICAO_9303_UKRAINIAN: Final[Table] = {**ICAO_9303, "и": "y"}

#: ICAO 9303 lists none of the Kazakh letters; Kazakh documents render them by their Russian
#: counterparts (national practice): Ә->A, Ғ->G, Қ->K, Ң->N, Ө->O, Ұ->U, Ү->U, Һ->H, І->I.
ICAO_9303_KAZAKH: Final[Table] = {
    **ICAO_9303,
    "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
}  # fmt: skip

#: GOST R 52535.1-2006 (Russian passports 2010-2013): ICAO 9303 with Ц->TC, Ъ omitted.
GOST_52535: Final[Table] = {**ICAO_9303, "ц": "tc", "ъ": ""}

#: MVD order 310 (1997), appendix 6 (Russian passports 1997-2010). Е->YE after Ь/Ъ (context rule).
MVD_310: Final[Table] = {
    **RUSSIAN_COMMON,
    "е": "e", "ё": "e", "ж": "zh", "й": "y", "х": "kh", "ц": "ts", "щ": "shch",
    "ъ": '"', "ы": "y", "ь": "'", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

#: MVD order 782 (2000), appendix 7. Е, Ё and И after Ь have context rules in ``translit.py``:
#: Е->YE initially and after vowels, Ъ, Ь; Ё->YO initially and after vowels, Ъ, Ь, ->E after
#: Ж Ч Ш Щ, ->YE after other consonants; И->YI after Ь; Ь/Ъ->' (absorbed before Е, Ё, И).
MVD_782: Final[Table] = {
    **RUSSIAN_COMMON,
    "е": "e", "ё": "ye", "ж": "zh", "й": "y", "х": "kh", "ц": "ts", "щ": "shch",
    "ъ": "'", "ы": "y", "ь": "'", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

#: BGN/PCGN 1947 Russian. Е->YE and Ё->YË initially, after vowels, Й, Ъ, Ь (context rule).
BGN_PCGN_RUSSIAN: Final[Table] = {
    **RUSSIAN_COMMON,
    "е": "e", "ё": "ë", "ж": "zh", "й": "y", "х": "kh", "ц": "ts", "щ": "shch",
    "ъ": "\u201d", "ы": "y", "ь": "\u2019", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

#: ISO 9:1995 = GOST 7.79-2000 system A. Non-Russian letters from the ISO 9 tables.
ISO_9: Final[Table] = {
    **RUSSIAN_COMMON,
    "е": "e", "ё": "ë", "ж": "ž", "й": "j", "х": "h", "ц": "c", "ч": "č", "ш": "š", "щ": "ŝ",
    "ъ": "\u02ba", "ы": "y", "ь": "\u02b9", "э": "è", "ю": "û", "я": "â",
    "ґ": "g\u0300", "є": "ê", "і": "ì", "ї": "ï", "ў": "ŭ", "ђ": "đ", "ѓ": "ǵ", "ѕ": "ẑ",
    "ј": "ǰ", "љ": "l\u0302", "њ": "n\u0302", "ћ": "ć", "ќ": "ḱ", "џ": "d\u0302",
    # non-Slavic letters (ISO 9 table 3); ISO 9 gives no equivalent for Kazakh Ұ.
    "ә": "a\u030b", "ғ": "ġ", "қ": "ķ", "ң": "ņ", "ө": "ô", "ү": "ù", "һ": "ḥ", "ҳ": "h\u0326",
}  # fmt: skip

#: GOST 7.79-2000 system B. Ц->CZ, but C before И Е Ы Й (context rule).
GOST_779_B: Final[Table] = {
    **RUSSIAN_COMMON,
    "е": "e", "ё": "yo", "ж": "zh", "й": "j", "х": "x", "ц": "cz", "щ": "shh",
    "ъ": "``", "ы": "y`", "ь": "`", "э": "e`", "ю": "yu", "я": "ya",
    "ґ": "g`", "є": "ye", "і": "i", "ї": "yi", "ў": "u`",
}  # fmt: skip

# --------------------------------------------------------------------------------------------
# Central Asian languages
# --------------------------------------------------------------------------------------------

#: Kazakh Latin alphabet of 2021 (31 letters). Й merges with И as İ/i; І is I/ı.
#: UNVERIFIED (loan-word letters not in the alphabet): Ц, Ч, Щ, Ю, Я, Ё.
KAZAKH_LATIN_2021: Final[Table] = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e", "ж": "j",
    "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "ñ",
    "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "ū", "ү": "ü",
    "ф": "f", "х": "h", "һ": "h", "ш": "ş", "ы": "y", "і": "ı", "ъ": "", "ь": "", "э": "e",
    "ц": "ts", "ч": "ch", "щ": "şş", "ю": "iu", "я": "ia", "ё": "io",
}  # fmt: skip

#: Upper-case forms that ``str.upper`` gets wrong in the Kazakh 2021 alphabet (i -> İ).
KAZAKH_LATIN_2021_UPPER: Final[Table] = {"i": "İ", "ı": "I"}

#: BGN/PCGN 1979 Kazakh (reconfirmed 2019).
BGN_PCGN_KAZAKH: Final[Table] = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "gh", "д": "d", "е": "e", "ё": "yo",
    "ж": "zh", "з": "z", "и": "ī", "й": "y", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n",
    "ң": "ng", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s", "т": "t", "у": "ū", "ұ": "u",
    "ү": "ü", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": '"', "ы": "y", "і": "i", "ь": "", "э": "ė", "ю": "yu", "я": "ya",
}  # fmt: skip

#: ODNI ICS-630-01 (2015) Kazakh, 26 plain letters; doubled digraphs collapse (шш->sh).
ODNI_KAZAKH: Final[Table] = {
    **RUSSIAN_COMMON,
    "ә": "a", "ғ": "gh", "қ": "q", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    "е": "e", "ё": "yo", "ж": "zh", "й": "y", "х": "kh", "ц": "ts", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

#: BGN/PCGN Kyrgyz: Ж->J, Ң->NG, Ө->Ö, Ү->Ü; Е->YE initially and after vowels (context rule).
BGN_PCGN_KYRGYZ: Final[Table] = {
    **RUSSIAN_COMMON,
    "е": "e", "ё": "yo", "ж": "j", "й": "y", "ң": "ng", "ө": "ö", "ү": "ü", "х": "kh",
    "ц": "ts", "щ": "shch", "ъ": '"', "ы": "y", "ь": "'", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

#: Uzbek Latin alphabet (1995, revised 2019 spelling of oʻ/gʻ). Е->YE initially and after vowels.
UZBEK_LATIN: Final[Table] = {
    **RUSSIAN_COMMON,
    "е": "e", "ё": "yo", "ж": "j", "й": "y", "х": "x", "ц": "ts", "щ": "sh", "ъ": "\u02bc",
    "ы": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "ў": "o\u02bb", "қ": "q", "ғ": "g\u02bb", "ҳ": "h",
}  # fmt: skip

#: BGN/PCGN 1994 Tajik: Ғ->GH, Ӣ->Ī, Қ->Q, Ӯ->Ū, Ҳ->H, Ҷ->J; Е->YE initially and after vowels.
BGN_PCGN_TAJIK: Final[Table] = {
    **RUSSIAN_COMMON,
    "е": "e", "ё": "yo", "ж": "zh", "й": "y", "х": "kh", "ц": "ts", "щ": "shch", "ъ": "\u02bc",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "ғ": "gh", "ӣ": "ī", "қ": "q", "ӯ": "ū", "ҳ": "h", "ҷ": "j",
}  # fmt: skip

#: Spelling observed in Kazakhstan passports (APPROXIMATE, compiled from public examples, not a
#: published table): Kazakh letters as in ICAO_9303_KAZAKH, Е->YE initially, Й->Y, Ю->YU, Я->YA,
#: С between vowels doubled (Асель -> ASSEL).
KAZAKHSTAN_PASSPORT_PRACTICE: Final[Table] = {
    **ICAO_9303_KAZAKH,
    "й": "y", "ъ": "", "ю": "yu", "я": "ya",
}  # fmt: skip


@dataclass(frozen=True)
class StandardSpec:
    """One transliteration standard: its table plus the context rules it uses."""

    key: str
    label: str
    table: Table
    #: context rule for Е/Ё: "" (none), "bgn", "mvd310", "mvd782", "initial_vowel"
    iotation: str = ""
    #: GOST 7.79 B: Ц -> "c" before И Е Ы Й, "cz" elsewhere
    cz_rule: bool = False
    #: С between vowels written SS (Kazakhstan practice)
    ss_between_vowels: bool = False
    #: collapse doubled Latin digraph output (ODNI: шш -> sh)
    collapse_doubled: bool = False
    upper: Table = field(default_factory=dict)
    #: letters that must be present for this standard to be applied by ``variants()``
    #: (empty: always applied)
    requires_any: frozenset[str] = frozenset()
    #: ... and none of these letters (they belong to another language)
    excludes_any: frozenset[str] = frozenset()


_NOT_KAZAKH: Final = frozenset("ўҳӣӯҷ")

STANDARDS: Final[Mapping[str, StandardSpec]] = {
    s.key: s
    for s in (
        StandardSpec("icao", "ICAO 9303", ICAO_9303),
        StandardSpec(
            "icao_kaz", "ICAO 9303 (Kazakh letters)", ICAO_9303_KAZAKH,
            requires_any=KAZAKH_LETTERS,
        ),
        StandardSpec(
            "icao_bel", "ICAO 9303 (Belarusian)", ICAO_9303_BELARUSIAN,
            requires_any=BELARUSIAN_LETTERS, excludes_any=frozenset("әғқңөұүһҳӣӯҷ"),
        ),
        StandardSpec(
            "icao_ukr", "ICAO 9303 (Ukrainian)", ICAO_9303_UKRAINIAN,
            requires_any=frozenset("ґєї"),
        ),
        StandardSpec("gost_52535", "GOST R 52535.1-2006", GOST_52535),
        StandardSpec("mvd_310", "MVD order 310 (1997)", MVD_310, iotation="mvd310"),
        StandardSpec("mvd_782", "MVD order 782 (2000)", MVD_782, iotation="mvd782"),
        StandardSpec("bgn_rus", "BGN/PCGN Russian", BGN_PCGN_RUSSIAN, iotation="bgn"),
        StandardSpec("iso_9", "ISO 9:1995 / GOST 7.79 A", ISO_9),
        StandardSpec("gost_779_b", "GOST 7.79-2000 B", GOST_779_B, cz_rule=True),
        StandardSpec(
            "kaz_2021", "Kazakh Latin 2021", KAZAKH_LATIN_2021,
            upper=KAZAKH_LATIN_2021_UPPER, requires_any=KAZAKH_LETTERS, excludes_any=_NOT_KAZAKH,
        ),
        StandardSpec(
            "bgn_kaz", "BGN/PCGN Kazakh", BGN_PCGN_KAZAKH,
            requires_any=KAZAKH_LETTERS, excludes_any=_NOT_KAZAKH,
        ),
        StandardSpec(
            "odni_kaz", "ODNI Kazakh (2015)", ODNI_KAZAKH,
            collapse_doubled=True, requires_any=KAZAKH_LETTERS, excludes_any=_NOT_KAZAKH,
        ),
        StandardSpec(
            "kz_passport", "Kazakhstan passport practice", KAZAKHSTAN_PASSPORT_PRACTICE,
            iotation="initial_vowel", ss_between_vowels=True,
        ),
        StandardSpec(
            "bgn_kir", "BGN/PCGN Kyrgyz", BGN_PCGN_KYRGYZ,
            iotation="initial_vowel", requires_any=KYRGYZ_LETTERS,
            excludes_any=frozenset("әғқұһіўҳӣӯҷ"),
        ),
        StandardSpec(
            "uzbek_latin", "Uzbek Latin", UZBEK_LATIN,
            iotation="initial_vowel", requires_any=UZBEK_LETTERS,
            excludes_any=frozenset("әңөұүһіӣӯҷ"),
        ),
        StandardSpec(
            "bgn_tgk", "BGN/PCGN Tajik", BGN_PCGN_TAJIK,
            iotation="initial_vowel", requires_any=TAJIK_LETTERS,
            excludes_any=frozenset("әңөұүһіў"),
        ),
    )
}  # fmt: skip
