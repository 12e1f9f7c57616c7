"""Deterministic person names of the region, rendered as agencies and passports render them.

Identities draw surnames, given names and fathers' names (for patronymics) from the real name
lists in ``shekara/refdata/data/names`` with their frequency weights. Each identity is written
by one to three agencies, each in its own way:

- a Kazakh agency: the native Kazakh Cyrillic form (Нұрғалиев Ерлан Маратұлы), often with the
  passport Latin form (NURGALIEV ERLAN, Kazakh passport practice);
- a Russian agency: the Russian Cyrillic form (Нургалиев Ерлан Маратович), sometimes a Latin
  form of an older Russian order (MVD 310: Nurgaliev, MVD 782: Nurgaliyev);
- a Kyrgyz or Uzbek agency: the ICAO 9303 Latin of the passport, or Cyrillic.

Queries render a stored identity in *another* form (script, standard, order), with typos
(one letter inserted, deleted, replaced or two swapped), swapped order and a dropped
patronymic, each tagged so that detection can be reported per variant class. Non-matching
queries come from identities that are not in the database.

``python bench/gen_names.py --n 5`` prints a few identities and queries.
"""

from __future__ import annotations

import argparse
import bisect
import random
from dataclasses import dataclass, field
from itertools import accumulate

from shekara.refdata.loaders import NameList, load_name_list, load_patronymic_styles
from shekara.screening.translit import to_russian_cyrillic, transliterate

#: share of identities per name list (the reference region)
MIX = {"kk": 0.40, "ru": 0.30, "uz": 0.10, "ky": 0.08, "tg": 0.07, "tt": 0.03, "az": 0.02}
#: (agency code, country)
AGENCIES = (
    ("KZ-BS", "KZ"), ("KZ-POL", "KZ"), ("RU-FSB", "RU"), ("RU-MVD", "RU"),
    ("KG-POL", "KG"), ("UZ-BS", "UZ"),
)  # fmt: skip
LATIN_STANDARDS = ("icao", "mvd_310", "mvd_782", "bgn_rus", "gost_52535")


@dataclass(frozen=True)
class Identity:
    key: int
    lang: str
    sex: str  # male / female
    surname: str  # native Cyrillic
    given: str
    father: str
    patronymic_style: str
    dob: tuple[int, int, int]

    def patronymic(self, style: str | None = None) -> str:
        styles = load_patronymic_styles()
        st = styles.get(style or self.patronymic_style) or styles["russian"]
        try:
            return st.make(self.father, "female" if self.sex == "female" else "male")
        except ValueError:
            return ""

    @property
    def dob_iso(self) -> str:
        return f"{self.dob[0]:04d}-{self.dob[1]:02d}-{self.dob[2]:02d}"


@dataclass
class RecordSpec:
    identity: int
    agency: str
    country: str
    names: list[str]
    birth: tuple[int | None, int | None, int | None]
    nationality: str


@dataclass
class Query:
    identity: int | None  # None: nobody in the database
    name: str
    birth_date: str | None
    tags: list[str] = field(default_factory=list)


class _Weighted:
    def __init__(self, items: list[str], weights: list[float]):
        self.items = items
        self.cum = list(accumulate(weights))

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


_CACHE: dict[str, tuple[NameList, _Weighted, _Weighted, _Weighted, _Weighted, _Weighted]] = {}


def _lists(code: str) -> tuple[NameList, _Weighted, _Weighted, _Weighted, _Weighted, _Weighted]:
    if code not in _CACHE:
        nl = load_name_list(code)
        given_list = load_name_list(nl.given_names_from) if nl.given_names_from else nl
        male = _Weighted([n.name for n in given_list.male_given],
                         [n.weight for n in given_list.male_given])  # fmt: skip
        female = _Weighted([n.name for n in given_list.female_given],
                           [n.weight for n in given_list.female_given])  # fmt: skip
        sm = _Weighted([s.male for s in nl.surnames], [s.weight for s in nl.surnames])
        sf = _Weighted([s.female for s in nl.surnames], [s.weight for s in nl.surnames])
        styles = nl.patronymic_styles or (("russian", 1.0),)
        ps = _Weighted([s for s, _ in styles], [w for _, w in styles])
        _CACHE[code] = (nl, male, female, sm, sf, ps)
    return _CACHE[code]


_MIX = _Weighted(list(MIX), list(MIX.values()))


