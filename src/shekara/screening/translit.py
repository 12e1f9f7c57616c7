"""Transliteration, romanisation variants and the script-independent ``skeleton`` key.

- :func:`transliterate` renders Cyrillic text under one standard (see ``translit_tables``).
- :func:`variants_by_standard` / :func:`variants` give every Latin rendering of a Cyrillic name
  under all the standards that apply to it (Kazakh, Uzbek, Tajik, Kyrgyz ones only when the name
  contains letters of that language).
- :func:`skeleton` is an aggressively folded key, the same for a Cyrillic name and for all its
  usual Latin spellings (Нұрғалиев, Нургалиев, NURGALIEV, Nurgaliyev -> ``nurgalev``). It is meant
  for candidate generation (a database index), never for the final decision.
- :func:`latin_to_cyrillic` maps a Latin (passport) spelling back to a Russian Cyrillic guess.

All functions are pure and cached; tables are compiled once (``str.maketrans``, compiled regular
expressions), so the skeleton of a word costs a few microseconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Final

from shekara.screening.translit_tables import (
    CYRILLIC_VOWELS,
    ICAO_9303,
    NATIONAL_TO_RUSSIAN,
    STANDARDS,
    StandardSpec,
)

__all__ = [
    "ascii_fold",
    "has_cyrillic",
    "latin_to_cyrillic",
    "skeleton",
    "skeleton_keys",
    "skeleton_word",
    "standard_label",
    "to_russian_cyrillic",
    "transliterate",
    "variants",
    "variants_by_standard",
]

_CYRILLIC_RE: Final = re.compile(r"[\u0400-\u052f]")
_WORD_RE: Final = re.compile(r"[^\W\d_]+")
_V: Final = "".join(sorted(CYRILLIC_VOWELS))


def has_cyrillic(text: str) -> bool:
    """True when ``text`` contains at least one Cyrillic letter."""
    return _CYRILLIC_RE.search(text) is not None


def standard_label(key: str) -> str:
    """Human-readable name of a standard key (``"icao"`` -> ``"ICAO 9303"``)."""
    spec = STANDARDS.get(key)
    return spec.label if spec is not None else key


# --------------------------------------------------------------------------------------------
# Transliteration engine
# --------------------------------------------------------------------------------------------

_Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]


def _rules_for(spec: StandardSpec) -> tuple[_Rule, ...]:
    """Context rules, applied to a lower-case Cyrillic word before the table."""
    after_vowel = f"(?:^|(?<=[{_V}йъь]))"
    rules: list[_Rule] = []
    if spec.iotation == "bgn":
        rules += [(re.compile(after_vowel + "е"), "ye"), (re.compile(after_vowel + "ё"), "yë")]
    elif spec.iotation == "mvd310":
        rules += [(re.compile("(?<=[ьъ])е"), "ye")]
    elif spec.iotation == "mvd782":
        start_or_vowel = f"(?:^|(?<=[{_V}ъь]))"
        rules += [
            (re.compile(start_or_vowel + "е"), "ye"),
            (re.compile(start_or_vowel + "ё"), "yo"),
            (re.compile("(?<=[жчшщ])ё"), "e"),
            (re.compile("[ьъ]и"), "yi"),
            (re.compile("[ьъ](?=y[eo])"), ""),
        ]
    elif spec.iotation == "initial_vowel":
        rules += [(re.compile(f"(?:^|(?<=[{_V}ъь]))е"), "ye")]
    if spec.cz_rule:
        rules.append((re.compile("ц(?=[иеыйіє])"), "c"))
    if spec.ss_between_vowels:
        rules.append((re.compile(f"(?<=[{_V}])с(?=[{_V}])"), "ss"))
    return tuple(rules)


def _complete_table(spec: StandardSpec) -> dict[int, str]:
    """The standard's table plus fall-backs through the Russian letter for missing letters."""
    table = dict(spec.table)
    for letter, russian in NATIONAL_TO_RUSSIAN.items():
        if letter not in table:
            table[letter] = "".join(table.get(ch, ch) for ch in russian)
    return {ord(k): v for k, v in table.items()}


