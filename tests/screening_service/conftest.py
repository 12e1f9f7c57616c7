"""Per-process caches of the screening service start empty in every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shekara.screening import index, service


@pytest.fixture(autouse=True)
def _fresh_screening_caches() -> Iterator[None]:
    service._CONFIG_CACHE.clear()
    index._COMMON.clear()
    yield
    service._CONFIG_CACHE.clear()
    index._COMMON.clear()
