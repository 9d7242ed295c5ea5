"""Record context as evidence, added to the scored pairs after a first clustering.

Two people named in one record are almost never one person; two mentions whose records name
a person in common (a mother on two referrals about the same child) often are. Which
mentions are "a person" is only known after a first clustering, so this evidence is one more
comparison scored on the pairs the model already scored, rather than a second training and
prediction over every blocked pair:

1. the model (without context) scores every blocked pair down to a weight low enough that
   context could still lift it to the near-miss floor (`context_max_weight` below it);
2. the pairs at the threshold are clustered; each mention's context is the set of first
   clusters of the other mentions its record names, and of the mentions of the records its
   source linked to its record (an intelligence report's linked crime, a crime's linked
   crimes: `linked_mates`) (`frame.context_matrix`);
3. each pair gets its context level: both named in one record, their records name a person
   in common, else; no value when either record names nobody else;
4. u per level is measured on random pairs of mentions; m of "a person in common" and
   "else" by expectation maximisation over the scored pairs with the other comparisons held
   fixed (each pair's match probability from its weight plus its level's current weight;
   m the distribution of levels weighted by it; repeated until m settles); m of "one
   record" is 0 by design (a record names each person once); the level's weight log2(m/u)
   is bounded by `context_max_weight` either way;
5. the level's weight is added to the pair's match weight, the pair's probability follows,
   and the context comparison with these m and u is appended to the saved model, so that
   explanations and `explain_pair` show it like any other comparison.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from casereview.link.frame import MAX_RECORD_MATES
from casereview.model.tables import record_links

__all__ = [
    "COMMON",
    "ELSE",
    "NULL",
    "SAME_RECORD",
    "ContextModel",
    "apply_context",
    "context_levels",
    "estimate_context",
    "linked_mates",
    "load_record_links",
    "record_ids",
]

# Splink's gamma values of the context comparison's levels (model.model_settings order).
NULL, ELSE, COMMON, SAME_RECORD = -1, 0, 1, 2
_NON_NULL = (SAME_RECORD, COMMON, ELSE)


def record_ids(frame: pd.DataFrame) -> np.ndarray:
    """Each row's record id, -1 when unknown."""
    return pd.to_numeric(frame["record_id"], errors="coerce").fillna(-1).to_numpy(np.int64)


def load_record_links(conn: Connection) -> np.ndarray:
    """The links the sources made between their records (`record_links` whose target was
    loaded) as a k x 2 array of record ids."""
    rows = conn.execute(
        select(record_links.c.record_id, record_links.c.to_record_id).where(
            record_links.c.to_record_id.is_not(None)
        )
    ).all()
    return np.asarray(rows, dtype=np.int64).reshape(-1, 2)


def linked_mates(
    frame: pd.DataFrame, links: np.ndarray, cap: int = MAX_RECORD_MATES
) -> tuple[np.ndarray, np.ndarray]:
    """(row position, row position of a mention of a record linked to its record) for
    every such pair of rows, by the links the sources made (`load_record_links`, either
    direction). A police system links an intelligence report to the crime its subject is
    suspected of, and a suspect's crimes to each other: the people of linked records are
    the context of one case. A row whose linked records name more than `cap` people gets
    none (a group's many linked crimes say little about any one mention)."""
    empty = np.zeros(0, dtype=np.int64)
    if not len(links):
        return empty, empty
    record = record_ids(frame)
    rows = pd.DataFrame({"pos": np.arange(len(frame)), "rid": record})
    rows = rows[rows["rid"] >= 0]
    both = np.concatenate([links, links[:, ::-1]])
    pairs = pd.DataFrame(both, columns=["rid", "to"])
    pairs = pairs[pairs["rid"] != pairs["to"]].drop_duplicates()
    mates = rows.merge(pairs, on="rid").merge(
        rows.rename(columns={"pos": "mate", "rid": "to"}), on="to"
    )
    mates = mates[["pos", "mate"]].drop_duplicates()
    mates = mates[mates.groupby("pos")["mate"].transform("size") <= cap]
    mates = mates.sort_values(["pos", "mate"])
    return mates["pos"].to_numpy(np.int64), mates["mate"].to_numpy(np.int64)


# Pairs whose levels are worked out at once: each holds two rows of the context matrix (at
# 100,000 mentions 2,000,000 random pairs held half a gigabyte in one go).
_LEVEL_SLICE = 200_000


def context_levels(
    left: np.ndarray, right: np.ndarray, record: np.ndarray, context: np.ndarray
) -> np.ndarray:
    """The context level (gamma) of each pair of row positions `left[i]`, `right[i]`."""
    if len(left) > _LEVEL_SLICE:
        return np.concatenate(
            [
                _levels(left[i : i + _LEVEL_SLICE], right[i : i + _LEVEL_SLICE], record, context)
                for i in range(0, len(left), _LEVEL_SLICE)
            ]
        )
    return _levels(left, right, record, context)


