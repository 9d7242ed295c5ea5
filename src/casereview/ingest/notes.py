"""Notes: what an import did to values that loaded (an unknown code given its table's default,
an unreadable borough, a date of birth in the future, ...), counted for the reconciliation
line and `imports.notes`, and listed with examples by `casereview mapping check`.

A compiled field adds a note each time it meets such a value. The per-field memos of cleaned
values never keep an answer that added a note (they compare `total` before and after), so a
note is counted on every row that has it, not only the first time its text is seen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from casereview.model.codes import IngestNote

__all__ = ["Example", "Notes", "by_note"]

_EXAMPLES = 5  # examples kept per (note, field) when detailed


@dataclass(frozen=True)
class Example:
    row: int
    value: str
    message: str


@dataclass
class Notes:
    """Counts of (note, field); with `detail`, the first examples (with the row number the
    caller set in `row`) and every value noted, with its count."""

    detail: bool = False
    row: int = 0
    total: int = 0
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[Example]] = field(default_factory=dict)
    values: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(self, note: IngestNote, field_name: str, value: str, message: str = "") -> None:
        self.total += 1
        key = (note.value, field_name)
        self.counts[key] += 1
        if self.detail:
            self.values[(note.value, field_name, value)] += 1
            kept = self.examples.setdefault(key, [])
            if len(kept) < _EXAMPLES:
                kept.append(Example(self.row, value, message))

    def take(self) -> Counter[tuple[str, str]]:
        """The counts so far, which are then forgotten (a chunk's notes travel with it)."""
        counts, self.counts = self.counts, Counter()
        return counts


def by_note(counts: Counter[tuple[str, str]]) -> dict[str, int]:
    """(note, field) counts -> note -> count, in code-set order (for imports.notes)."""
    totals: Counter[str] = Counter()
    for (note, _), n in counts.items():
        totals[note] += n
    return {n.value: totals[n.value] for n in IngestNote if totals[n.value]}
