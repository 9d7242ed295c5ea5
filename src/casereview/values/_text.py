"""Shared text helpers for the normalisers: folding Unicode to plain ASCII."""

from __future__ import annotations

import unicodedata

from anyascii import anyascii

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
    """`text` in plain ASCII: decomposed (NFKD) with accents removed, and what is still not
    ASCII (other scripts: Cyrillic, Greek, Arabic, Bengali) transliterated by anyascii
    rather than dropped ("Мухаммед" -> "Mukhammed")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLDS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare if bare.isascii() else anyascii(bare)
