"""Clustering scored pairs into persons, with human judgements on top of the model.

Mentions are joined by every pair whose match weight reaches the threshold (connected
components). Human judgements then act on the graph:

- "same" adds an edge that cannot be cut;
- "not same" removes the pair's own edge and, when the two mentions are still connected
  through others, cuts the cheapest set of edges that separates them (a minimum s-t cut with
  each edge's capacity its match weight above the threshold), repeated until every "not same"
  pair is apart. A "not same" always outranks the model and outranks "same" chains too:
  if only a "same" edge stands between the two, it is cut and the run's log says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import igraph as ig
import numpy as np
import pandas as pd

__all__ = ["Clustering", "Judgement", "cluster_mentions", "one_to_one"]

_SAME_CAPACITY = 1e9


@dataclass(frozen=True)
class Judgement:
    """A human's standing judgement on a pair of mentions (revoked ones are not passed)."""

    mention_a: int
    mention_b: int
    judgement: str  # MatchJudgement value: same | not_same | unsure


@dataclass
class Clustering:
    """Cluster label per mention (the cluster's smallest mention id) and what judgements did."""

    labels: dict[int, int]
    edges_cut: int = 0
    notes: list[str] = field(default_factory=list)

    def clusters(self) -> dict[int, list[int]]:
        """Cluster label -> sorted mention ids."""
        out: dict[int, list[int]] = {}
        for mention, label in self.labels.items():
            out.setdefault(label, []).append(mention)
        for members in out.values():
            members.sort()
        return out


def cluster_mentions(
    mention_ids: Sequence[int],
    pairs: pd.DataFrame,
    threshold: float,
    judgements: Iterable[Judgement] = (),
) -> Clustering:
    """Connected components of pairs at `threshold`, then judgements applied (see module)."""
    ids = np.asarray(sorted(set(int(m) for m in mention_ids)), dtype=np.int64)
    index = {int(m): i for i, m in enumerate(ids)}
    strong = pairs[pairs["match_weight"] >= threshold]
    left = strong["unique_id_l"].to_numpy(dtype=np.int64)
    right = strong["unique_id_r"].to_numpy(dtype=np.int64)
    capacity = (strong["match_weight"].to_numpy(dtype=float) - threshold) + 1.0
    known = np.isin(left, ids) & np.isin(right, ids)
    left, right, capacity = left[known], right[known], capacity[known]
    positions = np.searchsorted(ids, np.concatenate([left, right]))
    edges_l, edges_r = positions[: len(left)], positions[len(left) :]

    same: list[tuple[int, int]] = []
    apart: list[tuple[int, int]] = []
    for j in judgements:
        a, b = index.get(j.mention_a), index.get(j.mention_b)
        if a is None or b is None or a == b:
            continue
        if j.judgement == "same":
            same.append((a, b))
        elif j.judgement == "not_same":
            apart.append((min(a, b), max(a, b)))
    keep = np.ones(len(edges_l), dtype=bool)
    if apart:
        apart_set = set(apart)
        keep = np.array(
            [
                (min(a, b), max(a, b)) not in apart_set
                for a, b in zip(edges_l, edges_r, strict=True)
            ],
            dtype=bool,
        )
    edge_list = np.column_stack([edges_l[keep], edges_r[keep]]).tolist()
    caps = capacity[keep].tolist()
    edge_list += same
    caps += [_SAME_CAPACITY] * len(same)
    graph = ig.Graph(n=len(ids), edges=edge_list, directed=False)
    graph.es["capacity"] = caps
    result = Clustering(labels={})
    if apart:
        _separate(graph, apart, result)
    membership = np.asarray(graph.connected_components().membership, dtype=np.int64)
    # Each component's label is its smallest mention id (ids are sorted: its first member).
    _, first = np.unique(membership, return_index=True)
    label = ids[first][membership] if len(ids) else ids
    result.labels = dict(zip(ids.tolist(), label.tolist(), strict=True))
    return result


def _separate(graph: ig.Graph, apart: list[tuple[int, int]], result: Clustering) -> None:
    """Cut minimum edge sets until no "not same" pair is connected."""
    for _ in range(len(apart) * 4 + 10):
        membership = graph.connected_components().membership
        joined = [(a, b) for a, b in apart if membership[a] == membership[b]]
        if not joined:
            return
        a, b = joined[0]
        cut = graph.mincut(a, b, capacity="capacity")
        if cut.value >= _SAME_CAPACITY:
            result.notes.append(
                "a 'not same' judgement overrides a chain of 'same' judgements; "
                "the 'same' edges on the cut were not applied"
            )
        result.edges_cut += len(cut.cut)
        graph.delete_edges(cut.cut)


def one_to_one(pairs: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """For two sources that each list a person at most once (`link.one_to_one_sources`):
    pairs within one source are dropped, and each mention keeps at most one pair at or above
    `threshold` with the other source, strongest first (greedy). Pairs below the threshold
    are kept as they are (near misses for explanations)."""
    if pairs.empty:
        return pairs
    across = pairs[pairs["source_l"] != pairs["source_r"]]
    strong = across[across["match_weight"] >= threshold].sort_values(
        "match_weight", ascending=False, kind="stable"
    )
    used: set[int] = set()
    keep: list[bool] = []
    for left, right in zip(
        strong["unique_id_l"].tolist(), strong["unique_id_r"].tolist(), strict=True
    ):
        ok = left not in used and right not in used
        if ok:
            used.update((left, right))
        keep.append(ok)
    weak = across[across["match_weight"] < threshold]
    return pd.concat([strong[np.array(keep, dtype=bool)], weak]).sort_index()
