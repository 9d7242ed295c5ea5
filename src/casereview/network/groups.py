"""Offender groups: connected suspects, large components split with Leiden, stable ids.

A group is a set of two or more suspects tied (summed tie weight >= `min_tie`) by
co-offending, shared victims, shared objects or places. Components larger than
`max_component_size` are split with Leiden (CPM, seeded: the same input gives the same
groups). Group ids are stable across re-runs like person ids: a new group reuses the id of
the previous group with the largest offender overlap; old groups left unmatched are kept
with active = false.
"""

from __future__ import annotations

from collections.abc import Iterable

import igraph as ig
import leidenalg
import numpy as np
import pandas as pd

__all__ = ["assign_stable_ids", "detect_groups"]


def detect_groups(
    ties: pd.DataFrame, *, max_component_size: int, resolution: float, seed: int
) -> list[frozenset[int]]:
    """Offender sets (>= 2 persons each), sorted by their smallest person id."""
    if ties.empty:
        return []
    a = ties["a"].to_numpy(np.int64)
    b = ties["b"].to_numpy(np.int64)
    people = np.unique(np.concatenate([a, b]))
    edges = np.column_stack([np.searchsorted(people, a), np.searchsorted(people, b)])
    graph = ig.Graph(n=len(people), edges=edges, directed=False)
    graph.es["weight"] = ties["weight"].astype(float).tolist()
    found: list[frozenset[int]] = []
    for component in graph.connected_components():
        if len(component) <= max_component_size:
            parts: Iterable[list[int]] = [component]
        else:
            sub = graph.subgraph(component)
            partition = leidenalg.find_partition(
                sub,
                leidenalg.CPMVertexPartition,
                weights="weight",
                resolution_parameter=resolution,
                seed=seed,
                n_iterations=-1,
            )
            parts = [[component[i] for i in part] for part in partition]
        for part in parts:
            if len(part) >= 2:
                found.append(frozenset(int(people[i]) for i in part))
    return sorted(found, key=min)


def assign_stable_ids(
    new: list[frozenset[int]], old: dict[int, frozenset[int]], highest_id: int = 0
) -> tuple[list[int], set[int]]:
    """Ids for `new` groups (reusing the most-overlapping old id) and the old ids retired."""
    candidates = sorted(
        (
            (len(members & old_members), -old_id, i, old_id)
            for i, members in enumerate(new)
            for old_id, old_members in old.items()
            if members & old_members
        ),
        reverse=True,
    )
    ids: dict[int, int] = {}
    taken: set[int] = set()
    for _, _, i, old_id in candidates:
        if i not in ids and old_id not in taken:
            ids[i] = old_id
            taken.add(old_id)
    next_id = max(max(old, default=0), highest_id) + 1
    out: list[int] = []
    for i in range(len(new)):
        if i not in ids:
            ids[i] = next_id
            next_id += 1
        out.append(ids[i])
    return out, set(old) - taken
