"""Describe every detected group at once: records, victims, dates, places, objects, measures.

All the joins are done once for all groups (one merge of the group-of-offender map with the
suspects, victims, places, objects, ties and source links), then the rows are sorted by group
and cut into one slice per group with `np.searchsorted`. The per-group Python work left is
what must be per group: a small igraph of the group's offenders and victims for the
centralities, and the JSON of its row. Nothing scans a whole table once per group, so the
cost grows with the data, not with data x groups.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from casereview.model.serial import canonical_json
from casereview.network.graph import NetworkInputs, cse_people
from casereview.network.metrics import centralities, source_linked_share
from casereview.values.missing import is_missing

__all__ = ["DetectedGroup", "describe_groups"]


@dataclass
class DetectedGroup:
    """One group before it is written."""

    offenders: frozenset[int]
    victims: list[int]
    records: list[int]
    row: dict[str, Any]
    members: list[dict[str, Any]]


class _Slices:
    """Rows of a frame cut per group (column `g`, 0..n-1) without one filter per group."""

    def __init__(self, frame: pd.DataFrame, n: int) -> None:
        ordered = frame.sort_values("g", kind="stable")
        self.frame = ordered
        self.bounds = np.searchsorted(ordered["g"].to_numpy(), np.arange(n + 1))

    def column(self, name: str, g: int) -> np.ndarray:
        lo, hi = self.bounds[g], self.bounds[g + 1]
        return self.frame[name].to_numpy()[lo:hi]


def describe_groups(
    found: list[frozenset[int]], inputs: NetworkInputs, ties: pd.DataFrame
) -> list[DetectedGroup]:
    """One DetectedGroup per offender set of `found`, in the same order."""
    n = len(found)
    if not n:
        return []
    member = pd.DataFrame(
        [(p, g) for g, offenders in enumerate(found) for p in offenders], columns=["person", "g"]
    )
    suspects, victims = cse_people(inputs)
    group_records = (
        suspects[["record_id", "person"]]
        .merge(member, on="person")[["g", "record_id"]]
        .drop_duplicates()
    )
    sv = (
        suspects[["record_id", "person"]]
        .drop_duplicates()
        .merge(victims.rename(columns={"person": "victim"}), on="record_id")
    )
    # Victims of a group: victims of its records (whoever the record's suspect is).
    group_victims = group_records.merge(sv[["record_id", "victim"]], on="record_id")[
        ["g", "victim"]
    ].drop_duplicates()
    # Offender-victim edges of the group's graph: its own offenders' records only.
    offender_victim = sv.merge(member, on="person")[["g", "person", "victim"]].drop_duplicates()
    recs = group_records.merge(
        inputs.records[["record_id", "occurred_at", "borough"]], on="record_id"
    )
    places = (
        group_records.merge(inputs.places, on="record_id")
        .groupby(["g", "place"])["record_id"]
        .nunique()
        .reset_index()
    )
    objs = (
        group_records.merge(inputs.objects[["record_id", "object_id"]], on="record_id")
        .groupby(["g", "object_id"])["record_id"]
        .nunique()
        .reset_index()
    )
    ga = ties.merge(member.rename(columns={"person": "a"}), on="a")
    inner = ga.merge(member.rename(columns={"person": "b", "g": "gb"}), on="b")
    inner = inner[inner["g"] == inner["gb"]]
    links = inputs.links.merge(group_records, on="record_id").merge(
        group_records.rename(columns={"record_id": "to_record_id", "g": "g_to"}),
        on="to_record_id",
    )
    links = links[links["g"] == links["g_to"]]

    cut = {
        "records": _Slices(group_records, n),
        "victims": _Slices(group_victims, n),
        "ov": _Slices(offender_victim, n),
        "recs": _Slices(recs, n),
        "places": _Slices(places[places["record_id"] >= 2], n),
        "objs": _Slices(objs[objs["record_id"] >= 2], n),
        "inner": _Slices(inner, n),
        "links": _Slices(links, n),
    }
    return [_describe(g, offenders, cut) for g, offenders in enumerate(found)]


def _describe(g: int, offenders: frozenset[int], cut: dict[str, _Slices]) -> DetectedGroup:
    record_ids = sorted({int(r) for r in cut["records"].column("record_id", g)})
    victim_ids = sorted({int(v) for v in cut["victims"].column("victim", g)} - offenders)
    days = sorted(d for d in cut["recs"].column("occurred_at", g) if not is_missing(d))
    boroughs = sorted({b for b in cut["recs"].column("borough", g) if isinstance(b, str) and b})
    kinds = Counter(k for ks in cut["inner"].column("kinds", g) for k in ks.split(","))
    measures = centralities(
        offenders,
        cut["inner"].column("a", g),
        cut["inner"].column("b", g),
        cut["ov"].column("person", g),
        cut["ov"].column("victim", g),
    )
    members = [
        {
            "person_id": p,
            "role": "offender",
            "degree": measures[p][0],
            "betweenness": measures[p][1],
            "eigenvector": measures[p][2],
        }
        for p in sorted(offenders)
    ]
    members += [
        {
            "person_id": v,
            "role": "victim",
            "degree": measures.get(v, (None,) * 3)[0],
            "betweenness": measures.get(v, (None,) * 3)[1],
            "eigenvector": measures.get(v, (None,) * 3)[2],
        }
        for v in victim_ids
    ]
    summary = {
        "records": record_ids,
        "recurring_places": sorted(int(p) for p in cut["places"].column("place", g)),
        "recurring_objects": sorted(int(o) for o in cut["objs"].column("object_id", g)),
        "ties": dict(sorted(kinds.items())),
    }
    row = {
        "size": len(offenders),
        "victim_count": len(victim_ids),
        "record_count": len(record_ids),
        "first_seen": days[0] if days else None,
        "last_seen": days[-1] if days else None,
        "boroughs": canonical_json(boroughs),
        "stable": None,
        "stability": None,
        "source_linked": source_linked_share(
            record_ids, cut["links"].column("record_id", g), cut["links"].column("to_record_id", g)
        ),
        "summary": canonical_json(summary),
        "active": True,
    }
    return DetectedGroup(offenders, victim_ids, record_ids, row, members)
