"""Synthetic personal names per nationality, and how different agencies render them.

A person has one *native* name (in the script and spelling of their own language) and each agency
records it its own way: a Kazakh border guard writes the Kazakh Cyrillic form (Нұрғалиев), a
Russian service the Russian Cyrillic rendering (Нургалиев), a passport the ICAO 9303 Latin
(NURGALIEV). Names and patronymic styles come from the weighted reference lists
(``shekara.refdata.loaders``), so common names collide as they do in real data; the short
built-in lists below are used only when those files are missing.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from shekara.persons.constants import NameKind, Script
from shekara.refdata import loaders as refdata
from shekara.screening.translit import ascii_fold, to_russian_cyrillic, transliterate

# Fallback lists, used only when the reference name lists (refdata/data/names) are missing.
# Surnames are given in their male form; female forms are derived (-ов -> -ова ...).
SURNAMES: dict[str, tuple[str, ...]] = {
    "kk": ("Нұрғалиев", "Әбдіқадыров", "Жұмабаев", "Сәрсенбаев", "Қасымов", "Төлегенов",
           "Оспанов", "Ахметов", "Серікбаев", "Мұқанов", "Ержанов", "Ғабдуллин", "Өмірзақов"),
    "ru": ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Фёдоров",
           "Ильин", "Щербаков", "Цыганков", "Юдин", "Журавлёв", "Хохлов", "Соловьёв"),
    "ky": ("Асанбеков", "Токтогулов", "Жээнбеков", "Исаков", "Осмонов", "Өмүрбеков", "Үсөнов"),
    "uz": ("Тошматов", "Исмоилов", "Юсупов", "Каримов", "Қодиров", "Ғуломов", "Ўринов"),
    "tg": ("Раҳмонов", "Шарипов", "Назаров", "Ҷалолов", "Қурбонов", "Ғафуров", "Раҳимзода"),
}
GIVEN_MALE: dict[str, tuple[str, ...]] = {
    "kk": ("Ержан", "Нұрлан", "Серік", "Қайрат", "Бауыржан", "Дәулет", "Асқар", "Ғалым", "Сәкен"),
    "ru": ("Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Юрий", "Николай", "Фёдор"),
    "ky": ("Азамат", "Бакыт", "Нурбек", "Эрлан", "Улан", "Үмүт", "Өмүрбек", "Канат"),
    "uz": ("Шавкат", "Ғайрат", "Бахтиёр", "Рустам", "Жасур", "Ўткир", "Улуғбек", "Азиз"),
    "tg": ("Ҷамшед", "Фирдавс", "Далер", "Искандар", "Манучеҳр", "Суҳроб", "Шуҳрат", "Илҳом"),
}
GIVEN_FEMALE: dict[str, tuple[str, ...]] = {
    "kk": ("Айгүл", "Гүлнар", "Динара", "Әсел", "Жанар", "Мөлдір", "Сәуле", "Ұлжан"),
    "ru": ("Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Юлия", "Анна", "Алёна"),
    "ky": ("Айпери", "Гүлнара", "Жылдыз", "Нургүл", "Айгерим", "Бермет", "Чолпон"),
    "uz": ("Дилноза", "Гулнора", "Феруза", "Нилуфар", "Ўғилой", "Малика", "Шаҳноза"),
    "tg": ("Мадина", "Нигина", "Фарзона", "Гулрухсор", "Манижа", "Зарина", "Шаҳло"),
}
PATRONYMIC_STYLE: dict[str, tuple[tuple[str, float], ...]] = {
    "kk": (("russian", 0.6), ("kazakh", 0.4)), "ky": (("russian", 0.7), ("kyrgyz", 0.3)),
    "uz": (("russian", 0.7), ("uzbek", 0.3)),
}
FALLBACK_RULES = (("ий", 2, "ьевич", "ьевна"), ("ей", 1, "евич", "евна"), ("ай", 1, "евич", "евна"),
                  ("й", 1, "евич", "евна"), ("ь", 1, "евич", "евна"), ("", 0, "ович", "овна"))
WORD_STYLES: dict[str, tuple[str, str, bool]] = {  # style -> (male, female, joined)
    "kazakh": ("ұлы", "қызы", True), "kyrgyz": ("уулу", "кызы", False),
    "uzbek": ("ўғли", "қизи", False), "azerbaijani": ("оглы", "кызы", False),
}

# Citizenship mix of the persons in the demo data (the Kazakhstan-Russia border dominates) and,
# per citizenship, the mix of name traditions (ethnic Russians in Kazakhstan, Koryo-saram ...).
NATIONALITY_WEIGHTS: dict[str, int] = {
    "KZ": 36, "RU": 25, "UZ": 13, "TJ": 9, "KG": 9, "BY": 4, "TM": 2, "AZ": 2,
}
TRADITIONS: dict[str, tuple[tuple[str, int], ...]] = {
    "KZ": (("kk", 70), ("ru", 18), ("uz", 4), ("tt", 3), ("ko", 3), ("ky", 2)),
    "RU": (("ru", 85), ("tt", 10), ("ko", 2), ("az", 3)),
    "BY": (("ru", 100),),
    "KG": (("ky", 82), ("ru", 12), ("uz", 6)),
    "UZ": (("uz", 85), ("ru", 8), ("ko", 5), ("tg", 2)),
    "TJ": (("tg", 95), ("uz", 5)),
    "TM": (("tk", 100),),
    "AZ": (("az", 100),),
}


# Older or national romanisations found in passports still valid, and in agencies' own records.
OLD_ROMANISATIONS = ("mvd_310", "bgn_rus", "kz_passport", "gost_52535", "mvd_782")


@dataclass(frozen=True)
class Tradition:
    """Given names, surnames and patronymic styles of one naming tradition (``*_w``: cumulative
    weights, for ``random.choices(cum_weights=...)``)."""

    code: str
    male: tuple[str, ...]
    male_w: tuple[float, ...]
    female: tuple[str, ...]
    female_w: tuple[float, ...]
    surnames: tuple[tuple[str, str], ...]  # (male form, female form)
    surnames_w: tuple[float, ...]
    styles: tuple[str, ...]
    styles_w: tuple[float, ...]


def _cum(weights: Iterable[float]) -> tuple[float, ...]:
    return tuple(itertools.accumulate(weights))


@cache
def _styles() -> Mapping[str, refdata.PatronymicStyle]:
    try:
        return refdata.load_patronymic_styles()
    except FileNotFoundError:
        return {}


@cache
def tradition(code: str) -> Tradition:
    """The names of one tradition from the reference name lists (built-in lists as fallback)."""
    try:
        data: refdata.NameList | None = refdata.load_name_list(code)
    except (KeyError, FileNotFoundError):
        data = None
    if data is None:
        if code not in SURNAMES:
            return tradition("ru")
        sur = tuple((s, female_surname(s)) for s in SURNAMES[code])
        styles = PATRONYMIC_STYLE.get(code, (("russian", 1.0),))
        return Tradition(code, GIVEN_MALE[code], _cum([1.0] * len(GIVEN_MALE[code])),
                         GIVEN_FEMALE[code], _cum([1.0] * len(GIVEN_FEMALE[code])), sur,
                         _cum([1.0] * len(sur)), tuple(s for s, _ in styles),
                         _cum(w for _, w in styles))
    if not data.male_given and data.given_names_from:
        base = tradition(data.given_names_from)
        male, male_w, female, female_w = base.male, base.male_w, base.female, base.female_w
    else:
        male, male_w = tuple(n.name for n in data.male_given), _cum(
            n.weight for n in data.male_given)
        female, female_w = tuple(n.name for n in data.female_given), _cum(
            n.weight for n in data.female_given)
    styles = data.patronymic_styles or (("russian", 1.0),)
    return Tradition(code, male, male_w, female, female_w,
                     tuple((x.male, x.female) for x in data.surnames),
                     _cum(x.weight for x in data.surnames), tuple(st for st, _ in styles),
                     _cum(w for _, w in styles))


def female_surname(surname: str) -> str:
    """Female form of a Slavic-pattern surname (Иванов -> Иванова, Козловский -> Козловская)."""
    for male, female in (("ский", "ская"), ("цкий", "цкая"), ("ов", "ова"), ("ев", "ева"),
                         ("ёв", "ёва"), ("ин", "ина")):
        if surname.endswith(male):
            return surname[: -len(male)] + female
    return surname


# Russian patronymics the reference rules get wrong (the rules add -ович to the whole name).
PATRONYMIC_EXCEPTIONS = {"Михаил": ("Михайлович", "Михайловна")}


def patronymic(style: str, father: str, female: bool) -> str:
    """Patronymic from the father's given name in one style (russian, kazakh, kyrgyz ...)."""
    if style in WORD_STYLES and style not in _styles():
        male_word, female_word, joined = WORD_STYLES[style]
        return father + ("" if joined else " ") + (female_word if female else male_word)
    if father in PATRONYMIC_EXCEPTIONS:
        return PATRONYMIC_EXCEPTIONS[father][1 if female else 0]
    spec = _styles().get(style) or _styles().get("russian")
    if spec is not None:
        return spec.make(father, "female" if female else "male")
    for ending, strip, male_sfx, female_sfx in FALLBACK_RULES:
        if father.endswith(ending):
            return father[: len(father) - strip] + (female_sfx if female else male_sfx)
    return father + ("овна" if female else "ович")  # pragma: no cover - "" matches all


