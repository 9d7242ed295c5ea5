"""Statistical disclosure control for every table that leaves the system.

The rules follow ONS practice for tables of counts about people:

- *Perturbation* (report stage, `cellkey`): before anything else every count, cells and totals
  alike, may be perturbed by the cell-key method, so that the same cell is published alike in
  every release and differencing two releases recovers nothing. `protect` then decides on the
  perturbed counts what is withheld and publishes them rounded; its audit (below) still works
  on the true counts, so its guarantee holds against a reader who knew them.
- *Primary suppression*: a count from 1 to `suppress_below - 1` is withheld (published as
  `[c]`). True zeros are shown as 0: a count of records in a year and borough being zero says
  nothing about any child, and hiding zeros would only make the other cells easier to bound.
  Zeros are never used as complements either, so an attacker may assume a `[c]` cell is >= 1.
- *Rounding*: every published count (cells and totals) is rounded to the nearest multiple of
  `round_to`. Totals are rounded from the true totals, never summed from rounded cells.
- *Secondary suppression*: in each additive relation (a row with its row total, a column with
  its column total, the margins with the grand total) a single withheld member would be given
  away by subtraction, so the smallest positive published member is withheld too; this repeats
  until no relation has exactly one withheld member.
- *Audit*: for every withheld cell the interval of values consistent with everything the table
  publishes is computed exactly (a bounded flow problem; `cell_bounds`), conservatively assuming
  the attacker knows the *unrounded* values of all published cells. While an interval is
  narrower than `suppress_below`, another complement is withheld. So rounding only ever adds
  protection on top of what the audit guarantees.
- *Shared totals*: a total published by several tables (all records, all groups) is *pinned*:
  it is never chosen as a complement, so it is published identically everywhere. Views of a
  table's margins (e.g. records by year from records by year and borough) are published from the
  same protected table, never protected on their own. A table whose pinned total is itself
  below the threshold, or that cannot be protected, is withheld as a whole.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from casereview.settings import ReportSettings

__all__ = [
    "SUPPRESSED_MARK",
    "CountTable",
    "DisclosureRule",
    "DisclosureSummary",
    "Item",
    "ProtectedTable",
    "cell_bounds",
    "protect",
    "safe_rate",
]

SUPPRESSED_MARK = "[c]"  # ONS marker for a value withheld to protect confidentiality
UNBOUNDED = 10**12

# An item of a table: ("c", row, col) a cell, ("r", row, -1) a row total,
# ("k", -1, col) a column total, ("g", -1, -1) the grand total.
Item = tuple[str, int, int]
GRAND: Item = ("g", -1, -1)


@dataclass(frozen=True)
class DisclosureRule:
    """The two numbers of the disclosure policy (from `ReportSettings`)."""

    suppress_below: int = 10
    round_to: int = 5

    @classmethod
    def from_settings(cls, settings: ReportSettings) -> DisclosureRule:
        return cls(suppress_below=settings.suppress_below, round_to=settings.round_to)

    def is_primary(self, value: int) -> bool:
        """True for a count that may not be published at all (1 to threshold - 1)."""
        return 0 < value < self.suppress_below

    def round(self, value: int) -> int:
        """`value` rounded half up to the nearest multiple of `round_to`."""
        base = max(1, self.round_to)
        return ((value + base // 2) // base) * base


@dataclass(frozen=True)
class CountTable:
    """True (unprotected) counts: rows x columns, with the margins that are meaningful.

    A margin is published only where it is additive: `row_totals` when every unit counted in a
    row falls in exactly one column, `col_totals` likewise. The grand total is published when
    both are. A one-way table is a single column with `col_totals=True` (its total) or False
    (categories that overlap, e.g. a record carrying several typologies).
    """

    name: str
    title: str
    row_label: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    row_totals: bool = False
    col_totals: bool = True
    shared_total: str | None = None  # name of a total other tables publish too (pinned)
    description: str = ""

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.rows) or any(len(r) != len(self.cols) for r in self.counts):
            raise ValueError(f"table {self.name}: counts do not match its rows and columns")
        if any(v < 0 for r in self.counts for v in r):
            raise ValueError(f"table {self.name}: negative count")
        if self.shared_total is not None and self.total_item is None:
            raise ValueError(f"table {self.name}: a shared total needs a single total")

    @property
    def total_item(self) -> Item | None:
        """The item holding the table's overall total, when it publishes one."""
        if self.has_grand:
            return GRAND
        if self.col_totals and len(self.cols) == 1:
            return ("k", -1, 0)
        if self.row_totals and len(self.rows) == 1:
            return ("r", 0, -1)
        return None

    @property
    def pinned(self) -> frozenset[Item]:
        """Items never chosen as complements: the shared total, published alike everywhere."""
        item = self.total_item
        return frozenset({item}) if (self.shared_total and item is not None) else frozenset()

    @classmethod
    def one_way(
        cls,
        name: str,
        title: str,
        row_label: str,
        counts: Sequence[tuple[str, int]],
        *,
        column: str = "count",
        total: bool = True,
        shared_total: str | None = None,
        description: str = "",
    ) -> CountTable:
        """A one-way table of (category, count) pairs."""
        return cls(
            name=name,
            title=title,
            row_label=row_label,
            rows=tuple(label for label, _ in counts),
            cols=(column,),
            counts=tuple((int(n),) for _, n in counts),
            col_totals=total,
            shared_total=shared_total,
            description=description,
        )

    @property
    def has_grand(self) -> bool:
        return self.row_totals and self.col_totals

    def items(self) -> list[Item]:
        """Every publishable item: cells, then row totals, column totals, grand total."""
        out: list[Item] = [
            ("c", i, j) for i in range(len(self.rows)) for j in range(len(self.cols))
        ]
        if self.row_totals:
            out += [("r", i, -1) for i in range(len(self.rows))]
        if self.col_totals:
            out += [("k", -1, j) for j in range(len(self.cols))]
        if self.has_grand:
            out.append(GRAND)
        return out

    def value(self, item: Item) -> int:
        """The true value of an item."""
        kind, i, j = item
        if kind == "c":
            return self.counts[i][j]
        if kind == "r":
            return sum(self.counts[i])
        if kind == "k":
            return sum(row[j] for row in self.counts)
        return sum(sum(row) for row in self.counts)

    def relations(self) -> list[tuple[Item, list[Item]]]:
        """Additive relations (total, members) that an attacker can difference."""
        out: list[tuple[Item, list[Item]]] = []
        n_rows, n_cols = len(self.rows), len(self.cols)
        if self.row_totals:
            for i in range(n_rows):
                out.append((("r", i, -1), [("c", i, j) for j in range(n_cols)]))
        if self.col_totals:
            for j in range(n_cols):
                out.append((("k", -1, j), [("c", i, j) for i in range(n_rows)]))
        if self.has_grand:
            out.append((GRAND, [("r", i, -1) for i in range(n_rows)]))
            out.append((GRAND, [("k", -1, j) for j in range(n_cols)]))
        return out


