"""Explainable screening scores: ``(query, candidate, config) -> Score(value, reasons)``.

Every function is pure. ``Score.value`` is in [0, 1]; ``Score.reasons`` are structured codes plus
parameters (``{"code": "surname_translit", "standard": "ICAO 9303", ...}``) that
:func:`render_reason` turns into English, Russian or Kazakh. The docstring of each ``score_*``
function is the explanation shown to officers.

Scores are symmetric: ``score(a, b).value == score(b, a).value``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from itertools import permutations
from types import MappingProxyType
from typing import Final

from rapidfuzz.distance import JaroWinkler, Levenshtein

from shekara.screening.identifiers import (
    country_alpha2,
    document_match_key,
    normalize_document_number,
)
from shekara.screening.names import (
    NamePart,
    compare_dates,
    gender_neutral_key,
    name_weight,
    parse_name,
    parse_partial_date,
    surname_stem,
)
from shekara.screening.translit import (
    _plain_fold,
    ascii_fold,
    has_cyrillic,
    skeleton_keys,
    standard_label,
    variants_by_standard,
)

__all__ = [
    "DEFAULT_CONFIG",
    "Person",
    "Reason",
    "Score",
    "ScoringConfig",
    "grade_person",
    "render_reason",
    "score_birth_date",
    "score_documents",
    "score_name",
    "score_names",
    "score_nationality",
    "score_person",
]

Param = str | int | float


@dataclass(frozen=True)
class Reason:
    """One piece of evidence: a stable ``code`` plus parameters for the message."""

    code: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __post_init__(self) -> None:  # scores are cached and shared: keep them read-only
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def as_dict(self) -> dict[str, Param]:
        return {"code": self.code, **self.params}

    def render(self, lang: str = "en") -> str:
        return render_reason(self.code, self.params, lang)


@dataclass(frozen=True)
class Score:
    value: float
    reasons: tuple[Reason, ...] = ()
    #: set by :func:`score_person` only: value >= config.threshold (and, after
    #: :func:`grade_person`, corroborated enough to alert)
    match: bool | None = None
    #: set by :func:`grade_person`: "alert" (very likely this person), "possible" (the name
    #: matches but nothing rules out a namesake), "no_match"
    grade: str | None = None

    def explain(self, lang: str = "en") -> list[str]:
        return [r.render(lang) for r in self.reasons]


@dataclass(frozen=True)
class ScoringConfig:
    """Weights and thresholds; an administrator tunes them per deployment (docs/screening.md)."""

    #: final score at or above which a candidate is reported as a match
    threshold: float = 0.80
    # --- name parts
    translit_similarity: float = 0.97  # same name under another standard / via variant sets
    typo_similarity: float = 0.90  # one letter inserted, deleted or replaced
    surname_suffix_similarity: float = 0.90  # Нургалиев vs Нұрғали (-ов/-ев dropped)
    gender_form_similarity: float = 0.80  # Нургалиев vs Нургалиева
    initial_similarity: float = 0.70  # "E." vs "Erlan"
    fuzzy_cap: float = 0.85  # the best a merely similar spelling can score
    #: weight of a part with no counterpart, relative to a matched part
    unmatched_part_weight: float = 0.5
    #: below this a pair of parts counts as different (similarity 0, parts left unmatched)
    min_part_similarity: float = 0.6
    patronymic_bonus: float = 0.03
    patronymic_penalty: float = 0.10
    #: subtracted from a name-only match of the most common names of the region
    common_name_penalty: float = 0.08
    # --- other evidence (added to the name score, result clamped to [0, 1])
    dob_exact_bonus: float = 0.10
    dob_compatible_bonus: float = 0.03
    dob_near_penalty: float = 0.05  # one digit off, day and month swapped
    dob_conflict_penalty: float = 0.25
    nationality_bonus: float = 0.02
    nationality_conflict_penalty: float = 0.05
    document_match_bonus: float = 0.30
    document_similar_bonus: float = 0.15  # equal after O/0, I/1 folding
    # --- alert grade (:func:`grade_person`): a match alerts only when a coincidence with a
    # namesake is unlikely. Expected coincidences = records carrying the name x the chance
    # that a namesake's evidence agrees this well by accident; at most this many alert.
    max_expected_namesakes: float = 0.1
    chance_same_date: float = 0.00005  # full date equal: about 1 in 55 years x 365 days
    chance_same_month: float = 0.0015  # year and month equal, a day missing on one side
    chance_same_year: float = 0.018  # year equal, month missing: about 1 in 55 years
    #: a namesake whose patronymic (father's name) agrees too: about 1 in 10 at most
    chance_same_patronymic: float = 0.1

    def __hash__(self) -> int:  # configs key the caches below: hash once, not per call
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(self.__dict__[f.name] for f in fields(self)))
            object.__setattr__(self, "_hash", cached)
        return cached


DEFAULT_CONFIG: Final = ScoringConfig()


@dataclass(frozen=True)
class Person:
    """What screening compares: names in any script, a (partial) date of birth,
    nationalities (any code form) and document numbers."""

    names: tuple[str, ...]
    birth_date: str | None = None
    nationalities: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()


def _clamp(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


# --------------------------------------------------------------------------------------------
# Name parts
# --------------------------------------------------------------------------------------------


def _kind(a: NamePart, b: NamePart) -> str:
    roles = {a.role, b.role}
    if "surname" in roles:
        return "surname"
    if "given" in roles:
        return "given_name"
    return "name"


def _standard_for(a: str, b: str) -> str | None:
    """Label of the standard under which Cyrillic ``a`` is spelled as Latin ``b``: the exact
    rendering first, then (for an ASCII ``b`` only) the rendering folded to ASCII."""
    renderings = variants_by_standard(a)
    target = b.casefold()
    for key, v in renderings.items():
        if v.casefold() == target:
            return standard_label(key)
    if b.isascii():
        target = ascii_fold(b).casefold()
        for key, v in renderings.items():
            if ascii_fold(v).casefold() == target:
                label = standard_label(key)
                return label if v.isascii() else f"{label}, ASCII"
    return None


@lru_cache(maxsize=1 << 16)
def _part_similarity(a: NamePart, b: NamePart, cfg: ScoringConfig) -> tuple[float, Reason]:
    kind = _kind(a, b)
    params: dict[str, Param] = {"query": a.text, "candidate": b.text}
    jw = JaroWinkler.normalized_similarity(a.key, b.key)
    # variant keys differ from the primary key by a letter or two (Uzbek ў: o/u), so the
    # costlier variant lookup is skipped for plainly different parts
    if a.key == b.key or (
        jw >= 0.75 and (b.key in skeleton_keys(a.text) or a.key in skeleton_keys(b.text))
    ):
        same = a.key == b.key
        if ascii_fold(a.text).casefold() == ascii_fold(b.text).casefold():
            return 1.0, Reason(f"{kind}_exact", params)
        sim = 1.0 if same else cfg.translit_similarity
        cyr_a, cyr_b = has_cyrillic(a.text), has_cyrillic(b.text)
        if cyr_a != cyr_b:
            standard = _standard_for(a.text, b.text) if cyr_a else _standard_for(b.text, a.text)
            params["standard"] = standard or "equivalent spelling"
            return sim, Reason(f"{kind}_translit", params)
        if cyr_a:
            return sim, Reason(f"{kind}_cyrillic_form", params)
        return sim, Reason(f"{kind}_spelling", params)
    roles = {a.role, b.role}
    if "given" not in roles and roles & {"surname", "unknown"}:
        if gender_neutral_key(a.text) == gender_neutral_key(b.text):
            return cfg.gender_form_similarity, Reason("surname_gender_form", params)
        sa, sb = surname_stem(a.text), surname_stem(b.text)
        if sa == sb and len(sa) >= 3:
            return cfg.surname_suffix_similarity, Reason("surname_suffix", params)
    if min(len(a.key), len(b.key)) == 1:
        if a.key[0] == b.key[0]:
            return cfg.initial_similarity, Reason(f"{kind}_initial", params)
        return 0.0, Reason(f"{kind}_different", params)
    if _one_edit_apart(a, b):
        return cfg.typo_similarity, Reason(f"{kind}_typo", params)
    lev = Levenshtein.normalized_similarity(a.key, b.key)
    sim = round(cfg.fuzzy_cap * (jw + lev) / 2, 4)
    if sim < cfg.min_part_similarity:
        return 0.0, Reason(f"{kind}_different", params)
    params["similarity"] = round(sim, 2)
    return sim, Reason(f"{kind}_fuzzy", params)


def _one_edit_apart(a: NamePart, b: NamePart) -> bool:
    """One letter inserted, deleted or replaced, on the skeletons or on the folds before the
    ie/io rules (a typo can break a vowel glide: Aibek/Aiek)."""
    if min(len(a.key), len(b.key)) >= 4 and Levenshtein.distance(a.key, b.key, score_cutoff=1) <= 1:
        return True
    fa, fb = _plain_fold(a.text), _plain_fold(b.text)
    return min(len(fa), len(fb)) >= 4 and Levenshtein.distance(fa, fb, score_cutoff=1) <= 1


_Pair = tuple[int, int, float, Reason]


def _value(
    pairs: Sequence[_Pair], wq: Sequence[float], wc: Sequence[float], cfg: ScoringConfig
) -> float:
    num = den = 0.0
    for i, j, sim, _ in pairs:
        w = (wq[i] + wc[j]) / 2
        num += w * sim
        den += w
    matched_q = {p[0] for p in pairs}
    matched_c = {p[1] for p in pairs}
    den += cfg.unmatched_part_weight * (
        sum(w for k, w in enumerate(wq) if k not in matched_q)
        + sum(w for k, w in enumerate(wc) if k not in matched_c)
    )
    return num / den if den else 0.0


def _assign(
    q: Sequence[NamePart], c: Sequence[NamePart], cfg: ScoringConfig
) -> tuple[list[_Pair], float]:
    """Pairing of parts with the best name value: exhaustive up to 3 x 3 parts, else greedy."""
    n, m = len(q), len(c)
    wq = [name_weight(p.text) for p in q]
    wc = [name_weight(p.text) for p in c]
    if n == 0 or m == 0:
        return [], _value([], wq, wc, cfg)
    sims = [[_part_similarity(qp, cp, cfg) for cp in c] for qp in q]
    candidates: list[list[_Pair]] = []
    if max(n, m) <= 3:
        if n <= m:
            for perm in permutations(range(m), n):
                candidates.append([(i, j, *sims[i][j]) for i, j in enumerate(perm)])
        else:
            for perm in permutations(range(n), m):
                candidates.append([(i, j, *sims[i][j]) for j, i in enumerate(perm)])
    else:
        order = sorted(
            ((sims[i][j][0], i, j) for i in range(n) for j in range(m)),
            key=lambda t: (-t[0], *sorted((q[t[1]].key, c[t[2]].key))),
        )
        used_q: set[int] = set()
        used_c: set[int] = set()
        greedy: list[_Pair] = []
        for _, i, j in order:
            if i not in used_q and j not in used_c:
                used_q.add(i)
                used_c.add(j)
                greedy.append((i, j, *sims[i][j]))
        candidates.append(greedy)
    best, best_value = candidates[0], -1.0
    for cand in candidates:
        # a pair that is plainly different is better left unmatched
        kept = [p for p in cand if p[2] > 0.0]
        v = _value(kept, wq, wc, cfg)
        if v > best_value + 1e-12:
            best, best_value = kept, v
    return best, best_value


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def score_name(query: str, candidate: str, config: ScoringConfig = DEFAULT_CONFIG) -> Score:
    """Name similarity, in any script and any order of the parts.

    Parts are paired one to one, whatever their order (Ерлан Нургалиев = NURGALIEV ERLAN). A pair
    scores 1 when the two spellings are the same name under a transliteration standard (ICAO
    9303, the older Russian passport orders, BGN/PCGN, ISO 9, the Kazakh Latin alphabet ...) or
    the Kazakh and Russian Cyrillic forms of it (Нұрғалиев = Нургалиев); a little less when the
    surname differs only by the -ов/-ев suffix (Нургалиев = Нұрғали), by its male/female form,
    or by one letter; otherwise by how similar the spellings are. Rare name parts count more
    than the most frequent names of the region. A part without counterpart lowers the score.
    The patronymic is optional evidence: equal adds a little, different takes some off, missing
    changes nothing.
    """
    q, c = parse_name(query), parse_name(candidate)
    qc, cc = q.core, c.core
    if not qc or not cc:
        return Score(0.0, (Reason("name_missing"),))
    pairs, value = _assign(qc, cc, config)
    reasons: list[Reason] = [p[3] for p in sorted(pairs)]
    weights = [(name_weight(qc[i].text) + name_weight(cc[j].text)) / 2 for i, j, _, _ in pairs]
    matched_q = {p[0] for p in pairs}
    matched_c = {p[1] for p in pairs}
    for k, part in enumerate(qc):
        if k not in matched_q:
            reasons.append(Reason("name_part_unmatched", {"part": part.text}))
    for k, part in enumerate(cc):
        if k not in matched_c:
            reasons.append(Reason("name_part_unmatched", {"part": part.text}))

    order_q = [i for i, _, _, _ in sorted(pairs, key=lambda t: t[1])]
    if order_q != sorted(order_q):
        reasons.append(Reason("name_order_swapped"))

    qp, cp = q.patronymic, c.patronymic
    if qp is not None and cp is not None:
        if min(len(qp.key), len(cp.key)) == 1:  # an initial: compare first letters
            same_patronymic = qp.key[:1] == cp.key[:1]
        else:
            same_patronymic = qp.key == cp.key or (
                min(len(qp.key), len(cp.key)) >= 4
                and Levenshtein.distance(qp.key, cp.key, score_cutoff=1) <= 1
            )
        if same_patronymic:
            value += config.patronymic_bonus * value
            reasons.append(Reason("patronymic_match", {"query": qp.text, "candidate": cp.text}))
        else:
            value -= config.patronymic_penalty
            reasons.append(Reason("patronymic_mismatch", {"query": qp.text, "candidate": cp.text}))
    elif qp is not None or cp is not None:
        reasons.append(Reason("patronymic_missing"))

    if weights and max(weights) < 1.0:
        specificity = sum(weights) / len(weights)
        penalty = config.common_name_penalty * min(1.0, (1.0 - specificity) / 0.5)
        if penalty > 0:
            reasons.append(Reason("common_name", {"penalty": round(penalty, 3)}))
            value -= penalty
    return Score(round(_clamp(value), 6), tuple(reasons))


def score_names(
    query: Sequence[str], candidate: Sequence[str], config: ScoringConfig = DEFAULT_CONFIG
) -> Score:
    """Best name score over all names (aliases, other scripts) of the two persons."""
    best = Score(0.0, (Reason("name_missing"),))
    for a in query:
        for b in candidate:
            s = score_name(a, b, config)
            if s.value > best.value:
                best = s
    return best


def score_birth_date(
    query: str | None, candidate: str | None, config: ScoringConfig = DEFAULT_CONFIG
) -> Score:
    """Date of birth: an exact date supports the match; a date that agrees on every part both
    records have (year only, year and month, or the 1 January placeholder) supports it a little;
    one wrong digit or swapped day and month weakens it slightly (typing errors); a conflicting
    date weakens it a lot. A missing date changes nothing. Value: the adjustment to the name
    score, shifted to [0, 1] (0.5 = no effect)."""
    result = compare_dates(parse_partial_date(query), parse_partial_date(candidate))
    params: dict[str, Param] = {"query": query or "", "candidate": candidate or ""}
    delta = {
        "exact": config.dob_exact_bonus,
        "compatible": config.dob_compatible_bonus,
        "day_month_swap": -config.dob_near_penalty,
        "one_digit": -config.dob_near_penalty,
        "conflict": -config.dob_conflict_penalty,
        "missing": 0.0,
    }[result.outcome]
    return Score(_clamp(0.5 + delta), (Reason(f"dob_{result.outcome}", params),))


_NATIONALITY_MISSING: Final = Score(0.5, (Reason("nationality_missing"),))
_DOCUMENT_MISSING: Final = Score(0.5, (Reason("document_missing"),))


def score_nationality(
    query: Sequence[str], candidate: Sequence[str], config: ScoringConfig = DEFAULT_CONFIG
) -> Score:
    """Nationality: a shared nationality supports the match a little, no shared one weakens it
    a little (people change and hold several); missing changes nothing. Codes may be alpha-2,
    alpha-3 or ICAO. Value: the adjustment shifted to [0, 1] (0.5 = no effect)."""
    if not query or not candidate:
        return _NATIONALITY_MISSING
    qs = {c for c in (country_alpha2(x) for x in query) if c}
    cs = {c for c in (country_alpha2(x) for x in candidate) if c}
    if not qs or not cs:
        return _NATIONALITY_MISSING
    common = qs & cs
    if common:
        return Score(
            0.5 + config.nationality_bonus,
            (Reason("nationality_match", {"country": ",".join(sorted(common))}),),
        )
    params = {"query": ",".join(sorted(qs)), "candidate": ",".join(sorted(cs))}
    conflict = Reason("nationality_conflict", params)
    return Score(0.5 - config.nationality_conflict_penalty, (conflict,))


def score_documents(
    query: Sequence[str], candidate: Sequence[str], config: ScoringConfig = DEFAULT_CONFIG
) -> Score:
    """Document numbers: the same number (ignoring spaces, dashes and Cyrillic/Latin look-alike
    letters) strongly supports the match; numbers equal only after folding O/0 and I/1 support
    it less (a reading error is likely). Different numbers change nothing: people hold several
    documents. Value: the adjustment shifted to [0, 1] (0.5 = no effect)."""
    if not query or not candidate:
        return _DOCUMENT_MISSING
    qn = {normalize_document_number(d) for d in query if d.strip()}
    cn = {normalize_document_number(d) for d in candidate if d.strip()}
    if not qn or not cn:
        return _DOCUMENT_MISSING
    same = qn & cn
    if same:
        return Score(
            _clamp(0.5 + config.document_match_bonus),
            (Reason("document_match", {"number": sorted(same)[0]}),),
        )
    qk = {document_match_key(d): d for d in qn}
    ck = {document_match_key(d): d for d in cn}
    similar = sorted(set(qk) & set(ck))
    if similar:
        k = similar[0]
        params = {"query": qk[k], "candidate": ck[k]}
        return Score(
            _clamp(0.5 + config.document_similar_bonus), (Reason("document_similar", params),)
        )
    return Score(0.5, (Reason("document_different"),))


def score_person(query: Person, candidate: Person, config: ScoringConfig = DEFAULT_CONFIG) -> Score:
    """Overall score of a candidate record for a screened person.

    Starts from the name score and adds the evidence of the date of birth, nationality and
    document numbers (each may raise or lower it; missing evidence changes nothing). A name-only
    match of the most common names of the region is lowered unless a date of birth or a
    document confirms it. The candidate is reported as a match when the score reaches the
    configured threshold.
    """
    name = score_names(query.names, candidate.names, config)
    dob = score_birth_date(query.birth_date, candidate.birth_date, config)
    nat = score_nationality(query.nationalities, candidate.nationalities, config)
    doc = score_documents(query.documents, candidate.documents, config)
    value = name.value
    corroborated = dob.reasons[0].code == "dob_exact" or doc.reasons[0].code == "document_match"
    name_reasons = name.reasons
    penalty = sum(float(r.params["penalty"]) for r in name.reasons if r.code == "common_name")
    if corroborated and penalty and value + penalty >= config.threshold:
        # a common name that matches and is confirmed by the date of birth or a document is
        # not penalised (a common name that does not match stays low)
        value += penalty
        name_reasons = tuple(r for r in name.reasons if r.code != "common_name")
    for s in (dob, nat, doc):
        value += s.value - 0.5
    value = round(_clamp(value), 6)
    reasons = name_reasons + dob.reasons + nat.reasons + doc.reasons
    return Score(value, reasons, value >= config.threshold)


#: name-part reasons of a name that matches as written or transliterated (no typo, no
#: fuzzy similarity): the namesake count of the query's name is then the candidate's too
_SAME_NAME_HOWS: Final = ("exact", "translit", "cyrillic_form", "spelling")


def _same_name(reasons: Sequence[Reason]) -> bool:
    parts = [r for r in reasons if r.code.startswith(("surname_", "given_name_", "name_"))]
    return bool(parts) and all(
        r.code.endswith(_SAME_NAME_HOWS)
        or r.code in ("surname_suffix", "surname_gender_form", "name_order_swapped")
        for r in parts
    )


def _chance(reasons: Sequence[Reason], config: ScoringConfig) -> tuple[float, str]:
    """Chance that a namesake's record agrees with the query this well by accident, and the
    evidence it rests on. A patronymic that agrees as well divides it (``chance_same_patronymic``).

    The chance is that of the agreement itself (a year: 1 in 55), not weighted by how many of
    the deployment's records carry only a year: that share makes the person's own record
    as rare as a namesake's, so it does not change the odds that the match is a coincidence."""
    codes = {r.code: r for r in reasons}
    if "document_match" in codes:
        return 0.0, "document"
    pat = config.chance_same_patronymic if "patronymic_match" in codes else 1.0
    if "dob_exact" in codes:
        return config.chance_same_date * pat, "date"
    dob = codes.get("dob_compatible")
    if dob is not None:
        dates = [parse_partial_date(str(dob.params.get(k) or "")) for k in ("query", "candidate")]
        if all(d is not None and d.month is not None for d in dates):
            return config.chance_same_month * pat, "year_month"
        return config.chance_same_year * pat, "year"
    return pat, "name"


