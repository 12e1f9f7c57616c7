"""docs/screening.md documents every tuning knob and every standard."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from shekara.screening.scoring import ScoringConfig
from shekara.screening.translit_tables import STANDARDS

DOC = (Path(__file__).parents[2] / "docs" / "screening.md").read_text(encoding="utf-8")


def test_every_scoring_setting_is_documented() -> None:
    missing = [f.name for f in fields(ScoringConfig) if f"`{f.name}`" not in DOC]
    assert not missing, f"document these ScoringConfig fields in docs/screening.md: {missing}"


def test_every_standard_is_documented() -> None:
    missing = [key for key in STANDARDS if f"`{key}`" not in DOC]
    assert not missing, f"document these standards in docs/screening.md: {missing}"