@dataclass(frozen=True)
class Identity:
    """Who the person is, independent of how anyone wrote it down."""

    nationality: str
    tradition: str
    female: bool
    surname: str  # native script
    given: str
    patronymic: str
    birth_year: int
    birth_month: int
    birth_day: int


def make_identity(rng: random.Random, nationality: str, year_range: tuple[int, int]) -> Identity:
    mix = TRADITIONS.get(nationality, (("ru", 1),))
    t = tradition(rng.choices([c for c, _ in mix], [w for _, w in mix])[0])
    female = rng.random() < 0.22
    male_form, female_form = rng.choices(t.surnames, cum_weights=t.surnames_w)[0]
    if female:
        given = rng.choices(t.female, cum_weights=t.female_w)[0]
    else:
        given = rng.choices(t.male, cum_weights=t.male_w)[0]
    father = rng.choices(t.male, cum_weights=t.male_w)[0]
    style = rng.choices(t.styles, cum_weights=t.styles_w)[0]
    return Identity(
        nationality=nationality, tradition=t.code, female=female,
        surname=female_form if female else male_form, given=given,
        patronymic=patronymic(style, father, female),
        birth_year=rng.randint(*year_range), birth_month=rng.randint(1, 12),
        birth_day=rng.randint(1, 28),
    )


