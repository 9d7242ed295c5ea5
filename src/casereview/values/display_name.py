"""A person's display name: the name they are most often written with across their mentions.

One rule for the link stage (which names every person it makes) and for retention (which
names a person again from the mentions it keeps): forenames and surname as written, else the
name as written in one field; title case; the most frequent, ties to the first in sort
order (never to row order, so the same mentions give the same name on every run).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from casereview.values.missing import is_missing

__all__ = ["MAX_DISPLAY_NAME", "display_name", "written_name"]

MAX_DISPLAY_NAME = 400  # the column's length


def written_name(forenames: Any, surname: Any, raw: Any) -> str | None:
    """One mention's name: "Forenames Surname" (title case), else its name as written."""
    parts = [str(v).strip() for v in (forenames, surname) if not is_missing(v)]
    name = " ".join(p for p in parts if p)
    if not name and not is_missing(raw):
        name = str(raw).strip()
    return name.title() if name else None


def display_name(names: Iterable[tuple[Any, Any, Any]]) -> str | None:
    """The most frequent `written_name` of (forenames, surname, name as written) triples."""
    counts = Counter(n for n in (written_name(*t) for t in names) if n)
    if not counts:
        return None
    best = min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
    return best[:MAX_DISPLAY_NAME]
