"""Person identifiers issued by an agency (PNC ID, CRO number, NHS number, a local
authority's person id, ...) in a compact comparable form: upper-case, no spaces."""

from __future__ import annotations

import re

__all__ = ["STRONG_KEY", "normalise_identifier"]

# The key under which a mention's identifiers (a JSON object, scheme -> value) list the
# schemes its mapping declares strong (`strong_identifiers`); no scheme can take it, since
# schemes start with a letter. Written by ingest, read by linkage.
STRONG_KEY = "_strong"

_SPACE = re.compile(r"\s+")
_MAX_IDENTIFIER_TEXT = 64


def normalise_identifier(text: str | None) -> str | None:
    """`text` upper-case with every space removed, other characters kept ("943 476 5919" ->
    "9434765919", "12/345678a" -> "12/345678A"); None when empty or longer than 64."""
    if not text:
        return None
    compact = _SPACE.sub("", text).upper()
    if not compact or len(compact) > _MAX_IDENTIFIER_TEXT:
        return None
    return compact
