"""Every gateway setting and every alarm is documented in docs/protocols.md."""

from dataclasses import fields
from pathlib import Path

from shekara.telemetry.gateway import GatewaySettings
from shekara.telemetry.protocols import Alarm

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocols.md"


def test_gateway_settings_are_documented() -> None:
    text = DOC.read_text()
    missing = [f.name for f in fields(GatewaySettings) if f"`{f.name}`" not in text]
    assert missing == []


def test_alarms_are_documented() -> None:
    text = DOC.read_text()
    seal = [a for a in Alarm if a.value.startswith("seal_")]
    other = [a for a in Alarm if not a.value.startswith("seal_")]
    assert [a.value for a in other if f"`{a.value}`" not in text] == []
    assert "`seal_broken` … `seal_unauthorised`" in text and len(seal) == 7
