"""Stability of groups under uncertain links.

Person merges made below `link.strict_match_weight_threshold` are undone: each resolved
person is split into the connected components of its mentions joined by match pairs at or
above the strict threshold (a person none of whose mentions were scored stays whole). The ties and groups are rebuilt on these strict persons, and
each group's stability is the best Jaccard overlap of its offenders with a strict group's
offenders (mapped back to the resolved persons they came from).
"""

from __future__ import annotations

import igraph as ig
import pandas as pd

__all__ = ["best_jaccard", "strict_person_map"]


def strict_person_map(
    people: pd.DataFrame, pairs: pd.DataFrame, strict: float
) -> tuple[pd.Series, dict[int, int]]:
    """(mention_id -> strict person id, strict person id -> resolved person id).

    `people` has mention_id and person; `pairs` has mention_a_id, mention_b_id, match_weight.
    """
    mention_ids = people["mention_id"].to_numpy()
    order = {int(m): i for i, m in enumerate(mention_ids)}
    person_of = dict(zip(people["mention_id"], people["person"], strict=True))
    strong = pairs[pairs["match_weight"] >= strict]
    keep = [
        (order[a], order[b])
        for a, b in strong[["mention_a_id", "mention_b_id"]].itertuples(index=False)
        if a in order and b in order and person_of[a] == person_of[b]
    ]
    # A person none of whose mentions were scored against each other was not merged by the
    # model (a human judgement, a deterministic key): it stays whole.
    scored = {person_of[a] for a in pairs["mention_a_id"] if a in person_of}
    scored |= {person_of[b] for b in pairs["mention_b_id"] if b in person_of}
    first_of: dict[int, int] = {}
    for m in sorted(order):
        p = person_of[m]
        if p not in scored and p in first_of:
            keep.append((order[first_of[p]], order[m]))
        first_of.setdefault(p, m)
    graph = ig.Graph(n=len(mention_ids), edges=keep, directed=False)
    labels = graph.connected_components().membership
    # Keep the resolved id for the component holding the person's first mention.
    frame = pd.DataFrame(
        {"mention_id": mention_ids, "person": people["person"].to_numpy(), "component": labels}
    )
    first = frame.sort_values("mention_id").drop_duplicates("component")
    main = first.sort_values("mention_id").drop_duplicates("person")
    strict_ids = dict(zip(main["component"], main["person"], strict=True))
    next_id = -1
    origin: dict[int, int] = {}
    for component, person in first[["component", "person"]].itertuples(index=False):
        if component not in strict_ids:
            strict_ids[component] = next_id
            next_id -= 1
        origin[int(strict_ids[component])] = int(person)
    mapped = pd.Series([strict_ids[c] for c in labels], index=mention_ids, dtype="int64")
    return mapped, origin


def best_jaccard(
    group: frozenset[int], strict_groups: list[frozenset[int]], origin: dict[int, int]
) -> float:
    """Best Jaccard of `group` with a strict group mapped back to resolved persons."""
    best = 0.0
    for other in strict_groups:
        mapped = {origin.get(p, p) for p in other}
        union = len(group | mapped)
        if union:
            best = max(best, len(group & mapped) / union)
    return round(best, 6)
