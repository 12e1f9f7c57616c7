"""Script-independent keys for search: each word folded to the screening skeleton, so that a
name typed in any script (Нұрғалиев, Нургалиев, NURGALIEV, Nurgaliyev) finds the record."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from shekara.screening.identifiers import document_match_key
from shekara.screening.translit import skeleton

_NON_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def fold_token(token: str) -> str:
    """One word of any script as its script-independent skeleton (see screening.translit)."""
    key = skeleton(token)
    if key:
        return key
    return _NON_WORD.sub("", unicodedata.normalize("NFKD", token.casefold()))


def name_tokens(text: str) -> list[str]:
    return [t for t in (fold_token(w) for w in re.split(r"[\s,.;\-'’]+", text)) if t]


def search_key(text: str) -> str:
    """Order-free key: folded tokens, sorted, space-joined."""
    return " ".join(sorted(name_tokens(text)))


def identifier_key(value: str) -> str:
    """Key for document numbers, plates and phones: the screening match key, letters and digits
    only (Cyrillic/Latin look-alikes and O/0, I/1 folded; spaces and punctuation dropped)."""
    return "".join(ch for ch in document_match_key(value) if ch.isalnum())
