"""Per-group measures: member centralities (kept apart, never combined) and source linking.

Both are computed on one group's own small graph (its offenders and victims; its records),
never on the whole network: the callers hand over the group's rows, already cut.
"""

from __future__ import annotations

from collections import Counter

import igraph as ig
import numpy as np

__all__ = ["centralities", "source_linked_share"]


def centralities(
    offenders: frozenset[int],
    tie_a: np.ndarray,
    tie_b: np.ndarray,
    person: np.ndarray,
    victim: np.ndarray,
) -> dict[int, tuple[float, float, float]]:
    """person -> (degree, betweenness, eigenvector) on the group's graph of offenders and victims.

    `tie_a`/`tie_b` are the ties between the group's offenders, `person`/`victim` the
    offender-victim pairs of the group's offenders' records. Degree and betweenness are
    normalised to 0-1 by the group's size; eigenvector centrality is scaled so that the most
    central member has 1. The three are stored separately on purpose: each answers a
    different question (most ties; most bridging; best connected).
    """
    nodes = sorted(set(offenders) | {int(v) for v in victim})
    index = {p: i for i, p in enumerate(nodes)}
    edges = {(index[int(a)], index[int(b)]) for a, b in zip(tie_a, tie_b, strict=True)}
    edges |= {(index[int(p)], index[int(v)]) for p, v in zip(person, victim, strict=True) if p != v}
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


def source_linked_share(
    record_ids: list[int], link_from: np.ndarray, link_to: np.ndarray
) -> float | None:
    """Share of the group's record pairs that the sources connected through their own links.

    `link_from`/`link_to` are the source links between the group's records.
    """
    if len(record_ids) < 2:
        return None
    ids = set(record_ids)
    parent = {r: r for r in ids}

    def find(r: int) -> int:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    for a, b in zip(link_from, link_to, strict=True):
        if int(a) in ids and int(b) in ids:
            ra, rb = find(int(a)), find(int(b))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    sizes = Counter(find(r) for r in ids)
    linked = sum(c * (c - 1) / 2 for c in sizes.values())
    total = len(ids) * (len(ids) - 1) / 2
    return round(linked / total, 6)
