"""UK vehicle registration marks (VRMs) in compact upper-case form ("AB12CDE")."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["normalise_vrm"]

# Current (2001-), prefix (1983-2001), suffix (1963-1983) and dateless formats.
_VRM = re.compile(
    r"[A-Z]{2}[0-9]{2}[A-Z]{3}"
    r"|[A-Z][0-9]{1,3}[A-Z]{3}"
    r"|[A-Z]{3}[0-9]{1,3}[A-Z]"
    r"|[A-Z]{1,3}[0-9]{1,4}"
    r"|[0-9]{1,4}[A-Z]{1,3}"
)
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_MAX_VRM_TEXT = 32


@lru_cache(maxsize=131_072)
def normalise_vrm(text: str | None) -> str | None:
    """A VRM upper-case without spaces or punctuation ("ab12 cde" -> "AB12CDE"); None when it
    does not have the letters-and-digits shape of a UK registration."""
    if not text or len(text) > _MAX_VRM_TEXT:
        return None
    compact = _NOT_ALNUM.sub("", text.upper())
    return compact if _VRM.fullmatch(compact) else None
