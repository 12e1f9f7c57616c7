"""Synthetic demo and benchmark data: ``generate``, ``load_reference`` and the demo accounts."""

from shekara.demo.agencies import DEMO_PASSWORD, MEMBER_COUNTRIES, demo_accounts
from shekara.demo.common import SIZES, Sizes
from shekara.demo.generator import GenerationReport, generate, is_empty, load_reference, reset

__all__ = [
    "DEMO_PASSWORD",
    "MEMBER_COUNTRIES",
    "SIZES",
    "GenerationReport",
    "Sizes",
    "demo_accounts",
    "generate",
    "is_empty",
    "load_reference",
    "reset",
]
