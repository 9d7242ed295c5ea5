"""Cell-key perturbation: the same cell is perturbed alike in every release.

Withholding small counts alone is not consistent across releases: a cell published as `[c]`
in one report and as 10 in the next, after one record was added, was exactly 9. So before any
count is withheld or rounded it is perturbed by a small amount drawn from a fixed
perturbation table (the *ptable*) by the cell's *key*, a number in [0, 1):

- the key is HMAC-SHA-256, under the store's secret (`disclosure_keys`, made once when the
  store is created and never changed), of the cell's identity (table, row and column; for a
  total that several tables publish, the name of that total) and its true count. The same
  cell with the same count gets the same key, so the same published value, in every release
  and in every table; a count that changes by one gets a new key, independent of the old one;
- the ptable gives each count its distribution of perturbations: zero is never perturbed and
  a positive count never becomes zero (a published 0 is a true zero); from 3 upwards the
  perturbation is -2, -1, 0, +1 or +2 with probabilities 0.1, 0.2, 0.4, 0.2, 0.1 (mean 0,
  variance 1.2); 1 and 2 are perturbed within 1 to 4 (they are withheld whatever happens).

The perturbed count is then withheld when it is from 1 to `suppress_below - 1` and rounded
otherwise (`disclosure.protect`). Whether a true count of 8 to 11 is withheld or published is
decided by its key, not by its value, so neither a `[c]` nor a published value tells a reader
the true count, and differencing two releases gives the change plus the difference of two
independent perturbations. Every cell and every total is perturbed by its own key, so totals
are perturbed independently of their cells (as with rounding, cells need not add up to totals).

This is the cell-key method of the Australian Bureau of Statistics and the ONS, with one
difference: the key is drawn from the cell's identity and count under a stored secret rather
than summed from stored per-record keys, so it applies alike to counts of records, groups,
decisions, mentions and imported rows. docs/reports.md says why and what it costs.
"""

from __future__ import annotations

import hashlib
import hmac
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, select

from casereview.errors import StoreError
from casereview.report.disclosure import CountTable, Item

__all__ = [
    "MAX_PERTURBATION",
    "PTABLE",
    "CellKeys",
    "cell_identity",
    "load_cell_keys",
    "perturb_table",
    "perturbation",
]

# count -> ((perturbation, probability), ...); counts above the last row use the last row.
PTABLE: dict[int, tuple[tuple[int, float], ...]] = {
    0: ((0, 1.0),),
    1: ((0, 0.5), (1, 0.3), (2, 0.2)),
    2: ((-1, 0.25), (0, 0.45), (1, 0.2), (2, 0.1)),
    3: ((-2, 0.1), (-1, 0.2), (0, 0.4), (1, 0.2), (2, 0.1)),
}
MAX_PERTURBATION = 2


def _row(count: int) -> tuple[tuple[int, float], ...]:
    return PTABLE[min(count, max(PTABLE))]


def _cumulative(count: int) -> tuple[list[float], list[int]]:
    bounds, values, total = [], [], 0.0
    for value, probability in _row(count):
        total += probability
        bounds.append(total)
        values.append(value)
    return bounds, values


def perturbation(count: int, key: float) -> int:
    """The ptable's perturbation of `count` for a cell key in [0, 1) (inverse distribution)."""
    bounds, values = _cumulative(count)
    return values[min(bisect_right(bounds, key), len(values) - 1)]


@dataclass(frozen=True)
class CellKeys:
    """Cell keys under one secret: the same (identity, count) always gives the same key."""

    secret: bytes

    def key(self, identity: str, count: int) -> float:
        digest = hmac.new(self.secret, f"{identity}\x1f{count}".encode(), hashlib.sha256)
        return int.from_bytes(digest.digest()[:8], "big") / 2**64

    def perturb(self, identity: str, count: int) -> int:
        """The published-before-rounding value of a cell with this identity and true count."""
        return count + perturbation(count, self.key(identity, count))

    def perturb_all(self, counts: Mapping[str, int]) -> dict[str, int]:
        return {identity: self.perturb(identity, n) for identity, n in counts.items()}


def load_cell_keys(conn: Connection) -> CellKeys:
    """The store's cell-key secret (made by migration 0005)."""
    from casereview.model.tables import disclosure_keys

    secret = conn.execute(
        select(disclosure_keys.c.secret).where(disclosure_keys.c.name == "cell_key")
    ).scalar()
    if secret is None:
        raise StoreError("the store has no cell-key secret: run `casereview init` to upgrade it")
    return CellKeys(bytes.fromhex(str(secret)))


def cell_identity(table: CountTable, item: Item) -> str:
    """What a cell counts, as a key: the shared total's name, else table, kind, row, column."""
    if table.shared_total and item == table.total_item:
        return f"total:{table.shared_total}"
    kind, i, j = item
    row = table.rows[i] if i >= 0 else ""
    col = table.cols[j] if j >= 0 else ""
    return "\x1e".join((table.name, kind, row, col))


def perturb_table(table: CountTable, keys: CellKeys) -> dict[Item, int]:
    """Every item of `table` (cells and totals, each by its own key) perturbed."""
    return {
        item: keys.perturb(cell_identity(table, item), table.value(item)) for item in table.items()
    }