_COLLAPSE_DOUBLED: Final = re.compile(r"(sh|zh|kh|ch|gh|ng|ts)\1")


@cache
def _compiled(key: str) -> tuple[dict[int, str], tuple[_Rule, ...], dict[int, str]]:
    spec = STANDARDS[key]
    upper = {ord(k): v for k, v in spec.upper.items()}
    return _complete_table(spec), _rules_for(spec), upper


def _recase(original: str, out: str, upper: dict[int, str]) -> str:
    if not out or not original[0].isupper():
        return out
    if len(original) > 1 and original.isupper():
        return out.translate(upper).upper()
    return out[0].translate(upper).upper() + out[1:]


@lru_cache(maxsize=1 << 16)
def transliterate(text: str, standard: str = "icao") -> str:
    """Render Cyrillic ``text`` in Latin script under ``standard`` (a key of ``STANDARDS``).

    Case follows the source word: ``ЖАН`` -> ``ZHAN``, ``Жан`` -> ``Zhan``. Characters that are
    not Cyrillic letters pass through unchanged.
    """
    table, rules, upper = _compiled(standard)
    spec = STANDARDS[standard]

    def word(m: re.Match[str]) -> str:
        original = m.group(0)
        w = original.lower()
        for pattern, repl in rules:
            w = pattern.sub(repl, w)
        out = w.translate(table)
        if spec.collapse_doubled:
            out = _COLLAPSE_DOUBLED.sub(r"\1", out)
        return _recase(original, out, upper)

    return _WORD_RE.sub(word, unicodedata.normalize("NFC", text))


_TO_RUSSIAN: Final = str.maketrans(
    {k: v for k, v in NATIONAL_TO_RUSSIAN.items()}
    | {k.upper(): v.capitalize() for k, v in NATIONAL_TO_RUSSIAN.items()}
)


def to_russian_cyrillic(text: str) -> str:
    """Russian Cyrillic rendering of a Kazakh/Uzbek/Tajik/Kyrgyz name (Нұрғалиев -> Нургалиев)."""
    return unicodedata.normalize("NFC", text).translate(_TO_RUSSIAN)


_APOSTROPHES: Final = str.maketrans("", "", "'\"`\u2019\u201d\u02b9\u02ba\u02bb\u02bc\u00b4")
_ASCII_SPECIAL: Final = str.maketrans(
    {"ı": "i", "ł": "l", "Ł": "L", "ß": "ss", "ə": "a", "Ə": "A", "æ": "ae", "Æ": "AE",
     "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "ŋ": "ng", "Ŋ": "NG"}
)  # fmt: skip


@lru_cache(maxsize=1 << 16)
def ascii_fold(text: str) -> str:
    """Drop diacritics and apostrophe-like marks (``Il’in`` -> ``Ilin``, ``Nūrğaliev`` ->
    ``Nurgaliev``); the form a machine-readable zone would carry."""
    text = text.translate(_ASCII_SPECIAL).translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1 << 16)
def variants_by_standard(name: str) -> Mapping[str, str]:
    """Latin rendering of ``name`` per applicable standard key.

    A Latin name maps to itself under the key ``"latin"``. Standards for a national alphabet
    (Kazakh 2021, BGN/PCGN Kazakh, ODNI, Kyrgyz, Uzbek, Tajik, Belarusian, Ukrainian) are applied
    only when the name contains a letter specific to that language.
    """
    name = unicodedata.normalize("NFC", name.strip())
    if not has_cyrillic(name):
        return {"latin": name}
    letters = frozenset(name.lower())
    out: dict[str, str] = {}
    for key, spec in STANDARDS.items():
        if spec.requires_any and not (letters & spec.requires_any):
            continue
        if letters & spec.excludes_any:
            continue
        out[key] = transliterate(name, key)
    return out


