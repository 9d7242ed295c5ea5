"""Linkage quality against a ground truth: pairwise and B-cubed scores, blocking recall.

Used by the benchmarks (synthetic world, FEBRL) and the tests. Labels are any hashable
cluster labels keyed by the same item ids on both sides.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from casereview.link.frame import (
    bare_blocking_columns,
    blocking_columns,
    list_blocking_columns,
)

__all__ = [
    "KeyRecall",
    "Scores",
    "bcubed",
    "blocking_recall",
    "blocking_recall_by_key",
    "pairwise",
    "recall_ceiling",
    "true_pairs",
]


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


def _found_by_key(frame: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per blocking key of `frame` (plain keys, bare-against-block pairs, list keys), which
    of `pairs` (unique_id_l, unique_id_r) share a non-blank value of it."""
    indexed = frame.set_index("unique_id")
    found: dict[str, np.ndarray] = {}
    for key in blocking_columns(frame):
        left = pairs["unique_id_l"].map(indexed[key])
        right = pairs["unique_id_r"].map(indexed[key])
        found[key] = (left.notna() & (left == right)).fillna(False).to_numpy(dtype=bool)
    for bare, big in bare_blocking_columns(frame):
        hit = np.zeros(len(pairs), dtype=bool)
        for a, b in (("unique_id_l", "unique_id_r"), ("unique_id_r", "unique_id_l")):
            left = pairs[a].map(indexed[bare])
            right = pairs[b].map(indexed[big])
            hit |= (left.notna() & (left == right)).fillna(False).to_numpy(dtype=bool)
        found[bare] = hit
    for key in list_blocking_columns(frame):
        keys = indexed[key]
        left = pairs["unique_id_l"].map(keys).tolist()
        right = pairs["unique_id_r"].map(keys).tolist()
        found[key] = np.array(
            [
                isinstance(a, list) and isinstance(b, list) and not set(a).isdisjoint(b)
                for a, b in zip(left, right, strict=True)
            ],
            dtype=bool,
        )
    return found


def blocking_recall(frame: pd.DataFrame, truth: Mapping[int, Hashable]) -> tuple[float, int]:
    """Share of true pairs that share at least one (non-blank) blocking key, and how many
    true pairs there are. Run on the frame after the skewed-block guard."""
    pairs = true_pairs(frame, truth)
    if pairs.empty:
        return 1.0, 0
    found = np.zeros(len(pairs), dtype=bool)
    for hit in _found_by_key(frame, pairs).values():
        found |= hit
    return float(found.mean()), len(pairs)


@dataclass(frozen=True)
class KeyRecall:
    """What one blocking key finds of the true pairs: the share it finds, how many of them
    no other key finds, and the true pairs' recall ceiling without it (`recall_ceiling`)."""

    key: str
    recall: float
    only: int
    ceiling_without: float


def recall_ceiling(
    truth: Mapping[int, Hashable], left: Any, right: Any, ids: Any | None = None
) -> float:
    """The pairwise recall of the clustering that joins exactly the pairs (`left[i]`,
    `right[i]`, mention ids) given, and every pair they connect: with only true pairs given,
    the most recall a clustering of them can reach. Pairs that no key compares still count
    when a chain of compared pairs joins them (a child id on one missing episode, the name
    on the next), which a count of compared pairs misses. `ids`: the items scored (default:
    every id in `truth`)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    items = np.array(sorted(truth if ids is None else ids), dtype=np.int64)
    a = np.searchsorted(items, np.asarray(left, dtype=np.int64))
    b = np.searchsorted(items, np.asarray(right, dtype=np.int64))
    n = len(items)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    return pairwise(dict(zip(items.tolist(), label.tolist(), strict=True)), truth).recall


def blocking_recall_by_key(
    frame: pd.DataFrame, truth: Mapping[int, Hashable]
) -> tuple[float, float, list[KeyRecall]]:
    """Blocking recall (the share of true pairs sharing a key, as `blocking_recall`), its
    ceiling (`recall_ceiling` of the true pairs sharing a key) and, per key, what it finds
    alone and what the ceiling would be without it. Run on the frame before or after the
    skewed-block guard to see what the guard costs."""
    pairs = true_pairs(frame, truth)
    ids = frame["unique_id"].tolist()
    if pairs.empty:
        return 1.0, 1.0, []
    left = pairs["unique_id_l"].to_numpy(dtype=np.int64)
    right = pairs["unique_id_r"].to_numpy(dtype=np.int64)
    found = _found_by_key(frame, pairs)
    anywhere = np.zeros(len(pairs), dtype=bool)
    for hit in found.values():
        anywhere |= hit
    keys = []
    for key, hit in found.items():
        others = np.zeros(len(pairs), dtype=bool)
        for other, more in found.items():
            if other != key:
                others |= more
        keys.append(
            KeyRecall(
                key=key,
                recall=float(hit.mean()),
                only=int((hit & ~others).sum()),
                ceiling_without=recall_ceiling(truth, left[others], right[others], ids),
            )
        )
    ceiling = recall_ceiling(truth, left[anywhere], right[anywhere], ids)
    return float(anywhere.mean()), ceiling, keys
