"""Canonical JSON: one serialisation for hashes, audit entries and JSON columns."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from enum import Enum
from typing import Any

__all__ = ["canonical_json", "content_hash", "from_json"]


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: equal values give equal text on every platform."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def from_json(text: str | None, default: Any = None) -> Any:
    """Parse a JSON column; `default` for NULL or empty text."""
    if text is None or text == "":
        return default
    return json.loads(text)


def content_hash(value: Any) -> str:
    """SHA-256 hex digest of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