@lru_cache(maxsize=1 << 16)
def variants(name: str) -> frozenset[str]:
    """All Latin renderings of a name under all standards, plus their ASCII-folded forms.

    A Latin name is mapped back to Cyrillic (:func:`latin_to_cyrillic`) and rendered again, so
    ``NURGALIEV`` gives ``NURGALIYEV`` too: extra search forms for systems that match exactly.

    >>> sorted(variants("Нургалиев"))
    ['Nurgaliev', 'Nurgaliyev']
    """
    renderings = list(variants_by_standard(name).values())
    if not has_cyrillic(name):
        # a passport spelling: map it back to Cyrillic, then to every standard's spelling
        guess = latin_to_cyrillic(name)
        if has_cyrillic(guess):
            upper = name.isupper()
            renderings += [r.upper() if upper else r for r in variants_by_standard(guess).values()]
    out: set[str] = set()
    for rendering in renderings:
        out.add(rendering)
        out.add(ascii_fold(rendering))
    return frozenset(out)


# --------------------------------------------------------------------------------------------
# Skeleton key
# --------------------------------------------------------------------------------------------

#: Cyrillic -> Latin used inside the skeleton: ICAO 9303 via the Russian collapse.
_SKELETON_CYRILLIC: Final[dict[int, str]] = {
    ord(k): v for k, v in {**ICAO_9303, "ъ": "", "ь": ""}.items()
} | {ord(k): "".join(ICAO_9303.get(ch, ch) for ch in v) for k, v in NATIONAL_TO_RUSSIAN.items()}

#: Latin letters with diacritics, mapped before the generic accent strip so that information in
#: the accent survives (ISO 9 ž is zh, not z).
_PRE_FOLD: Final[dict[str, str]] = {
    "ž": "zh", "č": "ch", "š": "sh", "ŝ": "shch", "ĉ": "ch", "û": "yu", "â": "ya", "ë": "e",
    "ê": "ye", "ï": "yi", "ì": "i", "ŭ": "u", "ǵ": "g", "ẑ": "dz", "ǰ": "j", "ć": "ch", "đ": "d",
    "ğ": "g", "ş": "sh", "ș": "sh", "ç": "ch", "ñ": "n", "ı": "i", "ä": "a", "ö": "o", "ü": "u",
    "ū": "u", "ī": "i", "è": "e", "ė": "e", "ġ": "g", "ķ": "k", "ņ": "n", "ô": "o", "ù": "u",
    "ḥ": "h", "ł": "l", "ə": "a", "ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ŋ": "ng",
}  # fmt: skip
_PRE_FOLD_TABLE: Final = str.maketrans(_PRE_FOLD)

#: Letter classes. Outputs are fixed points of the same rules (``sh`` folds to ``sh``), which
#: makes the skeleton idempotent once the rules are iterated to a fixed point.
_FOLD_MAP: Final[dict[str, str]] = {
    "shch": "sh", "sch": "sh", "shh": "sh", "sh": "sh",
    "dzh": "zh", "dj": "zh", "zh": "zh",
    "tch": "ch", "ch": "ch",
    "kh": "h", "ks": "h", "x": "h", "ck": "k", "q": "k",
    "ts": "c", "tc": "c", "cz": "c",
    "gh": "g", "ph": "f", "w": "v", "ngh": "n", "ng": "n", "y": "i",
}  # fmt: skip
_FOLD_RE: Final = re.compile(
    "|".join(re.escape(k) for k in sorted(_FOLD_MAP, key=len, reverse=True)) + "|j"
)
_DOUBLE_RE: Final = re.compile(r"(.)\1+")
_NON_LETTER_RE: Final = re.compile(r"[^a-z]+")
_COMBINING_RE: Final = re.compile(r"[\u0300-\u036f]")
_GLIDE_RE: Final = re.compile(r"(?:(?<=[aeiou])|^)i(?=e)")