@dataclass(frozen=True)
class ProtectedTable:
    """A table as published: rounded values, `None` where withheld."""

    table: CountTable
    rule: DisclosureRule
    published: dict[Item, int | None]
    primary: frozenset[Item]
    secondary: frozenset[Item]
    withheld: bool = False
    perturbation: int = 0  # the largest perturbation the published ptable allows (0: none)

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def suppressed(self) -> frozenset[Item]:
        return self.primary | self.secondary

    def cell(self, i: int, j: int) -> int | None:
        return self.published[("c", i, j)]

    def row_total(self, i: int) -> int | None:
        return self.published.get(("r", i, -1))

    def col_total(self, j: int) -> int | None:
        return self.published.get(("k", -1, j))

    @property
    def grand(self) -> int | None:
        return self.published.get(GRAND)

    def row_margin(self) -> list[tuple[str, int | None]]:
        """(row label, published row total): a view published from this protected table."""
        return [(label, self.row_total(i)) for i, label in enumerate(self.table.rows)]

    def col_margin(self) -> list[tuple[str, int | None]]:
        """(column label, published column total)."""
        return [(label, self.col_total(j)) for j, label in enumerate(self.table.cols)]

    def column(self, j: int = 0) -> list[tuple[str, int | None]]:
        """(row label, published cell) down one column (the values of a one-way table)."""
        return [(label, self.cell(i, j)) for i, label in enumerate(self.table.rows)]

    def as_rows(self) -> list[list[str]]:
        """The table as CSV/HTML rows of text: header, body, totals; `[c]` where withheld."""
        t = self.table
        header = [t.row_label, *t.cols] + (["Total"] if t.row_totals else [])
        rows = [header]
        for i, label in enumerate(t.rows):
            line = [label, *(_text(self.cell(i, j)) for j in range(len(t.cols)))]
            if t.row_totals:
                line.append(_text(self.row_total(i)))
            rows.append(line)
        if t.col_totals:
            line = ["Total", *(_text(self.col_total(j)) for j in range(len(t.cols)))]
            if t.has_grand:
                line.append(_text(self.grand))
            rows.append(line)
        return rows


