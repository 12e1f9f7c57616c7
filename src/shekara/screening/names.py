"""Personal names of the region: parts, patronymics, surname stems, frequency, partial dates.

Names arrive in any order ("Нургалиев Ерлан", "ERLAN NURGALIEV", "NURGALIEV<<ERLAN"), in any
script, with or without a patronymic in Russian form (Маратович), Kazakh form (Марат ұлы,
Маратұлы, Marat uly), Uzbek/Azerbaijani form (Marat oʻgʻli, ogly) and with or without the
Russian surname suffix (Decree 2923 of Kazakhstan lets citizens drop -ов/-ев: Нургалиев ->
Нұрғали). The functions here turn a full name into comparable parts; they never decide a match.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from shekara.screening.translit import (
    _base_fold,
    ascii_fold,
    has_cyrillic,
    skeleton_keys,
    skeleton_word,
)

__all__ = [
    "DateMatch",
    "NamePart",
    "ParsedName",
    "PartialDate",
    "common_name_frequency",
    "compare_dates",
    "gender_neutral_key",
    "index_keys",
    "is_common_name",
    "name_key",
    "name_weight",
    "parse_name",
    "parse_partial_date",
    "patronymic_key",
    "surname_stem",
]

# --------------------------------------------------------------------------------------------
# Patronymics and surnames
# --------------------------------------------------------------------------------------------

#: Russian-form patronymic endings, checked on the lower-case Cyrillic word.
_PATRONYMIC_CYR: Final = ("ьевич", "ьевна", "инична", "ович", "евич", "овна", "евна", "ична")
#: Same endings in Latin (any romanisation, after ASCII folding and lower-casing).
_PATRONYMIC_LAT: Final = ("ovich", "evich", "ovna", "evna", "ichna", "inichna", "ovic", "evic")
#: Turkic patronymic words ("son of", "daughter of"), written apart or attached.
_PATRONYMIC_WORDS: Final = frozenset(
    ["ұлы", "улы", "уулу", "қызы", "кызы", "оглы", "огли", "ўғли", "қизи", "кизи", "гызы",
     "uly", "uulu", "ulu", "kyzy", "qyzy", "kizi", "qizi", "ogly", "ogli", "oglu", "ugli",
     "gyzy", "qizi"]
)  # fmt: skip
#: Attached Kazakh forms (Маратұлы, Serikqyzy), checked on the lower-case word.
_ATTACHED_PATRONYMIC: Final = ("ұлы", "улы", "қызы", "кызы", "uly", "kyzy", "qyzy")

#: Surname endings (on the word folded by ``_base_fold``: Cyrillic and Latin meet there).
_SURNAME_SUFFIXES: Final = (
    "skaia",
    "skii",
    "cki",
    "ski",
    "ova",
    "eva",
    "ina",
    "ov",
    "ev",
    "in",
    "enko",
    "uk",
    "uli",
    "kizi",
)
#: Suffixes stripped to get a surname stem (longest first).
_STEM_SUFFIXES: Final = (
    "skaia", "skii", "ski", "ova", "eva", "ina", "ov", "ev", "in", "uli", "kizi",
)  # fmt: skip
_GENDER_SUFFIXES: Final = (("skaia", "ski"), ("ova", "ov"), ("eva", "ev"), ("ina", "in"),
                           ("kizi", "uli"))  # fmt: skip
#: Patronymic endings in skeleton space, longest first.
_PATRONYMIC_STRIP: Final = (
    "inichna", "ovich", "evich", "ovna", "evna", "ichna", "ich", "uulu", "uli", "kizi", "ogli",
    "oglu", "ugli", "gizi", "ulu",
)  # fmt: skip


@lru_cache(maxsize=1 << 16)
def _is_patronymic_word(word: str) -> bool:
    w = word.lower()
    if w in _PATRONYMIC_WORDS or ascii_fold(w) in _PATRONYMIC_WORDS:  # Azerbaijani oğlu
        return True
    if len(w) > 5 and w.endswith(_ATTACHED_PATRONYMIC):
        return True
    if has_cyrillic(w):
        return w.endswith(_PATRONYMIC_CYR)
    a = ascii_fold(w)
    return a.endswith(_PATRONYMIC_LAT) and len(a) > 6


@lru_cache(maxsize=1 << 16)
def _is_patronymic_particle(word: str) -> bool:
    w = word.lower()
    return w in _PATRONYMIC_WORDS or ascii_fold(w) in _PATRONYMIC_WORDS


@lru_cache(maxsize=1 << 16)
def patronymic_key(text: str) -> str:
    """Father's name inside a patronymic, as a skeleton: Маратович, Марат ұлы, Маратұлы,
    MARATOVICH and Marat uly all give ``marat``."""
    words = [w for w in re.split(r"[\s\-]+", text) if w]
    words = [w for w in words if not _is_patronymic_particle(w)] or words
    key = skeleton_word("".join(words))
    for suffix in _PATRONYMIC_STRIP:
        if key.endswith(suffix) and len(key) - len(suffix) >= 3:
            return key[: -len(suffix)]
    return key


@lru_cache(maxsize=1 << 16)
def surname_stem(surname: str) -> str:
    """Surname without the Russian or Kazakh suffix, in skeleton space.

    Нургалиев, Нургалиева, Nurgaliyev, Нұрғали and Нұрғалиұлы all give ``nurgali``; the stem is
    compared only when whole surnames differ (Decree 2923 lets -ов/-ев be dropped).
    """
    base = _base_fold(surname)
    for suffix in _STEM_SUFFIXES:
        if base.endswith(suffix) and len(base) - len(suffix) >= 3:
            return base[: -len(suffix)]
    return base


@lru_cache(maxsize=1 << 16)
def gender_neutral_key(surname: str) -> str:
    """Skeleton with feminine forms folded to masculine: Нургалиева -> ``nurgalev`` like
    Нургалиев; Достоевская -> ``dostoevski``. For candidate generation: a wife and husband share
    it, so scoring keeps the difference."""
    key = skeleton_word(surname)
    for fem, masc in _GENDER_SUFFIXES:
        if key.endswith(fem) and len(key) > len(fem) + 2:
            return key[: -len(fem)] + masc
    return key


@lru_cache(maxsize=1 << 16)
def _looks_like_surname(word: str) -> bool:
    base = _base_fold(word)
    return len(base) > 4 and base.endswith(_SURNAME_SUFFIXES)


# --------------------------------------------------------------------------------------------
# Frequency (APPROXIMATE)
# --------------------------------------------------------------------------------------------

#: Frequent surnames of the region, most frequent first within each group. APPROXIMATE: compiled
#: from general public knowledge (published "most common surname" lists for Russia, Kazakhstan,
#: Uzbekistan, Kyrgyzstan, Tajikistan), not from a census; replace with counts from the node's
#: own data where available.
COMMON_SURNAMES: Final = (
    # Russia
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Федоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семенов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Ким",
    # Kazakhstan
    "Ахметов", "Омаров", "Оспанов", "Сулейменов", "Искаков", "Жумабаев", "Абдрахманов",
    "Касымов", "Байжанов", "Серікбаев", "Нурланов", "Исмаилов", "Жакупов", "Кенжебаев",
    # Uzbekistan, Tajikistan, Kyrgyzstan
    "Каримов", "Рахимов", "Юсупов", "Абдуллаев", "Алиев", "Исмоилов", "Турсунов", "Назаров",
    "Султанов", "Усмонов", "Рахмонов", "Саидов", "Шарипов", "Асанов", "Мамытов",
)  # fmt: skip

#: Frequent given names of the region (male and female), most frequent first. APPROXIMATE.
COMMON_GIVEN_NAMES: Final = (
    "Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Владимир", "Иван", "Михаил",
    "Николай", "Евгений", "Максим", "Юрий", "Олег", "Игорь", "Виктор", "Артем", "Денис",
    "Руслан", "Тимур", "Марат", "Нурлан", "Ерлан", "Асхат", "Серик", "Болат", "Ержан",
    "Данияр", "Аскар", "Арман", "Азамат", "Алибек", "Канат", "Нурсултан", "Айдос", "Бауыржан",
    "Мухаммад", "Акмал", "Бахтиёр", "Жасур", "Сардор", "Рустам", "Шухрат", "Фаррух", "Отабек",
    "Елена", "Ольга", "Татьяна", "Наталья", "Ирина", "Светлана", "Анна", "Мария", "Екатерина",
    "Юлия", "Анастасия", "Айгерим", "Гульнара", "Айнур", "Асель", "Динара", "Айжан", "Сауле",
    "Мадина", "Зарина", "Дилноза", "Нигора", "Гульноза", "Петр", "Павел", "Роман", "Антон",
    "Константин", "Илья", "Кирилл", "Никита", "Вадим", "Василий", "Анатолий", "Валерий",
)  # fmt: skip


def _rank_table(names: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for rank, name in enumerate(names):
        out.setdefault(skeleton_word(name), rank)
        out.setdefault(gender_neutral_key(name), rank)
    return out


@lru_cache(maxsize=1)
def _frequency_ranks() -> tuple[dict[str, int], dict[str, int]]:
    return _rank_table(COMMON_SURNAMES), _rank_table(COMMON_GIVEN_NAMES)


def _rank(part: str) -> int | None:
    surnames, given = _frequency_ranks()
    key = skeleton_word(part)
    ranks = [r for r in (surnames.get(key), given.get(key)) if r is not None]
    if not ranks:
        gkey = gender_neutral_key(part)
        ranks = [r for r in (surnames.get(gkey),) if r is not None]
    return min(ranks) if ranks else None


@lru_cache(maxsize=1 << 16)
def name_weight(part: str) -> float:
    """How much a name part tells apart two people, in (0, 1]: 1.0 for a rare part, down to
    0.5 for the most frequent names of the region (Иванов, Александр, Нурлан)."""
    rank = _rank(part)
    if rank is None:
        return 1.0
    if rank < 10:
        return 0.5
    if rank < 30:
        return 0.6
    return 0.7


def common_name_frequency(part: str) -> float:
    """Share of the region's people carrying this part, from the built-in table (a prior for
    small indexes, where counts say little): about 1% for the ten most frequent names, 0.5%
    for the next twenty, 0.2% for the others listed, 0 for a part not listed. APPROXIMATE."""
    rank = _rank(part)
    if rank is None:
        return 0.0
    return 0.01 if rank < 10 else 0.005 if rank < 30 else 0.002


def is_common_name(part: str) -> bool:
    """True for a part found in the built-in frequency tables."""
    return _rank(part) is not None


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamePart:
    """One part of a personal name. ``key`` is the part's skeleton (for a patronymic: the
    father's name, see :func:`patronymic_key`). ``role`` is a hint: "surname", "given",
    "patronymic" or "unknown"; scoring aligns parts order-free and uses roles only to set the
    patronymic aside and to allow surname-only rules (suffix, male/female form)."""

    text: str
    key: str
    role: str


@dataclass(frozen=True)
class ParsedName:
    original: str
    parts: tuple[NamePart, ...]

    @property
    def patronymic(self) -> NamePart | None:
        return next((p for p in self.parts if p.role == "patronymic"), None)

    @property
    def core(self) -> tuple[NamePart, ...]:
        """All parts except the patronymic."""
        return tuple(p for p in self.parts if p.role != "patronymic")


#: Separators between name words; apostrophe-like marks (hard/soft signs in MVD 310, BGN/PCGN,
#: ISO 9; Uzbek oʻ, gʻ) and combining accents belong to the word.
_SPLIT_RE: Final = re.compile(r"[^\w'\"\u2019\u201d\u02b9\u02ba\u02bb\u02bc`\u0300-\u036f]+")


def _words(text: str) -> list[str]:
    return [w for w in _SPLIT_RE.split(text.replace("_", " ")) if any(c.isalpha() for c in w)]


@lru_cache(maxsize=1 << 16)
def parse_name(full_name: str) -> ParsedName:
    """Split a full name into parts and guess their roles.

    Understands "Surname, Given", MRZ "SURNAME<<GIVEN<NAMES", detached and attached Turkic
    patronymics (Марат ұлы, Маратұлы, Marat ogly) and Russian ones (Маратович, MARATOVICH).
    """
    text = full_name.strip()
    surname_words: list[str] = []
    if "<<" in text:
        head, _, tail = text.partition("<<")
        surname_words = _words(head.replace("<", " "))
        text = head.replace("<", " ") + " " + tail.replace("<", " ")
    elif "," in text:
        head, _, tail = text.partition(",")
        surname_words = _words(head)
        text = head + " " + tail
    words = _words(text)

    parts: list[NamePart] = []
    i = 0
    while i < len(words):
        word = words[i]
        if (
            i + 1 < len(words)
            and _is_patronymic_particle(words[i + 1])
            and not _is_patronymic_particle(word)
        ):
            joined = f"{word} {words[i + 1]}"
            parts.append(NamePart(joined, patronymic_key(joined), "patronymic"))
            i += 2
            continue
        if word in surname_words:
            # written in the surname position (MRZ "TOKTARULY<<ARMAN", "Тоқтарұлы, Арман"):
            # a surname, even when formed like a patronymic (Kazakhstan decree 2923)
            parts.append(NamePart(word, skeleton_word(word), "surname"))
        elif _is_patronymic_word(word) and len(words) > 1:
            parts.append(NamePart(word, patronymic_key(word), "patronymic"))
        else:
            parts.append(NamePart(word, skeleton_word(word), "unknown"))
        i += 1

    initials = [k for k, p in enumerate(parts) if len(p.key) == 1 and p.role != "patronymic"]
    if len(initials) >= 2 and initials[-1] == initials[-2] + 1 and len(parts) > len(initials):
        # "Нургалиев Е. М.": the second of two initials stands for the patronymic
        k = initials[-1]
        parts[k] = NamePart(parts[k].text, parts[k].key, "patronymic")
    core = [p for p in parts if p.role != "patronymic"]
    patronymics = [p for p in parts if p.role == "patronymic"]
    surname_like = _surname_formed_like_patronymic(parts, core, patronymics, surname_words)
    if surname_like is not None:
        # "Ерлан Нұрғалиұлы", "Тоқтарұлы Арман Серікұлы": the father's name with ұлы/қызы
        # serves as the surname (Kazakhstan decree 2923), not as an extra patronymic
        p = surname_like
        parts = [NamePart(p.text, skeleton_word(p.text), "surname") if x is p else x for x in parts]
    if not surname_words:
        parts = _guess_roles(parts)
    else:
        parts = [p if p.role != "unknown" else NamePart(p.text, p.key, "given") for p in parts]
    return ParsedName(full_name, tuple(p for p in parts if p.key))


def _surname_formed_like_patronymic(
    parts: list[NamePart],
    core: list[NamePart],
    patronymics: list[NamePart],
    surname_words: list[str],
) -> NamePart | None:
    """The attached -ұлы/-қызы word (Тоқтарұлы, TOKTARULY) that is the surname, if any.

    Kazakhstan's decree 2923 lets a citizen take the father's name with ұлы/қызы as the
    surname (Нұрғалиұлы). Such a word is the surname when the name has no other surname
    candidate: it is the only part besides the given name (Ерлан Нұрғалиұлы), or there are
    two patronymic-like words, and then the surname is the Turkic attached one when the other
    is a Russian-form patronymic (Тоқтарұлы Арман Маратович), else the first word when it
    leads the name (surname-first order of Kazakh documents: Тоқтарұлы Арман Серікұлы),
    else the last (given-first order: Арман Серікұлы Тоқтарұлы).
    A detached "Марат ұлы" is always a patronymic.
    """
    if surname_words and any(p.role == "surname" for p in parts):
        return None
    attached = [p for p in patronymics if " " not in p.text]
    if not attached:
        return None
    if len(core) == 1 and len(patronymics) == 1:
        return attached[0]
    if len(patronymics) < 2 or any(p.role == "surname" for p in core):
        return None
    turkic = [p for p in attached if p.text.lower().endswith(_ATTACHED_PATRONYMIC)]
    if not turkic:
        return None
    if len(turkic) < len(patronymics):  # the other one is Russian-form or detached
        return turkic[0]
    if parts[0] in turkic:
        return parts[0]
    return turkic[-1] if parts[-1] is turkic[-1] else None


def _guess_roles(parts: list[NamePart]) -> list[NamePart]:
    surnames, given = _frequency_ranks()
    unknown = [i for i, p in enumerate(parts) if p.role == "unknown"]
    surname_idx = next((i for i in unknown if _looks_like_surname(parts[i].text)), None)
    if surname_idx is None:
        surname_idx = next((i for i in unknown if parts[i].key in surnames), None)
    if surname_idx is None and len(unknown) > 1:
        non_given = [i for i in unknown if parts[i].key not in given]
        surname_idx = non_given[-1] if len(non_given) == 1 else None
    out = []
    for i, p in enumerate(parts):
        if p.role != "unknown":
            out.append(p)
        elif i == surname_idx:
            out.append(NamePart(p.text, p.key, "surname"))
        elif surname_idx is not None or p.key in given:
            out.append(NamePart(p.text, p.key, "given"))
        else:
            out.append(p)
    return out


def name_key(full_name: str) -> str:
    """Order-free key of a full name: sorted skeletons of the parts, patronymic left out."""
    return " ".join(sorted(p.key for p in parse_name(full_name).core))


@lru_cache(maxsize=1 << 16)
def index_keys(full_name: str) -> frozenset[str]:
    """Keys to index a name under for candidate generation, one row per key.

    For every part except the patronymic and initials: its skeleton and the skeletons of its
    standard renderings; for parts that are not given names, also the gender-neutral key
    (Нургалиева finds Нургалиев) and the surname stem (Нұрғали finds Нургалиев). Look a query up
    by the same keys and keep candidates that share at least one rare key (or two keys)."""
    keys: set[str] = set()
    for part in parse_name(full_name).core:
        if len(part.key) < 2:
            continue
        keys.add(part.key)
        keys.update(k for k in skeleton_keys(part.text) if " " not in k)
        if part.role != "given":
            keys.add(gender_neutral_key(part.text))
            stem = surname_stem(part.text)
            if len(stem) >= 3:
                keys.add(stem)
    return frozenset(keys)


# --------------------------------------------------------------------------------------------
# Partial dates of birth
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartialDate:
    """A date that may lack its day or month (year-only dates of birth are common)."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def is_placeholder(self) -> bool:
        """1 January is used as a placeholder for an unknown day and month."""
        return self.month == 1 and self.day == 1

    def digits(self) -> str:
        return f"{self.year:04d}{self.month or 0:02d}{self.day or 0:02d}"

    def __str__(self) -> str:
        out = f"{self.year:04d}"
        if self.month:
            out += f"-{self.month:02d}"
            if self.day:
                out += f"-{self.day:02d}"
        return out


