"""Stability of groups under uncertain links.

Person merges made below `link.strict_match_weight_threshold` are undone: each resolved
person is split into the connected components of its mentions joined by match pairs at or
above the strict threshold (a person none of whose mentions were scored stays whole). The
ties and groups are rebuilt on these strict persons, and each group's stability is the best
Jaccard overlap of its offenders with a strict group's offenders (mapped back to the resolved
persons they came from). Everything is column-wise (numpy positions, one igraph components
pass); the Jaccard only compares a group with the strict groups that share a member.
"""

from __future__ import annotations

from collections import defaultdict

import igraph as ig
import numpy as np
import pandas as pd

__all__ = ["best_jaccard", "strict_person_map"]


def strict_person_map(
    people: pd.DataFrame, pairs: pd.DataFrame, strict: float
) -> tuple[pd.Series, dict[int, int]]:
    """(mention_id -> strict person id, strict person id -> resolved person id).

    `people` has mention_id and person; `pairs` has mention_a_id, mention_b_id, match_weight.
    The component holding a person's first mention keeps the resolved id; the other
    components get -1, -2, ... in the order of their first mention.
    """
    frame = (
        people[["mention_id", "person"]]
        .drop_duplicates("mention_id")
        .sort_values("mention_id", kind="stable")
    )
    mention_ids = frame["mention_id"].to_numpy(np.int64)
    person = frame["person"].to_numpy(np.int64)
    n = len(mention_ids)

    def position(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Positions of mention ids in `mention_ids` and whether they are there at all."""
        raw = values.to_numpy(np.int64)
        pos = np.minimum(np.searchsorted(mention_ids, raw), max(n - 1, 0))
        found = mention_ids[pos] == raw if n else np.zeros(len(raw), bool)
        return pos, found

    pos_a, in_a = position(pairs["mention_a_id"])
    pos_b, in_b = position(pairs["mention_b_id"])
    both = in_a & in_b
    strong = both & (pairs["match_weight"].to_numpy(float) >= strict)
    strong &= person[pos_a] == person[pos_b]
    keep = [np.column_stack([pos_a[strong], pos_b[strong]])]
    # A person none of whose mentions were scored against each other was not merged by the
    # model (a human judgement, a deterministic key): it stays whole.
    scored = np.unique(np.concatenate([person[pos_a[in_a]], person[pos_b[in_b]]]))
    whole = ~np.isin(person, scored)
    first_pos = pd.Series(np.arange(n)).groupby(person).transform("first").to_numpy()
    chain = whole & (first_pos != np.arange(n))
    keep.append(np.column_stack([first_pos[chain], np.arange(n)[chain]]))
    graph = ig.Graph(n=n, edges=np.concatenate(keep), directed=False)
    labels = np.asarray(graph.connected_components().membership, dtype=np.int64)
    # First mention of each component, in mention order; the first such per person is main.
    _, first_idx = np.unique(labels, return_index=True)
    first_idx.sort()
    first_person = person[first_idx]
    main = ~pd.Series(first_person).duplicated().to_numpy()
    strict_of_first = np.where(main, first_person, -np.cumsum(~main))
    strict_of_label = np.empty(labels.max() + 1 if n else 0, dtype=np.int64)
    strict_of_label[labels[first_idx]] = strict_of_first
    origin = dict(zip(strict_of_first.tolist(), first_person.tolist(), strict=True))
    mapped = pd.Series(strict_of_label[labels], index=mention_ids, dtype="int64")
    return mapped, origin


def best_jaccard(
    group: frozenset[int], strict_groups: list[frozenset[int]], origin: dict[int, int]
) -> float:
    """Best Jaccard of `group` with a strict group mapped back to resolved persons."""
    return best_jaccards([group], strict_groups, origin)[0]


def best_jaccards(
    groups: list[frozenset[int]], strict_groups: list[frozenset[int]], origin: dict[int, int]
) -> list[float]:
    """Best Jaccard of each group with a strict group, comparing only groups that overlap."""
    mapped = [frozenset(origin.get(p, p) for p in other) for other in strict_groups]
    holding: dict[int, list[int]] = defaultdict(list)
    for i, members in enumerate(mapped):
        for p in members:
            holding[p].append(i)
    out = []
    for group in groups:
        best = 0.0
        for i in {i for p in group for i in holding.get(p, ())}:
            best = max(best, len(group & mapped[i]) / len(group | mapped[i]))
        out.append(round(best, 6))
    return out
