"""The network stage: offender groups with members, victims, records, measures and stability.

Replaces the active rows of `groups` and `group_members` inside one stage run. Group ids are
stable across runs; groups that no longer exist stay in `groups` with active = false (their
members are kept), so review work that refers to them still resolves.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from casereview.classify.stage import require_link
from casereview.errors import StageError
from casereview.model.serial import canonical_json
from casereview.model.tables import group_members, groups, match_pairs
from casereview.network.graph import (
    NetworkInputs,
    TieWeights,
    build_graph,
    cse_people,
    load_inputs,
    offender_ties,
)
from casereview.network.groups import assign_stable_ids, detect_groups
from casereview.network.metrics import centralities, source_linked_share
from casereview.network.stability import best_jaccard, strict_person_map
from casereview.settings import Settings, get_settings
from casereview.store.runs import latest_run, stage_run

__all__ = ["DetectedGroup", "NetworkResult", "find_groups", "run_network"]


@dataclass(frozen=True)
class NetworkResult:
    """What a network run produced."""

    run_id: int
    groups: int
    retired: int
    stable: int
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class DetectedGroup:
    """One group before it is written."""

    offenders: frozenset[int]
    victims: list[int]
    records: list[int]
    row: dict[str, Any]
    members: list[dict[str, Any]]


def _weights(settings: Settings) -> TieWeights:
    n = settings.network
    return TieWeights(
        n.weight_co_offending,
        n.weight_shared_victim,
        n.weight_named_in_intelligence,
        n.weight_shared_object,
        n.weight_shared_place,
        n.min_tie_weight,
        n.max_place_degree,
    )


def _detect(inputs: NetworkInputs, settings: Settings) -> tuple[pd.DataFrame, list[frozenset[int]]]:
    ties = offender_ties(inputs, _weights(settings))
    n = settings.network
    return ties, detect_groups(
        ties, max_component_size=n.max_component_size, resolution=n.leiden_resolution, seed=n.seed
    )


def find_groups(
    inputs: NetworkInputs, settings: Settings, pairs: pd.DataFrame | None = None
) -> tuple[list[DetectedGroup], dict[str, float]]:
    """Detect and describe every group (ids not yet assigned); timings in seconds."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    ties, found = _detect(inputs, settings)
    timings["groups"] = time.perf_counter() - start
    start = time.perf_counter()
    suspects, victims = cse_people(inputs)
    sv = (
        suspects[["record_id", "person"]]
        .drop_duplicates()
        .merge(victims.rename(columns={"person": "victim"}), on="record_id")
    )
    recs = inputs.records.set_index("record_id")
    by_person = suspects.groupby("person")["record_id"].agg(lambda r: sorted(set(r)))
    detected: list[DetectedGroup] = []
    for offenders in found:
        record_ids = sorted({r for p in offenders for r in by_person.get(p, [])})
        mine = sv[sv["record_id"].isin(record_ids)]
        victim_ids = sorted(set(mine["victim"].astype(int)) - offenders)
        detected.append(_describe(offenders, victim_ids, record_ids, recs, inputs, ties, mine))
    timings["describe"] = time.perf_counter() - start
    if pairs is not None:
        start = time.perf_counter()
        strict_map, origin = strict_person_map(
            inputs.people, pairs, settings.link.strict_match_weight_threshold
        )
        strict_people = inputs.people.assign(
            person=inputs.people["mention_id"].map(strict_map).astype("int64")
        )
        strict_inputs = NetworkInputs(
            inputs.records, strict_people, inputs.objects, inputs.places, inputs.links
        )
        _, strict_groups = _detect(strict_inputs, settings)
        for group in detected:
            score = best_jaccard(group.offenders, strict_groups, origin)
            group.row["stability"] = score
            group.row["stable"] = score >= settings.network.stable_jaccard
        timings["stability"] = time.perf_counter() - start
    return detected, timings


