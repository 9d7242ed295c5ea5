"""Linkage quality against a ground truth: pairwise and B-cubed scores, blocking recall.

Used by the benchmarks (synthetic world, FEBRL) and the tests. Labels are any hashable
cluster labels keyed by the same item ids on both sides.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from casereview.link.frame import (
    bare_blocking_columns,
    blocking_columns,
    list_blocking_columns,
)

__all__ = ["Scores", "bcubed", "blocking_recall", "pairwise", "true_pairs"]


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _c2(n: pd.Series) -> int:
    return int((n * (n - 1) // 2).sum())


def pairwise(pred: Mapping[Any, Hashable], truth: Mapping[Any, Hashable]) -> Scores:
    """Precision, recall and F1 over all pairs of items put together (items in both maps)."""
    keys = [k for k in truth if k in pred]
    df = pd.DataFrame({"p": [pred[k] for k in keys], "t": [truth[k] for k in keys]})
    both = _c2(df.groupby(["p", "t"]).size())
    pred_pairs = _c2(df.groupby("p").size())
    true_pairs_n = _c2(df.groupby("t").size())
    p = both / pred_pairs if pred_pairs else 1.0
    r = both / true_pairs_n if true_pairs_n else 1.0
    return Scores(p, r, _f1(p, r))


def bcubed(pred: Mapping[Any, Hashable], truth: Mapping[Any, Hashable]) -> Scores:
    """B-cubed precision, recall and F1 (per-item overlap of its two clusters, averaged)."""
    keys = [k for k in truth if k in pred]
    df = pd.DataFrame({"p": [pred[k] for k in keys], "t": [truth[k] for k in keys]})
    cell = df.groupby(["p", "t"])["p"].transform("size")
    p_size = df.groupby("p")["p"].transform("size")
    t_size = df.groupby("t")["t"].transform("size")
    p = float((cell / p_size).mean())
    r = float((cell / t_size).mean())
    return Scores(p, r, _f1(p, r))


def true_pairs(frame: pd.DataFrame, truth: Mapping[int, Hashable]) -> pd.DataFrame:
    """Every pair (unique_id_l < unique_id_r) of frame rows with the same true label."""
    ids = frame[["unique_id"]].copy()
    ids["t"] = ids["unique_id"].map(truth)
    ids = ids.dropna(subset=["t"])
    joined = ids.merge(ids, on="t", suffixes=("_l", "_r"))
    return joined[joined["unique_id_l"] < joined["unique_id_r"]][["unique_id_l", "unique_id_r"]]


def blocking_recall(frame: pd.DataFrame, truth: Mapping[int, Hashable]) -> tuple[float, int]:
    """Share of true pairs that share at least one (non-blank) blocking key, and how many
    true pairs there are. Run on the frame after the skewed-block guard."""
    pairs = true_pairs(frame, truth)
    if pairs.empty:
        return 1.0, 0
    indexed = frame.set_index("unique_id")
    found = pd.Series(False, index=pairs.index)
    for key in blocking_columns(frame):
        left = pairs["unique_id_l"].map(indexed[key])
        right = pairs["unique_id_r"].map(indexed[key])
        found |= (left.notna() & (left == right)).fillna(False).astype(bool)
    for bare, big in bare_blocking_columns(frame):
        for a, b in (("unique_id_l", "unique_id_r"), ("unique_id_r", "unique_id_l")):
            left = pairs[a].map(indexed[bare])
            right = pairs[b].map(indexed[big])
            found |= (left.notna() & (left == right)).fillna(False).astype(bool)
    for key in list_blocking_columns(frame):
        keys = indexed[key]
        left = pairs["unique_id_l"].map(keys).tolist()
        right = pairs["unique_id_r"].map(keys).tolist()
        shared = [
            isinstance(a, list) and isinstance(b, list) and not set(a).isdisjoint(b)
            for a, b in zip(left, right, strict=True)
        ]
        found |= pd.Series(shared, index=pairs.index)
    return float(found.mean()), len(pairs)