#: namesakes assumed when the candidate's name is not the query's (typo, loose similarity)
UNKNOWN_NAMESAKES: Final = 1000


def grade_person(
    score: Score,
    namesakes: int,
    config: ScoringConfig = DEFAULT_CONFIG,
    name_rarity: float | None = None,
) -> Score:
    """Whether a match is an alert ("very likely this person") or only a possible match.

    A name agrees with many people. The score says how well the name and the other evidence
    agree; the grade asks how likely that agreement is a coincidence with a namesake. With
    ``namesakes`` records of the index carrying the name (any spelling; the deployment's own
    frequency), the expected number of records that agree by accident is ``namesakes`` times
    the chance that a namesake's evidence agrees: a document number almost never, a full date
    of birth 1 in 20,000, a year and month 1 in 670, a year alone 1 in 55. A name with nothing
    to confirm it (no date of birth or document on one side, a date one digit off or with day
    and month swapped: weak evidence) alerts only when the name is rare: ``name_rarity``, the
    number of records expected to carry it by chance given how frequent each of its parts is
    in the index, stays at or below ``max_expected_namesakes``. A name that matches only with a
    typo or loosely is never rare, and counts as carried by many (:data:`UNKNOWN_NAMESAKES`):
    its frequency is not known. Otherwise a match is shown as a possible match and the
    officer checks further.
    """
    if not score.match:
        return replace(score, grade="no_match" if score.value < config.threshold else "possible")
    chance, evidence = _chance(score.reasons, config)
    count = max(1, namesakes)
    if not _same_name(score.reasons):
        # the count is that of the query's spelling; a name matched with a typo or loosely may
        # belong to many people: count it as common
        count = max(count, UNKNOWN_NAMESAKES)
    if evidence == "name":
        # the records carrying a name in the index say little of how many people carry it:
        # only a name whose parts are rare enough (``name_rarity``) counts as rare
        rare = name_rarity is not None and _same_name(score.reasons)
        expected = (name_rarity if rare and name_rarity is not None else float(count)) * chance
    else:
        expected = count * chance
    if expected <= config.max_expected_namesakes:
        return replace(score, grade="alert")
    # the count of records carrying the name is not shown: it would tell the viewer about
    # records she may not see
    reasons = (*score.reasons, Reason(f"namesake_{evidence}"))
    return Score(score.value, reasons, False, "possible")


