"""Every string an officer reads has a Russian and a Kazakh translation, compiled."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from shekara.web import i18n

WEB = Path(i18n.__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"trim_blocks": "True", "lstrip_blocks": "True"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extracted() -> set[str]:
    ids: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(WEB), METHODS, OPTIONS, keywords=KEYWORDS
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_extraction_finds_the_strings() -> None:
    ids = extracted()
    assert len(ids) > 200
    assert {"Search", "Save incident", "Fill this in."} <= ids


@pytest.mark.parametrize("locale", ["ru", "kk"])
def test_every_string_is_translated(locale: str) -> None:
    po = WEB / "i18n" / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id
        and (all(m.string) if isinstance(m.string, tuple) else m.string)
        and "fuzzy" not in m.flags
    }
    missing = sorted(extracted() - translated)
    assert not missing, (
        f"{len(missing)} string(s) without a {locale} translation; run the steps in "
        f"docs/web.md (extract, update, translate, compile): {missing[:20]}"
    )


@pytest.mark.parametrize("locale", ["en", "ru", "kk"])
def test_compiled_catalog_matches_the_po_file(locale: str) -> None:
    folder = WEB / "i18n" / locale / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    assert buf.getvalue() == (folder / "messages.mo").read_bytes(), (
        f"messages.mo of {locale} is stale: compile it (docs/web.md)"
    )


def test_python_format_placeholders_survive_translation() -> None:
    for locale in ("ru", "kk"):
        t = i18n.translator(locale)
        assert "7" in t.gettext("Enter %(ge)s or more.", ge=7)
        assert "5" in t.ngettext("%(num)s record", "%(num)s records", 5)


def test_negotiate_prefers_the_best_supported_language() -> None:
    assert i18n.negotiate("kk-KZ,ru;q=0.8,en;q=0.5") == "kk"
    assert i18n.negotiate("de-DE,ru;q=0.7") == "ru"
    assert i18n.negotiate(None) == "en"