def _fold_sub(m: re.Match[str]) -> str:
    s = m.group(0)
    if s == "j":  # Kazakh 2021, Uzbek, Turkic: ж before a vowel; ISO/GOST: й elsewhere
        return "zh" if m.end() < len(m.string) and m.string[m.end()] in "aeiouy" else "i"
    return _FOLD_MAP[s]


def _prepare(word: str) -> str:
    w = word.lower()
    if has_cyrillic(w):
        w = w.translate(_SKELETON_CYRILLIC)
    if not w.isascii():
        w = w.translate(_PRE_FOLD_TABLE)
        w = "".join(ch for ch in unicodedata.normalize("NFKD", w) if not unicodedata.combining(ch))
    return _NON_LETTER_RE.sub("", w)


@lru_cache(maxsize=1 << 18)
def _plain_fold(word: str) -> str:
    """Fold one word through the letter classes only (no vowel-glide rules): for typo checks."""
    return _DOUBLE_RE.sub(r"\1", _FOLD_RE.sub(_fold_sub, _prepare(word)))


@lru_cache(maxsize=1 << 18)
def _base_fold(word: str) -> str:
    """Fold one word, without the general ie/io rules; used for surname stems. Only the glide
    before e word-initially and after a vowel goes (Yerzhan = Erzhan, Dostoyevsky = Dostoevsky)."""
    w = _plain_fold(word)
    return _GLIDE_RE.sub("", w) if "ie" in w else w


def _fold_once(w: str) -> str:
    w = _DOUBLE_RE.sub(r"\1", _FOLD_RE.sub(_fold_sub, w))
    if "i" in w:
        w = _DOUBLE_RE.sub(r"\1", w.replace("ie", "e").replace("io", "e"))
    return w


@lru_cache(maxsize=1 << 18)
def skeleton_word(word: str) -> str:
    """Skeleton of a single word (see :func:`skeleton`)."""
    w = _prepare(word)
    for _ in range(8):
        folded = _fold_once(w)
        if folded == w:
            break
        w = folded
    return w


def skeleton(text: str) -> str:
    """Script-independent, aggressively normalised key for candidate generation.

    Each word is folded separately and the words are joined by one space (order kept; sort them
    for an order-free key, see ``names.name_key``). Folding, in order:

    1. Cyrillic: national letters to Russian (Қ->К, Ұ->У ...), then ICAO 9303 Latin;
       Latin: letters with diacritics to their digraphs (ž->zh, ş->sh, û->yu), other accents
       dropped, apostrophes dropped.
    2. Letter classes: shch/sch/shh/sh -> ``sh``; zh/dzh/dj, and j before a vowel -> ``zh``;
       ch/tch -> ``ch``; kh/h/x/ks -> ``h``; ts/tc/cz -> ``c``; q -> k; gh -> g; ng -> n;
       ph -> f; w -> v; y, and j not before a vowel -> ``i``.
    3. Doubled letters collapse (ss -> s, ii -> i: -iy/-yi/-ii/-y endings meet).
    4. ie -> e and io -> e (ye/ie/e and yo/io/e meet; Nurgaliyev = Nurgaliev).
    5. Steps 2-4 repeat until nothing changes, so ``skeleton(skeleton(x)) == skeleton(x)``.

    The key is lossy by design: score on the full forms.
    """
    text = text.replace("<", " ").translate(_APOSTROPHES)
    if not text.isascii():  # combining marks (ISO 9 a̋, g̀) must not split words
        text = _COMBINING_RE.sub("", unicodedata.normalize("NFC", text))
    words = _WORD_RE.findall(text)
    return " ".join(s for s in (skeleton_word(w) for w in words) if s)