def _text(value: int | None) -> str:
    return SUPPRESSED_MARK if value is None else str(value)


def safe_rate(
    numerator: int, denominator: int, rule: DisclosureRule, *, scale: float = 100.0
) -> float | None:
    """`numerator / denominator * scale` from unrounded counts, or None where it would disclose.

    Published only when the denominator passes the threshold and neither the numerator nor the
    rest of the denominator is a small count (a rate and a published denominator would
    otherwise give the small count back).
    """
    if denominator < rule.suppress_below or denominator <= 0:
        return None
    if rule.is_primary(numerator) or rule.is_primary(denominator - numerator):
        return None
    return numerator / denominator * scale


# --------------------------------------------------------------------------- protection


def protect(
    table: CountTable,
    rule: DisclosureRule,
    perturbed: Mapping[Item, int] | None = None,
    *,
    perturbation: int = 0,
) -> ProtectedTable:
    """Apply primary suppression, secondary suppression to a protected fixed point, rounding.

    With `perturbed` (every item's perturbed count, zero exactly where the true count is zero,
    perturbed by at most `perturbation`), primary suppression and rounding apply to the
    perturbed counts; secondary suppression and the audit still reason on the true counts.
    """
    items = table.items()
    values = {item: table.value(item) for item in items}
    shown = dict(perturbed) if perturbed is not None else values
    if any((shown[i] == 0) != (values[i] == 0) for i in items):
        raise ValueError(f"table {table.name}: a perturbation may not make or hide a zero")
    primary = {item for item in items if rule.is_primary(shown[item])}
    if primary & table.pinned:
        return _withheld(table, rule, values, primary, perturbation)
    suppressed = set(primary)
    relations = table.relations()
    while True:
        _close_relations(suppressed, relations, values, table.pinned)
        weak = _first_weak_item(table, values, suppressed, rule)
        if weak is None:
            break
        complement = _complement_for(weak, relations, values, suppressed, table.pinned)
        if complement is None:
            return _withheld(table, rule, values, primary, perturbation)
        suppressed.add(complement)
    published = {item: (None if item in suppressed else rule.round(shown[item])) for item in items}
    return ProtectedTable(
        table=table,
        rule=rule,
        published=published,
        primary=frozenset(primary),
        secondary=frozenset(suppressed - primary),
        perturbation=perturbation,
    )


def _withheld(
    table: CountTable,
    rule: DisclosureRule,
    values: dict[Item, int],
    primary: set[Item],
    perturbation: int = 0,
) -> ProtectedTable:
    """Nothing of the table is published (zeros included: they would bound the rest)."""
    published: dict[Item, int | None] = dict.fromkeys(values)
    positive = {item for item, v in values.items() if v > 0}
    return ProtectedTable(
        table=table,
        rule=rule,
        published=published,
        primary=frozenset(primary),
        secondary=frozenset(positive - primary),
        withheld=True,
        perturbation=perturbation,
    )


def _candidates(
    members: Iterable[Item], values: dict[Item, int], suppressed: set[Item], pinned: frozenset[Item]
) -> list[Item]:
    """Members that may become complements: published, positive, not pinned; smallest first."""
    found = [m for m in members if m not in suppressed and m not in pinned and values[m] > 0]
    # Prefer interior cells to totals at equal value, then a stable order.
    return sorted(found, key=lambda m: (values[m], m[0] != "c", m))


