"""Shared text helpers for the normalisers: folding Unicode to plain ASCII."""

from __future__ import annotations

import unicodedata

__all__ = ["fold_ascii"]

# Letters that NFKD does not decompose into ASCII but that appear in names and addresses.
_EXTRA_FOLDS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
        "’": "'",
        "‘": "'",
        "`": "'",
        "‐": "-",
        "‑": "-",
        "–": "-",
        "—": "-",
    }
)


def fold_ascii(text: str) -> str:
    """`text` decomposed (NFKD) with accents and every other non-ASCII character removed."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLDS))
    return decomposed.encode("ascii", "ignore").decode("ascii")
