"""UK postcodes in canonical form ("SW1A 1AA") and their districts ("SW1A")."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["normalise_postcode", "postcode_district"]

_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})")
_DISTRICT = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_SPACE = re.compile(r"\s+")
_MAX_POSTCODE_TEXT = 16


@lru_cache(maxsize=262_144)
def normalise_postcode(text: str | None) -> str | None:
    """A UK postcode, upper-case with one space before the inward code; None for any other
    shape (the shape is checked, not whether the postcode exists)."""
    if not text or len(text) > _MAX_POSTCODE_TEXT:
        return None
    compact = _SPACE.sub("", text).upper()
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = _POSTCODE.fullmatch(compact)
    if match is None:
        return None
    return f"{match.group(1)} {match.group(2)}"


def postcode_district(pc: str | None) -> str | None:
    """The outward code (district) of a postcode, or of a district written on its own."""
    full = normalise_postcode(pc)
    if full is not None:
        return full.split(" ")[0]
    if not pc or len(pc) > _MAX_POSTCODE_TEXT:
        return None
    compact = _SPACE.sub("", pc).upper()
    return compact if _DISTRICT.fullmatch(compact) else None
