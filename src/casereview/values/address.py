"""Free-text addresses folded for comparison: lower-case, no punctuation, abbreviations expanded."""

from __future__ import annotations

import re
from functools import lru_cache

from casereview.values._text import fold_ascii

__all__ = ["normalise_address"]

# Street-type and unit abbreviations as they appear in UK police and council systems.
_ABBREVIATIONS: dict[str, str] = {
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "avn": "avenue",
    "ln": "lane",
    "cl": "close",
    "ct": "court",
    "crt": "court",
    "cres": "crescent",
    "cresc": "crescent",
    "dr": "drive",
    "gdns": "gardens",
    "gdn": "garden",
    "gr": "grove",
    "gro": "grove",
    "pl": "place",
    "sq": "square",
    "ter": "terrace",
    "terr": "terrace",
    "tce": "terrace",
    "pk": "park",
    "pde": "parade",
    "hse": "house",
    "est": "estate",
    "bldg": "building",
    "blvd": "boulevard",
    "mkt": "market",
    "hwy": "highway",
    "flt": "flat",
    "fl": "flat",
    "apt": "flat",
    "apartment": "flat",
    "appt": "flat",
    "no": "",
    "nr": "near",
}
_NOT_ADDRESS_CHAR = re.compile(r"[^a-z0-9,\s]")
_MAX_ADDRESS_TEXT = 1000


def _expand_segment(words: list[str]) -> list[str]:
    out: list[str] = []
    for i, word in enumerate(words):
        if word == "st":
            # "St" ends a street name ("High St") but starts a saint's name ("St Johns Road").
            out.append("street" if i == len(words) - 1 else "saint")
            continue
        expanded = _ABBREVIATIONS.get(word, word)
        if expanded:
            out.append(expanded)
    return out


@lru_cache(maxsize=131_072)
def normalise_address(text: str | None) -> str | None:
    """ "Flat 3, 12 Acacia Ave." -> "flat 3 12 acacia avenue"; None when nothing is left."""
    if not text or len(text) > _MAX_ADDRESS_TEXT:
        return None
    folded = fold_ascii(text).lower().replace("'", "").replace(".", " ")
    folded = _NOT_ADDRESS_CHAR.sub(" ", folded)
    words: list[str] = []
    for segment in folded.split(","):
        words.extend(_expand_segment(segment.split()))
    return " ".join(words) or None
