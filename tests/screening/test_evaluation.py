"""Regression guard on synthetic data: same person across standards vs different persons.

Names come from the reference name lists (``shekara/refdata/data/names``, approximate popularity
lists); the test is skipped if they are missing. Figures are for synthetic pairs, not field data.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from shekara.screening.scoring import ScoringConfig, score_name
from shekara.screening.translit import variants_by_standard

NAMES_DIR = Path(__file__).parents[2] / "src" / "shekara" / "refdata" / "data" / "names"


def _pools() -> dict[str, tuple[list[str], list[str]]]:
    pools: dict[str, tuple[list[str], list[str]]] = {}
    for path in sorted(NAMES_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            surnames = [row["male"] for row in data.get("surnames", [])]
            given = [row["name"] for row in data.get("male_given", [])]
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if surnames and given and data.get("language") in ("kk", "ru", "uz", "tg", "ky"):
            pools[data["language"]] = (surnames, given)
    return pools


@pytest.fixture(scope="module")
def pools() -> dict[str, tuple[list[str], list[str]]]:
    found = _pools()
    if len(found) < 3:
        pytest.skip("reference name lists not available")
    return found


def test_same_and_different_persons(pools: dict[str, tuple[list[str], list[str]]]) -> None:
    rng = random.Random(7)
    threshold = ScoringConfig().threshold
    langs = sorted(pools)

    def person() -> str:
        surnames, given = pools[rng.choice(langs)]
        return f"{rng.choice(surnames)} {rng.choice(given)}"

    same = different = 0
    n = 1000
    for _ in range(n):
        a = person()
        renderings = variants_by_standard(a)
        b = renderings[rng.choice(sorted(renderings))]
        if rng.random() < 0.5:
            b = " ".join(reversed(b.split()))
        if rng.random() < 0.3:
            b = b.upper()
        same += score_name(a, b).value >= threshold
        c = person()
        different += c != a and score_name(a, c).value >= threshold
    assert same / n >= 0.99
    assert different / n <= 0.005