@dataclass(frozen=True)
class RenderedName:
    full_name: str
    surname: str
    given_name: str
    patronymic: str
    script: Script
    kind: NameKind


def _cyr(surname: str, given: str, patr: str, kind: NameKind) -> RenderedName:
    full = " ".join(p for p in (surname, given, patr) if p)
    return RenderedName(full, surname, given, patr, Script.cyrillic, kind)


def latin(text: str, standard: str, nationality: str = "") -> str:
    """Upper-case Latin as a passport or a foreign agency writes it."""
    if standard == "icao" and any(ch in text.lower() for ch in "іў"):
        return transliterate(text, "icao_bel").upper()  # Belarusian Ігар -> IHAR
    # Passports carry no apostrophes or diacritics (BGN Vasil'yev -> VASILYEV).
    return ascii_fold(transliterate(to_russian_cyrillic(text), standard)).upper()


def render_names(rng: random.Random, who: Identity, agency_country: str,
                 *, variant: bool) -> list[RenderedName]:
    """The names an agency of ``agency_country`` records for ``who``.

    The first name is the main one (native script for the own country's citizens, the Russian
    Cyrillic rendering for foreigners); a passport Latin name follows. ``variant`` makes an
    agency that recorded the person independently: older romanisation, dropped patronymic,
    Russian-style patronymic, or the -ов/-ев suffix dropped (Decree 2923 in Kazakhstan).
    """
    names: list[RenderedName] = []
    surname, given, patr = who.surname, who.given, who.patronymic
    if variant and who.tradition == "kk" and rng.random() < 0.25 and surname.endswith(
            ("ов", "ев")):
        surname = surname[:-2]  # Нұрғалиев -> Нұрғали
    if variant and rng.random() < 0.3:
        patr = ""
    if agency_country == who.nationality:
        names.append(_cyr(surname, given, patr, NameKind.native))
        if to_russian_cyrillic(surname + given) != surname + given and rng.random() < 0.7:
            names.append(_cyr(to_russian_cyrillic(surname), to_russian_cyrillic(given),
                              to_russian_cyrillic(patr), NameKind.transliteration))
    else:
        names.append(_cyr(to_russian_cyrillic(surname), to_russian_cyrillic(given),
                          to_russian_cyrillic(patr), NameKind.transliteration))
        if rng.random() < 0.35:
            names.append(_cyr(surname, given, patr, NameKind.native))
    standard = rng.choice(OLD_ROMANISATIONS) if variant else "icao"
    ls = latin(surname, standard, who.nationality)
    lg = latin(given, standard, who.nationality)
    names.append(RenderedName(f"{ls} {lg}", ls, lg, "", Script.latin, NameKind.passport))
    if rng.random() < 0.04:
        nick = rng.choice(("Чёрный", "Малой", "Казах", "Шеф", "Старый", "Рыжий", "Кореец"))
        names.append(RenderedName(nick, "", nick, "", Script.cyrillic, NameKind.alias))
    seen: set[tuple[str, Script]] = set()
    unique: list[RenderedName] = []
    for n in names:
        if (n.full_name, n.script) not in seen:
            seen.add((n.full_name, n.script))
            unique.append(n)
    return unique