def _close_relations(
    suppressed: set[Item],
    relations: list[tuple[Item, list[Item]]],
    values: dict[Item, int],
    pinned: frozenset[Item],
) -> None:
    """Withhold complements until no relation has exactly one withheld member.

    Among the candidates of an open relation, one that also closes another open relation is
    preferred (the classic rectangle of four cells), then the smallest.
    """
    while True:
        open_groups = [
            [total, *members]
            for total, members in relations
            if sum(1 for m in (total, *members) if m in suppressed) == 1
        ]
        if not open_groups:
            return
        chosen: Item | None = None
        for group in open_groups:
            members, total = group[1:], group[0]
            options = _candidates(members, values, suppressed, pinned) or _candidates(
                [total], values, suppressed, pinned
            )
            if options:
                closes = {m: sum(1 for g in open_groups if m in g) for m in options}
                chosen = min(options, key=lambda m: (-closes[m], values[m], m[0] != "c", m))
                break
        if chosen is None:
            return  # no candidate anywhere: the audit decides whether the table is safe
        suppressed.add(chosen)


def _first_weak_item(
    table: CountTable, values: dict[Item, int], suppressed: set[Item], rule: DisclosureRule
) -> Item | None:
    """The first withheld item whose feasible interval is narrower than the threshold."""
    # One feasible circulation serves every withheld item of this state (it depends on the
    # table and what is withheld, not on the item asked about).
    network = _network(table, values, suppressed)
    for item in sorted(suppressed):
        low, high = _bounds(network, item)
        if high - low < rule.suppress_below:
            return item
    return None


def _complement_for(
    item: Item,
    relations: list[tuple[Item, list[Item]]],
    values: dict[Item, int],
    suppressed: set[Item],
    pinned: frozenset[Item],
) -> Item | None:
    """The next complement for a weak item: smallest candidate in its relations, else anywhere."""
    near: list[Item] = []
    for total, members in relations:
        group = [total, *members]
        if item in group:
            near += group
    options = _candidates(near, values, suppressed, pinned)
    if not options:
        options = _candidates(values, values, suppressed, pinned)
    return options[0] if options else None


# --------------------------------------------------------------------------- exact bounds


def cell_bounds(
    table: CountTable, values: dict[Item, int], suppressed: set[Item] | frozenset[Item], item: Item
) -> tuple[int, int]:
    """(lowest, highest) value of `item` consistent with the table published exactly.

    Published items are fixed at their true values (the conservative attacker), withheld items
    are >= 1 and unbounded above, unpublished margins are free. The table is a flow network
    (source -> row -> column -> sink, sink -> source), so the exact integer bounds are found by
    a feasible circulation and two maximum flows. `UNBOUNDED` stands for no upper bound.
    """
    return _bounds(_network(table, values, suppressed), item)


@dataclass(frozen=True)
class _Network:
    """A table as a flow network with one feasible circulation (`cell_bounds`)."""

    nodes: int
    arcs: list[tuple[int, int, int, int]]
    index: dict[Item, int]
    flows: list[int]


def _network(
    table: CountTable, values: dict[Item, int], suppressed: set[Item] | frozenset[Item]
) -> _Network:
    """The table's flow network (source -> row -> column -> sink, sink -> source) and a
    feasible circulation of it."""
    n_rows, n_cols = len(table.rows), len(table.cols)
    source, sink = n_rows + n_cols, n_rows + n_cols + 1

    def box(it: Item, published: bool) -> tuple[int, int]:
        if not published:
            return 0, UNBOUNDED
        if it in suppressed:
            return 1, UNBOUNDED
        return values[it], values[it]

    arcs: list[tuple[int, int, int, int]] = []
    index: dict[Item, int] = {}
    for i in range(n_rows):
        index[("r", i, -1)] = len(arcs)
        arcs.append((source, i, *box(("r", i, -1), table.row_totals)))
    for i in range(n_rows):
        for j in range(n_cols):
            index[("c", i, j)] = len(arcs)
            arcs.append((i, n_rows + j, *box(("c", i, j), True)))
    for j in range(n_cols):
        index[("k", -1, j)] = len(arcs)
        arcs.append((n_rows + j, sink, *box(("k", -1, j), table.col_totals)))
    index[GRAND] = len(arcs)
    arcs.append((sink, source, *box(GRAND, table.has_grand)))
    return _Network(sink + 1, arcs, index, _feasible_circulation(sink + 1, arcs))


