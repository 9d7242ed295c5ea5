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

__all__ = [
    "Clustering",
    "Judgement",
    "cluster_mentions",
    "components",
    "one_to_one",
    "strongest_only",
]

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
    result = Clustering(labels={})
    if apart:
        edge_list = np.column_stack([edges_l[keep], edges_r[keep]]).tolist()
        caps = capacity[keep].tolist()
        edge_list += same
        caps += [_SAME_CAPACITY] * len(same)
        graph = ig.Graph(n=len(ids), edges=edge_list, directed=False)
        graph.es["capacity"] = caps
        _separate(graph, apart, result)
        membership = np.asarray(graph.connected_components().membership, dtype=np.int64)
    else:
        pair = np.array(same, dtype=np.int64).reshape(-1, 2)
        membership = components(
            len(ids), np.concatenate([edges_l, pair[:, 0]]), np.concatenate([edges_r, pair[:, 1]])
        )
    # Each component's label is its smallest mention id (ids are sorted: its first member).
    _, first = np.unique(membership, return_index=True)
    label = ids[first][membership] if len(ids) else ids
    result.labels = dict(zip(ids.tolist(), label.tolist(), strict=True))
    return result


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected component of each of `n` nodes joined by the edges `left[i]`-`right[i]`
    (scipy's, several times faster than building an igraph graph from a million edges)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    adjacency = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    return np.asarray(connected_components(adjacency, directed=False)[1], dtype=np.int64)


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


def strongest_only(pairs: pd.DataFrame, weak: np.ndarray, threshold: float) -> pd.DataFrame:
    """`pairs` without the links by which a mention of `weak` (mention ids with nothing
    that places or identifies the person, `frame.unanchored`) would bridge two people of
    its name: the mentions that are not weak are clustered on their own pairs first; a weak
    mention whose pairs at or above `threshold` reach several of those clusters keeps only
    its pairs into the one its strongest pair reaches; a pair of two weak mentions attached
    to different clusters is dropped. Pairs below the threshold are kept (near misses)."""
    if pairs.empty or not len(weak):
        return pairs
    left_id = pairs["unique_id_l"].to_numpy(dtype=np.int64)
    right_id = pairs["unique_id_r"].to_numpy(dtype=np.int64)
    weight = pairs["match_weight"].to_numpy(dtype=float)
    strong = weight >= threshold
    weak_l, weak_r = np.isin(left_id, weak), np.isin(right_id, weak)
    if not (strong & (weak_l | weak_r)).any():
        return pairs
    ids, inverse = np.unique(np.concatenate([left_id, right_id]), return_inverse=True)
    left, right = inverse[: len(left_id)], inverse[len(left_id) :]
    firm = strong & ~weak_l & ~weak_r
    cluster = components(len(ids), left[firm], right[firm])
    # Each weak end of a strong pair with a firm mention: the cluster it reaches.
    one = strong & (weak_l ^ weak_r)
    end = np.where(weak_l, left, right)[one]
    reach = cluster[np.where(weak_l, right, left)[one]]
    rows = np.flatnonzero(one)
    table = pd.DataFrame({"row": rows, "end": end, "reach": reach, "w": weight[rows]})
    best = table.sort_values(["w", "row"], ascending=[False, True], kind="stable")
    best = best.drop_duplicates("end").set_index("end")["reach"]
    keep = np.ones(len(pairs), dtype=bool)
    keep[rows] = table["reach"].to_numpy() == best.reindex(table["end"]).to_numpy()
    both = np.flatnonzero(strong & weak_l & weak_r)
    if len(both):
        a = best.reindex(left[both]).to_numpy(dtype=float)
        b = best.reindex(right[both]).to_numpy(dtype=float)
        keep[both] = np.isnan(a) | np.isnan(b) | (a == b)
    return pairs[keep]
