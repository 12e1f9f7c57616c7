"""Script-independent normalisation for search keys.

A deliberately simple fold (Cyrillic, Kazakh and Latin to one lowercase Latin skeleton) so that a
name typed in any script finds the record. Full cross-script screening, with the real
transliteration standards, lives in :mod:`shekara.screening`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CYR = {
    "а": "a",
    "ә": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ғ": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "і": "i",
    "к": "k",
    "қ": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "ң": "n",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ұ": "u",
    "ү": "u",
    "ў": "u",
    "ф": "f",
    "х": "kh",
    "һ": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
    "ҳ": "h",
    "ҷ": "j",
    "ӣ": "i",
    "ӯ": "u",
    "қ̆": "k",
}
_LATIN_FOLDS = (
    ("shch", "sh"),
    ("kh", "h"),
    ("zh", "j"),
    ("ts", "c"),
    ("ch", "c"),
    ("sh", "s"),
    ("iu", "u"),
    ("yu", "u"),
    ("ia", "a"),
    ("ya", "a"),
    ("ye", "e"),
    ("yo", "o"),
    ("y", "i"),
    ("j", "i"),
    ("x", "ks"),
    ("w", "v"),
    ("q", "k"),
)
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_DOUBLE = re.compile(r"(.)\1+")


@lru_cache(maxsize=65536)
def fold_token(token: str) -> str:
    """Fold one word of any script to its Latin skeleton (lowercase, no doubles)."""
    t = token.casefold()
    out = "".join(_CYR.get(ch, ch) for ch in t)
    out = unicodedata.normalize("NFKD", out)
    out = "".join(ch for ch in out if not unicodedata.combining(ch))
    for a, b in _LATIN_FOLDS:
        out = out.replace(a, b)
    out = _NON_WORD.sub("", out)
    return _DOUBLE.sub(r"\1", out)


def name_tokens(text: str) -> list[str]:
    return [t for t in (fold_token(w) for w in re.split(r"[\s,.;\-'’]+", text)) if t]


def search_key(text: str) -> str:
    """Order-free key: folded tokens, sorted, space-joined."""
    return " ".join(sorted(name_tokens(text)))


_LOOKALIKE = str.maketrans(
    {
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "0",
        "O": "0",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "У": "Y",
        "Х": "X",
        "І": "1",
        "I": "1",
        "Ё": "E",
    }
)


def identifier_key(value: str) -> str:
    """Key for document numbers, plates and phones: upper case, look-alikes folded, no spaces."""
    up = value.upper().translate(_LOOKALIKE)
    return "".join(ch for ch in up if ch.isalnum())
