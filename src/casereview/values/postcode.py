"""Postcodes: UK postcodes in canonical form ("SW1A 1AA") and their districts ("SW1A"), and
postcodes of any country kept as written, cleaned of spaces and case ("2615", "1012AB").

A source that records only the district of an address ("SW14", the outward code) gives a
district, not a postcode: `normalise_postcode_or_district` keeps it as the district."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "normalise_any_postcode",
    "normalise_postcode",
    "normalise_postcode_or_district",
    "postcode_district",
]

_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})")
_DISTRICT = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_SPACE = re.compile(r"\s+")
# A postal code of any country, once spaces are removed and letters upper-cased: letters and
# digits with at most inner hyphens (US ZIP+4 "12345-6789", Polish "00-950"), 2 to 10 long.
_ANY = re.compile(r"[A-Z0-9](?:[A-Z0-9-]{0,8}[A-Z0-9])?")
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


@lru_cache(maxsize=65_536)
def normalise_postcode_or_district(text: str | None) -> str | None:
    """A UK postcode in canonical form, or a district written on its own ("sw14" -> "SW14");
    None for any other shape."""
    full = normalise_postcode(text)
    if full is not None or not text or len(text) > _MAX_POSTCODE_TEXT:
        return full
    compact = _SPACE.sub("", text).upper()
    return compact if _DISTRICT.fullmatch(compact) else None


@lru_cache(maxsize=65_536)
def normalise_any_postcode(text: str | None) -> str | None:
    """A postcode of any country: a UK-shaped one in its UK form ("E1 6AN"), any other kept
    as written without spaces, upper-case ("2615", "1012AB", "12345-6789"); None when it is
    not letters and digits (with inner hyphens), or shorter than 2 or longer than 10."""
    uk = normalise_postcode(text)
    if uk is not None or not text or len(text) > _MAX_POSTCODE_TEXT:
        return uk
    compact = _SPACE.sub("", text).upper()
    if len(compact) < 2 or "--" in compact or _ANY.fullmatch(compact) is None:
        return None
    return compact


def postcode_district(pc: str | None) -> str | None:
    """The outward code (district) of a postcode, or of a district written on its own."""
    full = normalise_postcode(pc)
    if full is not None:
        return full.split(" ")[0]
    if not pc or len(pc) > _MAX_POSTCODE_TEXT:
        return None
    compact = _SPACE.sub("", pc).upper()
    return compact if _DISTRICT.fullmatch(compact) else None