def identity(seed: int, key: int) -> Identity:
    """The identity number ``key`` of the population ``seed`` (deterministic)."""
    rng = random.Random(seed * 1_000_003 + key)
    lang = _MIX.pick(rng)
    _, male, female, sm, sf, ps = _lists(lang)
    sex = "female" if rng.random() < 0.35 else "male"
    surname = (sf if sex == "female" else sm).pick(rng)
    given = (female if sex == "female" else male).pick(rng)
    return Identity(
        key=key,
        lang=lang,
        sex=sex,
        surname=surname,
        given=given,
        father=male.pick(rng),
        patronymic_style=ps.pick(rng),
        dob=(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
    )


def cyrillic(who: Identity, russian: bool, patronymic: bool = True) -> str:
    """Native (Kazakh, Uzbek ... Cyrillic) or Russian Cyrillic form, surname first."""
    pat = who.patronymic("russian" if russian else None) if patronymic else ""
    parts = [who.surname, who.given, pat]
    text = " ".join(p for p in parts if p)
    return to_russian_cyrillic(text) if russian else text


def latin(who: Identity, standard: str, patronymic: bool = False) -> str:
    """A Latin form as a passport (upper case, no patronymic) or a visa would print it."""
    if standard == "kz_passport" and who.lang != "kk":
        standard = "icao"
    base = cyrillic(who, russian=standard not in ("kz_passport", "kaz_2021"), patronymic=patronymic)
    out = transliterate(base, standard)
    return out.upper() if standard in ("icao", "kz_passport") else out


def records_for(who: Identity, rng: random.Random) -> list[RecordSpec]:
    """One to three agencies' records of an identity."""
    n = 1 if rng.random() < 0.6 else 2 if rng.random() < 0.625 else 3
    agencies = rng.sample(AGENCIES, n)
    out = []
    for agency, country in agencies:
        if country == "KZ":
            names = [cyrillic(who, russian=who.lang != "kk", patronymic=rng.random() < 0.7)]
            if rng.random() < 0.5:
                names.append(latin(who, "kz_passport"))
        elif country == "RU":
            names = [cyrillic(who, russian=True, patronymic=rng.random() < 0.85)]
            if rng.random() < 0.3:
                names.append(latin(who, rng.choice(("mvd_310", "mvd_782"))))
        else:
            names = [
                latin(who, "icao")
                if rng.random() < 0.6
                else cyrillic(who, russian=True, patronymic=rng.random() < 0.5)
            ]
        r = rng.random()
        y, m, d = who.dob
        birth: tuple[int | None, int | None, int | None] = (
            (y, m, d) if r < 0.8 else (y, None, None) if r < 0.95 else (None, None, None)
        )
        out.append(RecordSpec(who.key, agency, country, names, birth, who.lang))
    return out


def typo(word: str, rng: random.Random) -> str:
    """One edit: insert, delete, replace or swap two neighbours (not the first letter)."""
    if len(word) < 4:
        return word
    i = rng.randint(1, len(word) - 2)
    letters = "аеиоункстлрмбдгзшявпхжыюйфчцэ" if any("\u0400" <= c <= "\u04ff" for c in word) \
        else "aeiounkstlrmbdgzhyvpjx"  # fmt: skip
    if word.isupper():
        letters = letters.upper()
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + rng.choice(letters) + word[i:]
    if op == 1:
        return word[:i] + word[i + 1 :]
    if op == 2:
        return word[:i] + rng.choice(letters) + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


FORMS = ("native", "russian", "icao", "kz_passport", "mvd_310", "mvd_782", "bgn_rus")


def query_for(who: Identity | None, rng: random.Random, seed_identity: Identity) -> Query:
    """A query rendering ``seed_identity`` (``who`` is the identity it must find, or None)."""
    form = rng.choice(FORMS)
    tags = [f"form:{form}"]
    with_patronymic = form in ("native", "russian") and rng.random() < 0.5
    if form in ("native", "russian"):
        text = cyrillic(seed_identity, russian=form == "russian", patronymic=with_patronymic)
    else:
        text = latin(seed_identity, form)
    tags.append("patronymic" if with_patronymic else "no_patronymic")
    parts = text.split()
    if rng.random() < 0.2:
        j = rng.randrange(min(2, len(parts)))
        parts[j] = typo(parts[j], rng)
        tags.append("typo")
    if rng.random() < 0.3 and len(parts) >= 2:
        parts = [parts[1], parts[0], *parts[2:]]
        tags.append("swapped")
    r = rng.random()
    y, m, d = seed_identity.dob
    dob = f"{y:04d}-{m:02d}-{d:02d}" if r < 0.8 or who is None else str(y)
    tags.append("dob_full" if len(dob) > 4 else "dob_year")
    return Query(who.key if who else None, " ".join(parts), dob, tags)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    for k in range(a.n):
        who = identity(a.seed, k)
        for r in records_for(who, rng):
            print(f"{k} {r.agency:7} {r.birth} {r.names}")  # noqa: T201
        q = query_for(who, rng, who)
        print(f"  query: {q.name!r} {q.birth_date} {q.tags}")  # noqa: T201


if __name__ == "__main__":
    main()


def has_cyr(text: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in text)
