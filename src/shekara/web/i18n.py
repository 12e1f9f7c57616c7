"""Languages of the web console: gettext catalogs (Babel) and locale-aware formatting.

Catalogs live in ``i18n/<lang>/LC_MESSAGES/messages.po`` with the compiled ``.mo`` beside them;
``tests/web/test_i18n.py`` fails when a string extracted from the templates or the Python code of
this package has no Russian or Kazakh translation. See ``docs/web.md`` for the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import get_decimal_symbol, get_group_symbol
from babel.support import NullTranslations, Translations

LOCALES: tuple[str, ...] = ("en", "ru", "kk")
DEFAULT_LOCALE = "en"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
FORMAT_LOCALES = {"en": "en_GB", "ru": "ru_RU", "kk": "kk_KZ"}
CATALOG_DIR = Path(__file__).parent / "i18n"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translated where shown)."""
    return message


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of ``locale`` (English is the source: its catalog is identity)."""
    return Translations.load(str(CATALOG_DIR), [locale], DOMAIN)


def negotiate(accept_language: str | None) -> str:
    """Best of our locales for an ``Accept-Language`` header; English otherwise."""
    best, best_q = DEFAULT_LOCALE, -1.0
    for part in (accept_language or "").split(","):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in LOCALES and q > best_q:
            best, best_q = lang, q
    return best


@dataclass(frozen=True)
class Translator:
    """Everything a page needs to speak the user's language."""

    locale: str

    @property
    def cldr(self) -> str:
        """The CLDR locale for formats: British English (24-hour clock, day before month)."""
        return FORMAT_LOCALES.get(self.locale, self.locale)

    @property
    def _t(self) -> NullTranslations:
        return translations(self.locale)

    def gettext(self, message: str, **params: Any) -> str:
        text = self._t.gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text % {"num": n, **params}

    def number(self, value: float | int | Decimal | None, digits: int = 3) -> str:
        """Grouped, at most ``digits`` decimals, with the locale's symbols (CLDR via Babel).

        Python formats and the separators are swapped in: Babel's own formatter costs about
        0.1 ms a number, which a table of a thousand figures feels.
        """
        if value is None:
            return ""
        text = f"{value:,.{digits}f}"
        if digits:
            text = text.rstrip("0").rstrip(".")
        group, decimal = _symbols(self.cldr)
        return text.replace(",", "\0").replace(".", decimal).replace("\0", group)

    def datetime(self, value: datetime | None, fmt: str = "medium") -> str:
        """A time in UTC, as officers of several time zones share it (the page says so)."""
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if fmt == "medium":  # the date as written in the locale, then a 24-hour time
            value = value.astimezone(UTC)
            return (
                f"{format_date(value, 'medium', locale=self.cldr)}, "
                f"{format_time(value, 'HH:mm', tzinfo=UTC, locale=self.cldr)}"
            )
        return format_datetime(value, fmt, tzinfo=UTC, locale=self.cldr)

    def date(self, value: date | None, fmt: str = "medium") -> str:
        if value is None:
            return ""
        return format_date(value, fmt, locale=self.cldr)

    def month(self, key: str) -> str:
        """``2024-05`` as the month's name and year in the user's language."""
        return _month(self.cldr, key)


@lru_cache(maxsize=len(LOCALES))
def _symbols(cldr: str) -> tuple[str, str]:
    return get_group_symbol(cldr), get_decimal_symbol(cldr)


@lru_cache(maxsize=4096)
def _month(cldr: str, key: str) -> str:
    try:
        y, m = (int(p) for p in key.split("-")[:2])
    except ValueError:
        return key
    return format_date(date(y, m, 1), "LLLL y", locale=cldr)


@lru_cache(maxsize=len(LOCALES))
def translator(locale: str) -> Translator:
    return Translator(locale if locale in LOCALES else DEFAULT_LOCALE)
