"""Per-group measures: member centralities (kept apart, never combined) and source linking."""

from __future__ import annotations

from collections import Counter

import igraph as ig
import pandas as pd

__all__ = ["centralities", "source_linked_share"]


def centralities(
    offenders: frozenset[int], ties: pd.DataFrame, suspect_victim: pd.DataFrame
) -> dict[int, tuple[float, float, float]]:
    """person -> (degree, betweenness, eigenvector) on the group's graph of offenders and victims.

    Degree and betweenness are normalised to 0-1 by the group's size; eigenvector centrality is
    scaled so that the most central member has 1. The three are stored separately on purpose:
    each answers a different question (most ties; most bridging; best connected).
    """
    inner = ties[ties["a"].isin(offenders) & ties["b"].isin(offenders)]
    sv = suspect_victim[suspect_victim["person"].isin(offenders)]
    nodes = sorted(set(offenders) | set(sv["victim"].astype(int)))
    index = {p: i for i, p in enumerate(nodes)}
    edges = {(index[int(a)], index[int(b)]) for a, b in inner[["a", "b"]].itertuples(index=False)}
    edges |= {
        (index[int(p)], index[int(v)])
        for p, v in sv[["person", "victim"]].itertuples(index=False)
        if int(p) != int(v)
    }
    graph = ig.Graph(n=len(nodes), edges=sorted(edges), directed=False)
    n = max(len(nodes) - 1, 1)
    pairs = max((len(nodes) - 1) * (len(nodes) - 2) / 2, 1)
    degree = graph.degree()
    between = graph.betweenness()
    eigen = graph.eigenvector_centrality(scale=True) if graph.ecount() else [0.0] * len(nodes)
    return {
        p: (round(degree[i] / n, 6), round(between[i] / pairs, 6), round(eigen[i], 6))
        for p, i in index.items()
    }


def source_linked_share(record_ids: list[int], links: pd.DataFrame) -> float | None:
    """Share of the group's record pairs that the sources connected through their own links."""
    if len(record_ids) < 2:
        return None
    ids = set(record_ids)
    parent = {r: r for r in ids}

    def find(r: int) -> int:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    mine = links[links["record_id"].isin(ids) & links["to_record_id"].isin(ids)]
    for a, b in mine.itertuples(index=False):
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    sizes = Counter(find(r) for r in ids)
    linked = sum(c * (c - 1) / 2 for c in sizes.values())
    total = len(ids) * (len(ids) - 1) / 2
    return round(linked / total, 6)