def _bounds(network: _Network, item: Item) -> tuple[int, int]:
    """(lowest, highest) value of `item` in the network: two maximum flows around its
    circulation."""
    arcs, flows, nodes = network.arcs, network.flows, network.nodes
    target = network.index[item]
    u, v, low, high = arcs[target]
    up = min(high - flows[target], _residual_flow(nodes, arcs, flows, target, v, u))
    down = min(flows[target] - low, _residual_flow(nodes, arcs, flows, target, u, v))
    top = UNBOUNDED if flows[target] + up >= UNBOUNDED // 2 else flows[target] + up
    return flows[target] - down, top


class _FlowGraph:
    """A small residual graph for Edmonds-Karp maximum flow (edges e and e ^ 1 are a pair)."""

    def __init__(self, nodes: int) -> None:
        self.adj: list[list[int]] = [[] for _ in range(nodes)]
        self.head: list[int] = []
        self.cap: list[int] = []

    def add(self, u: int, v: int, cap: int) -> int:
        self.adj[u].append(len(self.head))
        self.head.append(v)
        self.cap.append(cap)
        self.adj[v].append(len(self.head))
        self.head.append(u)
        self.cap.append(0)
        return len(self.head) - 2

    def max_flow(self, s: int, t: int) -> int:
        total = 0
        while True:
            parent: list[int] = [-1] * len(self.adj)
            parent[s] = -2
            queue = deque([s])
            while queue and parent[t] == -1:
                u = queue.popleft()
                for e in self.adj[u]:
                    v = self.head[e]
                    if self.cap[e] > 0 and parent[v] == -1:
                        parent[v] = e
                        queue.append(v)
            if parent[t] == -1:
                return total
            push, v = UNBOUNDED, t
            while v != s:
                e = parent[v]
                push = min(push, self.cap[e])
                v = self.head[e ^ 1]
            v = t
            while v != s:
                e = parent[v]
                self.cap[e] -= push
                self.cap[e ^ 1] += push
                v = self.head[e ^ 1]
            total += push
            if total >= UNBOUNDED:
                return UNBOUNDED


def _feasible_circulation(nodes: int, arcs: list[tuple[int, int, int, int]]) -> list[int]:
    """A circulation within every arc's [low, high] (the true table is one, so one exists)."""
    graph = _FlowGraph(nodes + 2)
    s_star, t_star = nodes, nodes + 1
    excess = [0] * nodes
    edges = []
    for u, v, low, high in arcs:
        edges.append(graph.add(u, v, high - low))
        excess[v] += low
        excess[u] -= low
    need = 0
    for node, amount in enumerate(excess):
        if amount > 0:
            graph.add(s_star, node, amount)
            need += amount
        elif amount < 0:
            graph.add(node, t_star, -amount)
    if graph.max_flow(s_star, t_star) != need:
        raise ValueError("the published table has no consistent completion")
    return [low + graph.cap[e ^ 1] for e, (_, _, low, _) in zip(edges, arcs, strict=True)]


def _residual_flow(
    nodes: int,
    arcs: list[tuple[int, int, int, int]],
    flows: list[int],
    skip: int,
    s: int,
    t: int,
) -> int:
    """Maximum extra flow from s to t around the circulation, not using arc `skip`."""
    graph = _FlowGraph(nodes)
    for a, ((u, v, low, high), flow) in enumerate(zip(arcs, flows, strict=True)):
        if a == skip:
            continue
        if high - flow > 0:
            graph.add(u, v, high - flow)
        if flow - low > 0:
            graph.add(v, u, flow - low)
    return graph.max_flow(s, t)


@dataclass
class DisclosureSummary:
    """Counts of what disclosure control did across a publication (for the audit entry)."""

    tables: int = 0
    cells: int = 0
    primary: int = 0
    secondary: int = 0
    withheld_tables: list[str] = field(default_factory=list)

    def add(self, table: ProtectedTable) -> None:
        self.tables += 1
        self.cells += len(table.published)
        self.primary += len(table.primary)
        self.secondary += len(table.secondary)
        if table.withheld:
            self.withheld_tables.append(table.name)