@lru_cache(maxsize=1 << 16)
def skeleton_keys(name: str) -> frozenset[str]:
    """Skeletons of a name and of its renderings under each standard (usually one or two keys).

    Index all of them when one key per name is not enough (Uzbek ў -> o/u). ASCII-folded
    renderings are left out on purpose: ISO 9 folded to ASCII merges Ц and Ч (Coj is both Цой and
    Чой) and would make false keys.
    """
    keys = {skeleton(name)}
    if has_cyrillic(name):
        keys.update(skeleton(v) for v in variants_by_standard(name).values())
    keys.discard("")
    return frozenset(keys)


# --------------------------------------------------------------------------------------------
# Latin back to Cyrillic
# --------------------------------------------------------------------------------------------

_LAT_TO_CYR: Final[dict[str, str]] = {
    "shch": "щ", "zh": "ж", "kh": "х", "ts": "ц", "tc": "ц", "ch": "ч", "sh": "ш",
    "yu": "ю", "iu": "ю", "ya": "я", "ia": "я", "ye": "е", "yo": "ё", "yi": "ьи",
    "a": "а", "b": "б", "c": "ц", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и",
    "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р",
    "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "кс", "y": "ы", "z": "з",
    "gh": "г", "cz": "ц", "'": "ь",
}  # fmt: skip
_APOSTROPHES_BUT_ONE: Final = str.maketrans({"\u2019": "'", "\u02b9": "'", "`": "'"})
_LAT_WORD_RE: Final = re.compile(r"[^\W\d_]+(?:['\u2019\u02b9`][^\W\d_]+)*")
_LAT_RE: Final = re.compile(
    r"(?P<glide>(?<=[aeiou])[yi]\b|(?<=[aeiou])y(?![aeiou])|j(?![aeiou]))|(?P<initial_x>\bx)|"
    r"(?<=[aeiou])ss(?=[aeiou])|"
    r"iy\b|ii\b|yy\b|iia|ia\b|\bie|"
    + "|".join(sorted((k for k in _LAT_TO_CYR if len(k) > 1), key=len, reverse=True))
    + r"|[a-z']"
)


def _lat_sub(m: re.Match[str]) -> str:
    s = m.group(0)
    if m.lastgroup == "glide":  # after a vowel, not before one: й (Sergey, Sergei, Tsoi, Dmitrij)
        return "й"
    if m.lastgroup == "initial_x":  # word-initial x: Uzbek/Azerbaijani х (Xolmatov); else кс
        return "х"
    if s == "ss":  # Kazakh passports double с between vowels (ASSEL)
        return "с"
    if s in ("iy", "ii", "yy"):
        return "ий" if s != "yy" else "ый"
    if s == "iia" or (s == "ia" and m.end() == len(m.string)):  # Мария, Наталия
        return "ия"
    if s == "ie":  # word-initial: Ievgenii (ICAO for Евгений is EVGENII, but IE- is seen)
        return "е"
    return _LAT_TO_CYR[s]


@lru_cache(maxsize=1 << 14)
def latin_to_cyrillic(text: str) -> str:
    """Best-guess Russian Cyrillic spelling of a Latin (passport) name.

    One guess only (``NURGALIEV`` -> ``Нургалиев``, ``Dmitriy`` -> ``Дмитрий``); the mapping is
    ambiguous (ia = я or ия), so use it for display and as an extra search form, and rely on
    :func:`skeleton` for matching.
    """

    def word(m: re.Match[str]) -> str:
        original = m.group(0)
        w = original.lower().translate(_PRE_FOLD_TABLE).translate(_APOSTROPHES_BUT_ONE)
        w = "".join(ch for ch in unicodedata.normalize("NFKD", w) if not unicodedata.combining(ch))
        if not w.isascii():
            return original
        out = _LAT_RE.sub(_lat_sub, w)
        return out.capitalize() if original[:1].isupper() else out

    return _LAT_WORD_RE.sub(word, text)
