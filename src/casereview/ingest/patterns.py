"""Mapping patterns, run by RE2: time linear in the text whatever the pattern, so that no
pattern (`^(a+)+$` and the like) can stall an ingest inside its transaction.

Semantics (docs/mapping.md, "Patterns"): a pattern is *searched* in the value's text (the
first, leftmost match anywhere; anchor it with `^` and `$`, or `\\A` and `\\z`, to match the
whole text); it is case-sensitive unless it starts with `(?i)`; `.` does not match a line
break unless `(?s)`; `^` and `$` match at the start and end of the text unless `(?m)`. The
value is the named group `value` when the pattern has one, else the first group, else the
whole match. RE2 has no look-around and no back-references: a mapping using them is refused
with RE2's reason. With `matches: all` every non-overlapping match gives an item, and named
groups (`address`, `postcode` of a place) take several parts from each match.

The RE2 object is used through its low-level `Match` (byte offsets of UTF-8 text): the
module-level wrapper of google-re2 maps every offset back to characters, which costs more
than the match itself.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Found", "Pattern", "PatternError"]


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message says why."""


class Found(NamedTuple):
    """One match: its named groups' texts (None when a group took no part), where it is in
    the text (characters), and the text it matched."""

    value: str | None
    groups: dict[str, str | None]
    start: int
    end: int
    text: str


class Pattern:
    """A compiled mapping pattern (see the module for its semantics)."""

    __slots__ = ("_anchor", "_re", "names", "source", "value_group")

    def __init__(self, source: str) -> None:
        import re2  # deferred: only mappings with patterns pay for it

        options = re2.Options()
        options.log_errors = False  # RE2 would print every refused pattern to stderr
        try:
            compiled = re2.compile(source, options)
        except re2.error as e:
            reason = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
            raise PatternError(
                f"pattern {source!r} cannot be used: {reason} (patterns run on RE2: no "
                "look-around or back-references; write \\z for the end of the text)"
            ) from e
        self.source = source
        self._re: Any = compiled._regexp  # the RE2 object itself
        self._anchor = re2._Anchor.UNANCHORED
        self.names: dict[str, int] = dict(compiled.groupindex)
        groups = int(compiled.groups)
        self.value_group = self.names.get("value", 1 if groups else 0)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return Pattern, (self.source,)

    def first(self, text: str) -> str | None:
        """The value of the first match (stripped), or None when nothing matches."""
        data = text.encode("utf-8")
        spans = self._re.Match(self._anchor, data, 0, len(data))
        start, end = spans[self.value_group]
        if start < 0:
            return None
        return data[start:end].decode("utf-8").strip() or None

    def all(self, text: str) -> list[Found]:
        """Every non-overlapping match, left to right."""
        data = text.encode("utf-8")
        out: list[Found] = []
        pos, end = 0, len(data)
        while pos <= end:
            spans = self._re.Match(self._anchor, data, pos, end)
            whole = spans[0]
            if whole[0] < 0:
                break
            groups = {
                name: (data[s:e].decode("utf-8").strip() or None) if s >= 0 else None
                for name, (s, e) in ((n, spans[i]) for n, i in self.names.items())
            }
            vs, ve = spans[self.value_group]
            value = (data[vs:ve].decode("utf-8").strip() or None) if vs >= 0 else None
            start = len(data[: whole[0]].decode("utf-8"))
            matched = data[whole[0] : whole[1]].decode("utf-8")
            out.append(Found(value, groups, start, start + len(matched), matched))
            if whole[1] == pos:  # an empty match: step over one character
                pos += 1
                while pos < end and (data[pos] & 0xC0) == 0x80:
                    pos += 1
            else:
                pos = whole[1]
        return out