# --------------------------------------------------------------------------------------------
# Messages (English, Russian, Kazakh). Keys: reason codes; name-part codes are
# "<kind>_<how>" with kind in surname / given_name / name, rendered with PART_LABELS.
# --------------------------------------------------------------------------------------------

PART_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {"surname": "Surname", "given_name": "Given name", "name": "Name"},
    "ru": {"surname": "Фамилия", "given_name": "Имя", "name": "Часть имени"},
    "kk": {"surname": "Тегі", "given_name": "Аты", "name": "Есім бөлігі"},
}

PART_MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "exact": "{part}: {query} = {candidate}, same spelling",
        "translit": "{part}: {query} = {candidate}, transliteration ({standard})",
        "cyrillic_form": "{part}: {query} = {candidate}, Kazakh/Russian Cyrillic forms",
        "spelling": "{part}: {query} = {candidate}, spelling variant",
        "initial": "{part}: {query} ~ {candidate}, initial only",
        "typo": "{part}: {query} ~ {candidate}, one letter differs",
        "fuzzy": "{part}: {query} ~ {candidate}, similar spelling ({similarity})",
        "different": "{part}: {query} and {candidate} differ",
    },
    "ru": {
        "exact": "{part}: {query} = {candidate}, совпадает написание",
        "translit": "{part}: {query} = {candidate}, транслитерация ({standard})",
        "cyrillic_form": "{part}: {query} = {candidate}, казахская и русская формы",
        "spelling": "{part}: {query} = {candidate}, вариант написания",
        "initial": "{part}: {query} ~ {candidate}, только инициал",
        "typo": "{part}: {query} ~ {candidate}, отличается одна буква",
        "fuzzy": "{part}: {query} ~ {candidate}, похожее написание ({similarity})",
        "different": "{part}: {query} и {candidate} различаются",
    },
    "kk": {
        "exact": "{part}: {query} = {candidate}, жазылуы бірдей",
        "translit": "{part}: {query} = {candidate}, транслитерация ({standard})",
        "cyrillic_form": "{part}: {query} = {candidate}, қазақ және орыс жазылуы",
        "spelling": "{part}: {query} = {candidate}, жазылу нұсқасы",
        "initial": "{part}: {query} ~ {candidate}, тек бас әрпі",
        "typo": "{part}: {query} ~ {candidate}, бір әрпі өзгеше",
        "fuzzy": "{part}: {query} ~ {candidate}, ұқсас жазылу ({similarity})",
        "different": "{part}: {query} мен {candidate} әртүрлі",
    },
}

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "surname_suffix": "Surname: {query} ~ {candidate}, with and without -ov/-ev",
        "surname_gender_form": "Surname: {query} ~ {candidate}, male and female forms",
        "name_part_unmatched": "{part}: no counterpart in the other name",
        "name_missing": "No name to compare",
        "name_order_swapped": "Name parts in a different order",
        "patronymic_match": "Patronymic: {query} = {candidate}",
        "patronymic_mismatch": "Patronymic differs: {query} / {candidate}",
        "patronymic_missing": "Patronymic present in one record only",
        "common_name": "Common name: score lowered by {penalty}",
        "dob_exact": "Date of birth: same ({query})",
        "dob_compatible": "Date of birth: compatible ({query} / {candidate})",
        "dob_day_month_swap": "Date of birth: day and month swapped ({query} / {candidate})",
        "dob_one_digit": "Date of birth: one digit differs ({query} / {candidate})",
        "dob_conflict": "Date of birth differs: {query} / {candidate}",
        "dob_missing": "Date of birth missing in one record",
        "nationality_match": "Nationality: same ({country})",
        "nationality_conflict": "Nationality differs: {query} / {candidate}",
        "nationality_missing": "Nationality missing in one record",
        "document_match": "Document number: same ({number})",
        "document_similar": "Document number: {query} ~ {candidate}, O/0 or I/1 confusion",
        "document_different": "Document numbers differ",
        "document_missing": "Document number missing in one record",
        "namesake_name": "Possible match only: the name alone, no date of birth or document "
        "confirms this one; other people carry this name",
        "namesake_year": "Possible match only: other people carry this name, and a year of birth "
        "alone can agree by coincidence",
        "namesake_year_month": "Possible match only: other people carry this name, and a "
        "year and month of birth can agree by coincidence",
        "namesake_date": "Possible match only: a very common name, even a date of birth can agree "
        "by coincidence",
    },
    "ru": {
        "surname_suffix": "Фамилия: {query} ~ {candidate}, с окончанием -ов/-ев и без него",
        "surname_gender_form": "Фамилия: {query} ~ {candidate}, мужская и женская формы",
        "name_part_unmatched": "{part}: нет соответствия в другом имени",
        "name_missing": "Нет имени для сравнения",
        "name_order_swapped": "Части имени в другом порядке",
        "patronymic_match": "Отчество: {query} = {candidate}",
        "patronymic_mismatch": "Отчество различается: {query} / {candidate}",
        "patronymic_missing": "Отчество есть только в одной записи",
        "common_name": "Распространённое имя: оценка снижена на {penalty}",
        "dob_exact": "Дата рождения совпадает ({query})",
        "dob_compatible": "Дата рождения совместима ({query} / {candidate})",
        "dob_day_month_swap": "Дата рождения: день и месяц переставлены ({query} / {candidate})",
        "dob_one_digit": "Дата рождения: отличается одна цифра ({query} / {candidate})",
        "dob_conflict": "Дата рождения различается: {query} / {candidate}",
        "dob_missing": "Дата рождения отсутствует в одной записи",
        "nationality_match": "Гражданство совпадает ({country})",
        "nationality_conflict": "Гражданство различается: {query} / {candidate}",
        "nationality_missing": "Гражданство отсутствует в одной записи",
        "document_match": "Номер документа совпадает ({number})",
        "document_similar": "Номер документа: {query} ~ {candidate}, путаница O/0 или I/1",
        "document_different": "Номера документов различаются",
        "document_missing": "Номер документа отсутствует в одной записи",
        "namesake_name": "Только возможное совпадение: совпадает лишь имя, дата рождения или "
        "документ не подтверждают; такое имя носят и другие",
        "namesake_year": "Только возможное совпадение: такое имя носят и другие, а один год "
        "рождения может совпасть случайно",
        "namesake_year_month": "Только возможное совпадение: такое имя носят и другие, "
        "а год и месяц рождения могут совпасть случайно",
        "namesake_date": "Только возможное совпадение: очень распространённое имя, даже дата "
        "рождения может совпасть случайно",
    },
    "kk": {
        "surname_suffix": "Тегі: {query} ~ {candidate}, -ов/-ев жалғауымен және онсыз",
        "surname_gender_form": "Тегі: {query} ~ {candidate}, ер және әйел түрлері",
        "name_part_unmatched": "{part}: екінші есімде сәйкесі жоқ",
        "name_missing": "Салыстыратын есім жоқ",
        "name_order_swapped": "Есім бөліктері басқа ретпен",
        "patronymic_match": "Әкесінің аты: {query} = {candidate}",
        "patronymic_mismatch": "Әкесінің аты әртүрлі: {query} / {candidate}",
        "patronymic_missing": "Әкесінің аты тек бір жазбада бар",
        "common_name": "Кең таралған есім: баға {penalty} төмендетілді",
        "dob_exact": "Туған күні бірдей ({query})",
        "dob_compatible": "Туған күні сәйкес келеді ({query} / {candidate})",
        "dob_day_month_swap": "Туған күні: күн мен ай орын ауыстырған ({query} / {candidate})",
        "dob_one_digit": "Туған күні: бір цифры өзгеше ({query} / {candidate})",
        "dob_conflict": "Туған күні әртүрлі: {query} / {candidate}",
        "dob_missing": "Туған күні бір жазбада жоқ",
        "nationality_match": "Азаматтығы бірдей ({country})",
        "nationality_conflict": "Азаматтығы әртүрлі: {query} / {candidate}",
        "nationality_missing": "Азаматтығы бір жазбада жоқ",
        "document_match": "Құжат нөмірі бірдей ({number})",
        "document_similar": "Құжат нөмірі: {query} ~ {candidate}, O/0 немесе I/1 шатасуы",
        "document_different": "Құжат нөмірлері әртүрлі",
        "document_missing": "Құжат нөмірі бір жазбада жоқ",
        "namesake_name": "Тек ықтимал сәйкестік: тек есім сәйкес, туған күні немесе құжат "
        "растамайды; бұл есім басқаларда да бар",
        "namesake_year": "Тек ықтимал сәйкестік: бұл есім басқаларда да бар, ал тек туған жылы "
        "кездейсоқ сәйкес келуі мүмкін",
        "namesake_year_month": "Тек ықтимал сәйкестік: бұл есім басқаларда да бар, "
        "ал туған жылы мен айы кездейсоқ сәйкес келуі мүмкін",
        "namesake_date": "Тек ықтимал сәйкестік: өте кең таралған есім, туған күні де кездейсоқ "
        "сәйкес келуі мүмкін",
    },
}


class _Params(dict[str, Param]):
    def __missing__(self, key: str) -> str:
        return ""


def render_reason(code: str, params: Mapping[str, Param], lang: str = "en") -> str:
    """Message for a reason code in ``lang`` ("en", "ru", "kk"; unknown languages fall back to
    English, unknown codes to the code itself)."""
    lang = lang if lang in MESSAGES else "en"
    values = _Params(params)
    template = MESSAGES[lang].get(code)
    if template is None:
        kind, _, how = code.partition("_")
        if kind == "given":
            kind, how = "given_name", how.removeprefix("name_")
        if kind in PART_LABELS[lang] and how in PART_MESSAGES[lang]:
            values["part"] = PART_LABELS[lang][kind]
            template = PART_MESSAGES[lang][how]
    if template is None:
        return code
    if code == "name_part_unmatched":
        values["part"] = str(params.get("part", ""))
    return template.format_map(values)