def _levels(
    left: np.ndarray, right: np.ndarray, record: np.ndarray, context: np.ndarray
) -> np.ndarray:
    same = (record[left] >= 0) & (record[left] == record[right])
    known = (context[left, 0] >= 0) & (context[right, 0] >= 0)
    common = np.zeros(len(left), dtype=bool)
    rows = np.flatnonzero(known & ~same)
    # The context rows of these pairs gathered once (not once per pair of columns).
    cl, cr = context[left[rows]], context[right[rows]]
    found = np.zeros(len(rows), dtype=bool)
    for i in range(context.shape[1]):
        a = cl[:, i]
        live = a >= 0
        if not live.any():
            break
        for j in range(context.shape[1]):
            b = cr[:, j]
            if not (b >= 0).any():
                break
            found |= live & (a == b)
    common[rows] = found
    out = np.full(len(left), NULL, dtype=np.int8)
    out[known] = ELSE
    out[common] = COMMON
    out[same] = SAME_RECORD
    return out


@dataclass(frozen=True)
class ContextModel:
    """m and u of the context levels and the bounded weight each adds."""

    m: dict[int, float]
    u: dict[int, float]
    max_weight: float

    def weight(self, level: int) -> float:
        if level == NULL:
            return 0.0
        m, u = self.m[level], self.u[level]
        if u <= 0:
            return self.max_weight if m > 0 else 0.0
        raw = math.log2(m / u) if m > 0 else -math.inf
        return max(-self.max_weight, min(self.max_weight, raw))

    def weights(self, level: np.ndarray) -> np.ndarray:
        """The weight of each level in `level` (gamma values NULL..SAME_RECORD)."""
        table = np.array([self.weight(g) for g in (NULL, ELSE, COMMON, SAME_RECORD)])
        return table[level.astype(np.int64) - NULL]

    def comparison(self, template: dict[str, Any]) -> dict[str, Any]:
        """Splink's comparison dict for context (`template`: the one model_settings builds)
        with m and u set so that each level's log2(m/u) is its bounded weight."""
        out = copy.deepcopy(template)
        levels = [lv for lv in out["comparison_levels"] if not lv.get("is_null_level")]
        for gamma, level in zip(_NON_NULL, levels, strict=True):
            u = max(self.u[gamma], 1e-12)
            level["u_probability"] = u
            level["m_probability"] = u * 2.0 ** self.weight(gamma)
        return out


def estimate_context(
    level: np.ndarray,
    weight: np.ndarray,
    record: np.ndarray,
    context: np.ndarray,
    *,
    max_weight: float,
    random_pairs: int,
    seed: int,
    iterations: int = 25,
) -> ContextModel:
    """u from `random_pairs` random pairs of rows; m by expectation maximisation over the
    scored pairs with the other comparisons held fixed: each pair's match probability from
    its `weight` (without context) plus its level's current weight, m the distribution of
    levels weighted by those probabilities, until m settles (see module)."""
    rng = np.random.default_rng(seed)
    n = len(record)
    left = rng.integers(0, n, size=random_pairs) if n > 1 else np.zeros(0, dtype=np.int64)
    right = rng.integers(0, n, size=random_pairs) if n > 1 else np.zeros(0, dtype=np.int64)
    differ = left != right
    sample = context_levels(left[differ], right[differ], record, context)
    seen = sample[sample != NULL]
    u = {g: (float((seen == g).sum()) / len(seen) if len(seen) else 0.0) for g in _NON_NULL}
    # A level never met by chance in the sample (rare at scale) is given half a chance.
    for g in _NON_NULL:
        if u[g] == 0.0 and len(seen):
            u[g] = 0.5 / len(seen)
    # "Both named in one record" is not estimated: a record names each person once (its m is
    # 0, the level weighs -max_weight). Estimated from the scored pairs it would come out
    # positive, since the pairs a model without context scores high within one record
    # (a mother and daughter of one name and address) are all that the scored set holds.
    counted = (level != NULL) & (level != SAME_RECORD)
    lv = level[counted]
    base = weight[counted]
    model = ContextModel(m={SAME_RECORD: 0.0, COMMON: 0.5, ELSE: 0.5}, u=u, max_weight=max_weight)
    for _ in range(iterations):
        probability = 1.0 / (1.0 + np.exp2(-(base + model.weights(lv))))
        total = float(probability.sum())
        m = {
            g: (float(probability[lv == g].sum()) / total if total > 0 else 0.0) for g in _NON_NULL
        }
        m[SAME_RECORD] = 0.0
        settled = all(abs(m[g] - model.m[g]) < 1e-5 for g in _NON_NULL)
        model = ContextModel(m=m, u=u, max_weight=max_weight)
        if settled:
            break
    return model


def apply_context(
    pairs: pd.DataFrame, level: np.ndarray, model: ContextModel, *, detail: bool
) -> pd.DataFrame:
    """`pairs` with each pair's context weight added to its match weight and probability
    (and, with `detail`, the `gamma_context` and `mw_context` columns of an explanation)."""
    added = model.weights(level)
    out = pairs.copy()
    out["match_weight"] = out["match_weight"].to_numpy(dtype=float) + added
    out["match_probability"] = 1.0 / (1.0 + np.exp2(-out["match_weight"].to_numpy(dtype=float)))
    if detail:
        out["gamma_context"] = level.astype(int)
        out["mw_context"] = added
    return out
