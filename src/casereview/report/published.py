"""What a report publishes: tables of text (protected counts and safe rates) grouped in sections.

Every value in a `PublishedTable` has passed disclosure control: counts come from a
`ProtectedTable`, rates from `safe_rate` on counts whose denominators are published. The same
rows are written as CSV and rendered as HTML, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from casereview.report.disclosure import SUPPRESSED_MARK, ProtectedTable

__all__ = ["PublishedTable", "Section", "from_margin", "from_protected", "percent_text"]


@dataclass(frozen=True)
class PublishedTable:
    """One table as it leaves the system: header row first, `[c]` where withheld."""

    name: str
    title: str
    description: str
    rows: list[list[str]]
    protected: ProtectedTable | None = None  # the protected counts behind it, if any
    values: list[tuple[str, int | None]] = field(default_factory=list)  # for charts

    @property
    def header(self) -> list[str]:
        return self.rows[0]

    @property
    def body(self) -> list[list[str]]:
        return self.rows[1:]


@dataclass
class Section:
    """A section of the report: an anchor id, a title, text, tables and charts."""

    id: str
    title: str
    intro: str
    tables: list[PublishedTable] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # chart names, drawn by `charts`
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, published value)


def from_protected(protected: ProtectedTable, *, description: str = "") -> PublishedTable:
    """A protected count table as published (with its first column as chart values)."""
    table = protected.table
    if protected.withheld:
        rows = [[table.row_label, "note"], ["(all)", "withheld: too few to publish safely"]]
        values: list[tuple[str, int | None]] = []
    else:
        rows = protected.as_rows()
        values = protected.column(0) if len(table.cols) == 1 else protected.row_margin()
    return PublishedTable(
        name=table.name,
        title=table.title,
        description=description or table.description,
        rows=rows,
        protected=protected,
        values=values,
    )


def from_margin(
    protected: ProtectedTable,
    *,
    axis: str,
    name: str,
    title: str,
    label: str,
    column: str,
    description: str,
) -> PublishedTable:
    """A margin of a protected table published as a one-way table (the same numbers)."""
    margin = protected.row_margin() if axis == "rows" else protected.col_margin()
    if protected.withheld:
        margin = [(lbl, None) for lbl, _ in margin]
    rows = [[label, column]] + [[lbl, _count_text(v)] for lbl, v in margin]
    if protected.table.has_grand:
        rows.append(["Total", _count_text(protected.grand)])
    return PublishedTable(name, title, description, rows, protected, margin)


def _count_text(value: int | None) -> str:
    return SUPPRESSED_MARK if value is None else str(value)


def percent_text(value: float | None) -> str:
    """A rate as published: one decimal place, or `[c]`."""
    return SUPPRESSED_MARK if value is None else f"{value:.1f}"


def table_of_text(
    name: str, title: str, description: str, header: Sequence[str], body: Sequence[Sequence[str]]
) -> PublishedTable:
    """A table of already-protected text values (rates, labels)."""
    return PublishedTable(name, title, description, [list(header), *(list(r) for r in body)])
