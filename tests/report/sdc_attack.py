"""An attacker on published tables: exact integer bounds for every withheld cell.

Independent of `casereview.report.disclosure`'s own audit (a flow computation): this one is a
mixed-integer program (scipy's HiGHS) over *all* published tables at once, using everything a
reader of the publication knows:

- a published count p is the rounding of the true count: p - floor(b/2) <= x <= p + ceil(b/2) - 1;
  a published positive count is also at least the threshold (smaller ones are withheld) and a
  published 0 whose rounding interval lies below the threshold is exactly 0;
- a withheld count is at least 1 (zeros are shown);
- each table's rows and columns add up to its totals;
- a total shared by several tables (same `shared_total` name) is one and the same number;
- where the report perturbs counts (cell-key method), the published ptable: a published count
  is the rounding of the true count plus a perturbation of at most `perturbation` either way,
  and zero only where the true count is zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from casereview.report.disclosure import Item, ProtectedTable

__all__ = ["attack"]

BIG = 10**7


def _interval(
    published: int | None, threshold: int, base: int, noise: int = 0
) -> tuple[float, float]:
    if published is None:
        return 1, BIG
    low, high = published - base // 2, published + (base + 1) // 2 - 1
    if base == 1:
        low = high = published
    if published == 0:
        return (0, 0) if high < threshold else (0, high + noise)
    # The perturbed count was at least the threshold; the true one is within `noise` of it.
    return max(max(low, threshold) - noise, 1 if noise else 0), high + noise


def attack(
    tables: Sequence[ProtectedTable],
    *,
    rounding_known: bool = True,
    later: Sequence[ProtectedTable] = (),
    change: Mapping[tuple[str, Item], int] | None = None,
    targets: Sequence[tuple[str, Item]] | None = None,
) -> dict[tuple[str, Item], tuple[float, float]]:
    """(table, item) -> (lowest, highest) feasible true value, for every withheld item.

    With `rounding_known=False` the attacker is given the *true* values of published items
    (stronger than any real reader). With `later`, a second release of the same tables, and
    `change`, how much each true value grew between the two (the attacker is told exactly
    where the new records fall), the bounds are on the first release's true values and use
    both releases; `targets` names items to bound whether or not they were withheld.
    """
    # One variable per published item; a shared total is one variable in every table.
    index: dict[tuple[str, Item], int] = {}
    shared_index: dict[str, int] = {}
    n = 0
    for t in tables:
        for item in t.published:
            name = t.table.shared_total
            if name and item == t.table.total_item:
                if name not in shared_index:
                    shared_index[name] = n
                    n += 1
                index[(t.name, item)] = shared_index[name]
            else:
                index[(t.name, item)] = n
                n += 1
    low = np.zeros(n)
    high = np.full(n, float(BIG))
    for t in tables:
        threshold, base = t.rule.suppress_below, t.rule.round_to
        for item, published in t.published.items():
            k = index[(t.name, item)]
            if published is None:
                lo, hi = 1.0, float(BIG)
            elif rounding_known:
                lo, hi = _interval(published, threshold, base, t.perturbation)
            else:
                lo = hi = t.table.value(item)
            low[k], high[k] = max(low[k], lo), min(high[k], hi)
    for t in later:
        threshold, base = t.rule.suppress_below, t.rule.round_to
        for item, published in t.published.items():
            k = index[(t.name, item)]
            grew = (change or {}).get((t.name, item), 0)
            lo, hi = _interval(published, threshold, base, t.perturbation)
            low[k], high[k] = max(low[k], lo - grew), min(high[k], hi - grew)
    rows = []
    for t in tables:
        for total, members in t.table.relations():
            row = np.zeros(n)
            for m in members:
                row[index[(t.name, m)]] += 1
            row[index[(t.name, total)]] -= 1
            rows.append(row)
    constraints = [LinearConstraint(np.array(rows), 0, 0)] if rows else []
    bounds = Bounds(low, high)
    integrality = np.ones(n)
    out: dict[tuple[str, Item], tuple[float, float]] = {}
    wanted = [
        (t.name, item)
        for t in [*tables, *later]
        for item, published in t.published.items()
        if published is None
    ]
    for name, item in dict.fromkeys(targets if targets is not None else wanted):
        k = index[(name, item)]
        found = []
        for sign in (1, -1):
            c = np.zeros(n)
            c[k] = sign
            result = milp(c, constraints=constraints, bounds=bounds, integrality=integrality)
            assert result.success, result.message
            found.append(sign * result.fun)
        out[(name, item)] = (found[0], found[1])
    return out
