"""The network stage: offender groups with members, victims, records, measures and stability.

Replaces the active rows of `groups` and `group_members` inside one stage run. Group ids are
stable across runs; groups that no longer exist stay in `groups` with active = false (their
members are kept), so review work that refers to them still resolves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from casereview.classify.stage import require_link
from casereview.errors import StageError
from casereview.model.tables import group_members, groups, match_pairs
from casereview.network.describe import DetectedGroup, describe_groups
from casereview.network.graph import (
    NetworkInputs,
    TieWeights,
    build_graph,
    load_inputs,
    offender_ties,
    police_suspects,
)
from casereview.network.groups import assign_stable_ids, detect_groups
from casereview.network.stability import best_jaccards, strict_person_map
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
        n.weight_shared_nickname,
        n.weight_same_name,
    )


def _detect(inputs: NetworkInputs, settings: Settings) -> tuple[pd.DataFrame, list[frozenset[int]]]:
    ties = offender_ties(inputs, _weights(settings))
    n = settings.network
    found = detect_groups(
        ties, max_component_size=n.max_component_size, resolution=n.leiden_resolution, seed=n.seed
    )
    suspected = police_suspects(inputs)
    return ties, [g for g in found if len(g & suspected) >= 2]


def find_groups(
    inputs: NetworkInputs, settings: Settings, pairs: pd.DataFrame | None = None
) -> tuple[list[DetectedGroup], dict[str, float]]:
    """Detect and describe every group (ids not yet assigned); timings in seconds."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    ties, found = _detect(inputs, settings)
    timings["groups"] = time.perf_counter() - start
    start = time.perf_counter()
    detected = describe_groups(found, inputs, ties)
    timings["describe"] = time.perf_counter() - start
    if pairs is not None:
        start = time.perf_counter()
        strict_map, origin = strict_person_map(
            inputs.people, pairs, settings.link.strict_match_weight_threshold
        )
        strict_people = inputs.people.assign(
            person=inputs.people["mention_id"].map(strict_map).astype("int64")
        )
        strict_inputs = inputs.with_people(strict_people)
        _, strict_groups = _detect(strict_inputs, settings)
        scores = best_jaccards([g.offenders for g in detected], strict_groups, origin)
        for group, score in zip(detected, scores, strict=True):
            group.row["stability"] = score
            group.row["stable"] = score >= settings.network.stable_jaccard
        timings["stability"] = time.perf_counter() - start
    return detected, timings


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
