"""What readers yield: a row (column -> value), a row whose values had control characters
removed (`NotedRow`), or a `Malformed` marker for a row that cannot be used."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from casereview.model.codes import QuarantineReason

__all__ = [
    "CONTROL_TEXT",
    "SURROGATE",
    "Malformed",
    "NotedRow",
    "Row",
    "escaped",
    "noted_row",
    "text_of",
]

# C0 control characters other than tab, line feed and carriage return, and DEL.
CONTROL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Bytes that were not text in the file's encoding, read with errors="surrogateescape".
SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class Malformed:
    """A row the reader could not use: quarantined with `reason` and `message`, the text as
    read kept in `raw`."""

    message: str
    raw: str
    reason: QuarantineReason = QuarantineReason.MALFORMED_ROW


class NotedRow(dict[str, Any]):
    """A row whose values had control characters (NUL and the like) removed. `raw` is the
    canonical JSON of the row as read (the characters kept, escaped); `notes` lists
    (column, message) for each value cleaned."""

    __slots__ = ("notes", "raw")

    raw: str
    notes: list[tuple[str, str]]


def _clean(value: Any, path: str, notes: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        found = CONTROL_TEXT.findall(value)
        if not found:
            return value
        codes = ", ".join(sorted({f"U+{ord(c):04X}" for c in found}))
        notes.append((path, f"{len(found)} control character(s) removed ({codes})"))
        return CONTROL_TEXT.sub("", value)
    if isinstance(value, dict):
        return {k: _clean(v, f"{path}.{k}" if path else str(k), notes) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, f"{path}[{i}]", notes) for i, v in enumerate(value)]
    return value


def noted_row(row: dict[str, Any]) -> dict[str, Any]:
    """`row` itself when no value holds a control character, else a `NotedRow` of its
    values without them."""
    notes: list[tuple[str, str]] = []
    cleaned = _clean(row, "", notes)
    if not notes:
        return row
    out = NotedRow(cleaned)
    # As fields.dumps writes a row (canonical JSON): the record's raw keeps what was read.
    out.raw = json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    out.notes = notes
    return out


Row = dict[str, Any] | Malformed


def escaped(text: str) -> str:
    """Text with undecodable bytes (surrogate escapes) written as \\xNN."""
    return SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02X}", text)


def text_of(row: Row) -> str:
    """The raw text of a row, for quarantine: JSON of the row as read (control characters
    escaped), or the text of a malformed row."""
    if isinstance(row, Malformed):
        return row.raw
    if isinstance(row, NotedRow):
        return row.raw
    return json.dumps(row, ensure_ascii=False, default=str)