_ISO_RE: Final = re.compile(r"^(\d{4})(?:[-/.](\d{1,2}|XX|xx|00)(?:[-/.](\d{1,2}|XX|xx|00))?)?$")
_DMY_RE: Final = re.compile(r"^(?:(\d{1,2}|XX|xx|00)[./-])?(\d{1,2}|XX|xx|00)[./-](\d{4})$")
_COMPACT_RE: Final = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _num(value: str | None, upper: int) -> int | None:
    if value is None or not value.isdigit():
        return None
    n = int(value)
    return n if 1 <= n <= upper else None


@lru_cache(maxsize=1 << 14)
def parse_partial_date(value: str | dt.date | None) -> PartialDate | None:
    """Parse "1985", "1985-03", "1985-03-12", "12.03.1985", "03.1985", "19850312"; unknown
    parts may be "00" or "XX". Returns None when there is no usable year."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return PartialDate(value.year, value.month, value.day)
    s = value.strip()
    m = _ISO_RE.match(s) or _COMPACT_RE.match(s)
    if m:
        year, month, day = m.group(1), m.group(2), m.group(3)
    else:
        m = _DMY_RE.match(s)
        if not m:
            return None
        day, month, year = m.group(1), m.group(2), m.group(3)
    y = int(year)
    if not 1000 <= y <= 2999:
        return None
    mo = _num(month, 12)
    d = _num(day, 31) if mo else None
    if mo and d:
        try:
            dt.date(y, mo, d)
        except ValueError:
            d = None
    return PartialDate(y, mo, d)


@dataclass(frozen=True)
class DateMatch:
    """Outcome of comparing two (partial) dates: ``outcome`` is one of exact, compatible,
    day_month_swap, one_digit, conflict, missing; ``score`` in [0, 1] (None when missing)."""

    outcome: str
    score: float | None


def compare_dates(a: PartialDate | None, b: PartialDate | None) -> DateMatch:
    """Compare two dates of birth without penalising missing parts.

    - exact: same year, month and day.
    - compatible: equal on every part both dates have (1985 vs 1985-03-12), or one is the
      1 January placeholder of the other's year.
    - day_month_swap: 1985-03-12 vs 1985-12-03.
    - one_digit: a single digit differs (typing error), on the parts both have.
    - conflict: anything else.
    """
    if a is None or b is None:
        return DateMatch("missing", None)
    if a == b and a.day is not None:
        return DateMatch("exact", 1.0)
    common_month = a.month is not None and b.month is not None
    common_day = common_month and a.day is not None and b.day is not None
    if (
        a.year == b.year
        and (not common_month or a.month == b.month)
        and (not common_day or a.day == b.day)
    ):
        return DateMatch("compatible", 0.9 if common_month else 0.8)
    if a.year == b.year and (a.is_placeholder or b.is_placeholder):
        return DateMatch("compatible", 0.7)
    if common_day and a.year == b.year and a.month == b.day and a.day == b.month:
        return DateMatch("day_month_swap", 0.75)
    length = 8 if common_day else 6 if common_month else 4
    da, db = a.digits()[:length], b.digits()[:length]
    if sum(x != y for x, y in zip(da, db, strict=True)) == 1:
        return DateMatch("one_digit", 0.6)
    return DateMatch("conflict", 0.0)
