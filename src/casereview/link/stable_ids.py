"""Stable person ids across re-linking, and the lineage of every old id.

Each new cluster keeps the id of the previous person it overlaps most: all (new cluster,
old person) overlaps are taken greedily from the largest, each old id used at most once and
each new cluster given at most one. Clusters left over get new ids (max id ever used + 1, in
order of their smallest mention id). Decisions, notes and judgements attached to a person
therefore stay with the people they were about; ids that no cluster keeps are retired
(kept in `persons` with active = false) so that what refers to them stays reachable.

Lineage (one row per old id and new cluster it touches): `kept` (the cluster took the id),
`split` (part of the old person went to a cluster with another id, and the rest elsewhere),
`merged` (all of the old person went to a cluster with another id), `retired` (the old id
is no longer used), `new` (a cluster with no previous person; old and new id are its own id).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["IdAssignment", "LineageRow", "assign_stable_ids"]


@dataclass(frozen=True)
class LineageRow:
    """What became of one old person id (or where a new one came from)."""

    old_person_id: int
    new_person_id: int | None
    change: str  # kept | split | merged | retired | new
    overlap: int


@dataclass
class IdAssignment:
    """Person id per cluster label, and the lineage of the change."""

    person_of_cluster: dict[int, int]
    lineage: list[LineageRow] = field(default_factory=list)
    retired: list[int] = field(default_factory=list)


def assign_stable_ids(
    clusters: Mapping[int, list[int]],
    previous: Mapping[int, int],
    *,
    max_used_id: int,
    active_before: set[int] | None = None,
) -> IdAssignment:
    """Assign person ids to `clusters` (label -> mention ids) given `previous` (mention id ->
    person id of the last run). `max_used_id` is the largest person id ever issued;
    `active_before` the ids active before this run (default: those in `previous`)."""
    overlaps: Counter[tuple[int, int]] = Counter()
    for label, members in clusters.items():
        for mention in members:
            old = previous.get(mention)
            if old is not None:
                overlaps[(label, old)] += 1
    # Greedy by overlap size; ties by the older (smaller) person id, then the smaller label.
    ranked = sorted(overlaps.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0]))
    person_of: dict[int, int] = {}
    used: set[int] = set()
    for (label, old), _n in ranked:
        if label in person_of or old in used:
            continue
        person_of[label] = old
        used.add(old)
    next_id = max_used_id + 1
    for label in sorted(clusters):
        if label not in person_of:
            person_of[label] = next_id
            next_id += 1

    pieces: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    for (label, old), n in overlaps.items():
        pieces[old].append((label, n))
    lineage: list[LineageRow] = []
    for old in sorted(pieces):
        parts = sorted(pieces[old], key=lambda p: (-p[1], p[0]))
        for label, n in parts:
            new = person_of[label]
            change = "kept" if new == old else ("split" if len(parts) > 1 else "merged")
            lineage.append(LineageRow(old, new, change, n))
    before = set(previous.values()) if active_before is None else set(active_before)
    retired = sorted(before - used)
    lineage.extend(LineageRow(old, None, "retired", 0) for old in retired)
    continuing = {label for (label, _old) in overlaps}
    for label in sorted(clusters):
        if label not in continuing:
            pid = person_of[label]
            lineage.append(LineageRow(pid, pid, "new", len(clusters[label])))
    return IdAssignment(person_of_cluster=person_of, lineage=lineage, retired=retired)
