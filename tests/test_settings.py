"""Settings refuse default secrets in production, and every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from shekara.settings import DEFAULT_SECRET, Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_production_refuses_default_or_missing_secret() -> None:
    with pytest.raises(ValidationError, match="SHEKARA_SECRET_KEY"):
        Settings(env="production", secret_key=DEFAULT_SECRET)
    with pytest.raises(ValidationError, match="SHEKARA_SECRET_KEY"):
        Settings(env="production", secret_key="short")
    ok = Settings(env="production", secret_key="x" * 40)
    assert ok.env == "production"


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"`SHEKARA_([A-Z_]+)`", DOC.read_text("utf-8")))
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - documented == set(), "undocumented settings"
    assert documented - fields == set(), "documented settings that do not exist"
