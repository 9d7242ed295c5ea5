"""An attacker on published tables: exact integer bounds for every withheld cell.

Independent of `casereview.report.disclosure`'s own audit (a flow computation): this one is a
mixed-integer program (scipy's HiGHS) over *all* published tables at once, using everything a
reader of the publication knows:

- a published count p is the rounding of the true count: p - floor(b/2) <= x <= p + ceil(b/2) - 1;
  a published positive count is also at least the threshold (smaller ones are withheld) and a
  published 0 whose rounding interval lies below the threshold is exactly 0;
- a withheld count is at least 1 (zeros are shown);
- each table's rows and columns add up to its totals;
- a total shared by several tables (same `shared_total` name) is one and the same number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from casereview.report.disclosure import Item, ProtectedTable

__all__ = ["attack"]

BIG = 10**7


def _interval(published: int | None, threshold: int, base: int) -> tuple[float, float]:
    if published is None:
        return 1, BIG
    low, high = published - base // 2, published + (base + 1) // 2 - 1
    if base == 1:
        low = high = published
    if published == 0:
        return (0, 0) if high < threshold else (0, high)
    return max(low, threshold, 0), high


def attack(
    tables: Sequence[ProtectedTable], *, rounding_known: bool = True
) -> dict[tuple[str, Item], tuple[float, float]]:
    """(table, item) -> (lowest, highest) feasible true value, for every withheld item.

    With `rounding_known=False` the attacker is given the *true* values of published items
    (stronger than any real reader).
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
                lo, hi = _interval(published, threshold, base)
            else:
                lo = hi = t.table.value(item)
            low[k], high[k] = max(low[k], lo), min(high[k], hi)
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
    for t in tables:
        for item, published in t.published.items():
            if published is not None:
                continue
            k = index[(t.name, item)]
            found = []
            for sign in (1, -1):
                c = np.zeros(n)
                c[k] = sign
                result = milp(c, constraints=constraints, bounds=bounds, integrality=integrality)
                assert result.success, result.message
                found.append(sign * result.fun)
            out[(t.name, item)] = (found[0], found[1])
    return out
