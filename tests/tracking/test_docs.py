"""Every rule threshold and every alert kind is documented in docs/tracking.md."""

from dataclasses import fields
from pathlib import Path

from shekara.tracking.constants import AlertKind
from shekara.tracking.rules import RuleConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "tracking.md"


def test_rule_settings_are_documented() -> None:
    text = DOC.read_text()
    assert [f.name for f in fields(RuleConfig) if f"`{f.name}`" not in text] == []


def test_alert_kinds_are_documented() -> None:
    text = DOC.read_text()
    assert [k.value for k in AlertKind if f"`{k.value}`" not in text] == []