def _describe(
    offenders: frozenset[int],
    victim_ids: list[int],
    record_ids: list[int],
    recs: pd.DataFrame,
    inputs: NetworkInputs,
    ties: pd.DataFrame,
    sv: pd.DataFrame,
) -> DetectedGroup:
    rows = recs.loc[record_ids]
    days = sorted(d for d in rows["occurred_at"] if d is not None and not pd.isna(d))
    boroughs = sorted({b for b in rows["borough"] if isinstance(b, str) and b})
    places = inputs.places[inputs.places["record_id"].isin(record_ids)]
    place_counts = places.groupby("place")["record_id"].nunique()
    objs = inputs.objects[inputs.objects["record_id"].isin(record_ids)]
    obj_counts = objs.groupby("object_id")["record_id"].nunique()
    inner = ties[ties["a"].isin(offenders) & ties["b"].isin(offenders)]
    kinds = Counter(k for ks in inner["kinds"] for k in ks.split(","))
    measures = centralities(offenders, ties, sv)
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
        "recurring_places": sorted(int(p) for p in place_counts[place_counts >= 2].index),
        "recurring_objects": sorted(int(o) for o in obj_counts[obj_counts >= 2].index),
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
        "source_linked": source_linked_share(record_ids, inputs.links),
        "summary": canonical_json(summary),
        "active": True,
    }
    return DetectedGroup(offenders, victim_ids, record_ids, row, members)


def _old_groups(conn: Connection) -> tuple[dict[int, frozenset[int]], int]:
    rows = conn.execute(
        select(group_members.c.group_id, group_members.c.person_id)
        .join(groups, groups.c.id == group_members.c.group_id)
        .where(groups.c.active.is_(True), group_members.c.role == "offender")
    ).all()
    old: dict[int, set[int]] = {}
    for gid, pid in rows:
        old.setdefault(int(gid), set()).add(int(pid))
    highest = conn.execute(select(func.max(groups.c.id))).scalar_one() or 0
    return {g: frozenset(p) for g, p in old.items()}, int(highest)


def run_network(
    engine: Engine, *, actor: str = "cli", settings: Settings | None = None
) -> NetworkResult:
    """Build the network, detect offender groups and write them with stable ids."""
    cfg = settings or get_settings()
    params = {
        "network": cfg.network.model_dump(),
        "strict_match_weight_threshold": cfg.link.strict_match_weight_threshold,
    }
    with stage_run(engine, "network", params, actor=actor) as run:
        conn = run.conn
        require_link(conn)
        if latest_run(conn, "classify") is None:
            raise StageError("no classification: run `casereview classify` before `network`")
        start = time.perf_counter()
        inputs = load_inputs(conn)
        pairs = pd.DataFrame.from_records(
            conn.execute(
                select(
                    match_pairs.c.mention_a_id,
                    match_pairs.c.mention_b_id,
                    match_pairs.c.match_weight,
                )
            ).all(),
            columns=["mention_a_id", "mention_b_id", "match_weight"],
        )
        timings = {"load": time.perf_counter() - start}
        start = time.perf_counter()
        graph = build_graph(inputs)
        timings["graph"] = time.perf_counter() - start
        detected, more = find_groups(inputs, cfg, pairs)
        timings.update(more)
        old, highest = _old_groups(conn)
        ids, retired = assign_stable_ids([g.offenders for g in detected], old, highest)
        rewritten = sorted(set(ids) & set(old))
        conn.execute(delete(group_members).where(group_members.c.group_id.in_(rewritten)))
        conn.execute(delete(groups).where(groups.c.id.in_(rewritten)))
        if retired:
            conn.execute(
                update(groups).where(groups.c.id.in_(sorted(retired))).values(active=False)
            )
        if detected:
            conn.execute(
                insert(groups),
                [
                    {"id": gid, "run_id": run.run_id, **g.row}
                    for gid, g in zip(ids, detected, strict=True)
                ],
            )
            conn.execute(
                insert(group_members),
                [
                    {"group_id": gid, **m}
                    for gid, g in zip(ids, detected, strict=True)
                    for m in g.members
                ],
            )
        stable = sum(1 for g in detected if g.row["stable"])
        run.counts.update(
            {
                "groups": len(detected),
                "retired": len(retired),
                "stable": stable,
                "graph_vertices": graph.vcount(),
                "graph_edges": graph.ecount(),
            }
        )
        run.note("timings: " + ", ".join(f"{k}={v:.2f}s" for k, v in timings.items()))
        return NetworkResult(run.run_id, len(detected), len(retired), stable, timings)
