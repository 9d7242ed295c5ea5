"""Benchmark: typology, flag findings and offender groups against the synthetic world's truth,
and the network stage's speed at 1,000,000 cases.

    python benchmarks/bench_classify_network.py quality --database sqlite:///store.db --truth DIR/truth
    python benchmarks/bench_classify_network.py speed --cases 1000000

`quality` reads a store on which synth -> ingest -> link -> classify -> network have run.
`speed` builds network inputs of the size of a world with that many cases directly (the
records, resolved mentions, objects and places the pipeline would give; no database) and
times graph build + groups + measures + stability, with peak memory (max RSS; tracemalloc's
peak with --trace, which slows the run), and a floor measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

import igraph as ig
import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from casereview.classify.facts import load_facts
from casereview.classify.lexicon import find_indicators
from casereview.classify.rules import _ONLINE_OFFENCE
from casereview.model.tables import (
    classifications,
    flag_findings,
    group_members,
    groups,
    mention_person,
    mentions,
    records,
    sources,
)
from casereview.network.graph import NetworkInputs, build_graph
from casereview.network.stage import find_groups
from casereview.settings import get_settings
from casereview.store.db import make_engine, reading

LABELS = (
    "group_based",
    "gang_associated",
    "intra_familial",
    "peer_on_peer",
    "institutional",
    "online_facilitated",
    "lone_offender",
    "cse_likely",
)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def quality(database: str, truth: Path) -> None:
    engine = make_engine(database)
    with reading(engine) as conn:
        ref_of = {
            r.id: (r.name, r.source_ref)
            for r in conn.execute(
                select(records.c.id, sources.c.name, records.c.source_ref).join(
                    sources, sources.c.id == records.c.source_id
                )
            )
        }
        got_labels = {
            (ref_of[r.record_id], r.label)
            for r in conn.execute(select(classifications.c.record_id, classifications.c.label))
        }
        got_findings = {
            (ref_of[r.record_id], r.code)
            for r in conn.execute(select(flag_findings.c.record_id, flag_findings.c.code))
        }
        person_of = {
            (r.name, r.mention_key): r.person_id
            for r in conn.execute(
                select(sources.c.name, mentions.c.mention_key, mention_person.c.person_id)
                .join(mentions, mentions.c.source_id == sources.c.id)
                .join(mention_person, mention_person.c.mention_id == mentions.c.id)
            )
        }
        detected: dict[int, set[int]] = defaultdict(set)
        for grow in conn.execute(
            select(group_members.c.group_id, group_members.c.person_id)
            .join(groups, groups.c.id == group_members.c.group_id)
            .where(groups.c.active.is_(True), group_members.c.role == "offender")
        ):
            detected[grow.group_id].add(grow.person_id)
    truth_labels: set[tuple[tuple[str, str], str]] = set()
    with (truth / "records.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["source"], row["record_ref"])
            if row["is_cse"] in ("1", "True", "true", "Y"):
                truth_labels.add((key, "cse_likely"))
            for label in filter(None, row["typology"].split(";")):
                if label != "cse_likely":
                    truth_labels.add((key, label))
    truth_findings: set[tuple[tuple[str, str], str]] = set()
    with (truth / "failures.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["code"] in ("missing_cse_flag", "wrong_cse_flag", "police_la_mismatch"):
                truth_findings.add(((row["source"], row["record_ref"]), row["code"]))
    truth_person: dict[str, set[int]] = defaultdict(set)
    with (truth / "mentions.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            pid = person_of.get((row["source"], row["mention_key"]))
            if pid is not None:
                truth_person[row["person_id"]].add(pid)
    truth_groups: dict[str, set[int]] = defaultdict(set)
    with (truth / "groups.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["role"] == "offender":
                truth_groups[row["group_id"]] |= truth_person.get(row["person_id"], set())

    print(
        "| label | truth | found | precision | recall | F1 |\n| --- | --- | --- | --- | --- | --- |"
    )
    for label in LABELS:
        t = {k for k, lab in truth_labels if lab == label}
        g = {k for k, lab in got_labels if lab == label}
        p, r, f = _prf(len(t & g), len(g - t), len(t - g))
        print(f"| {label} | {len(t)} | {len(g)} | {p:.3f} | {r:.3f} | {f:.3f} |")
    traceable = _online_traceable(engine, truth)
    t = {k for k, lab in truth_labels if lab == "online_facilitated"}
    g = {k for k, lab in got_labels if lab == "online_facilitated"}
    hidden = t - traceable
    p, r, f = _prf(len((t - hidden) & g), len(g - t), len((t - hidden) - g))
    print(
        f"\nonline_facilitated: {len(hidden)} of {len(t)} true records carry no online trace, "
        "neither themselves nor any record of the same true child (online place, online id "
        "on a non-intelligence record, online-harm factor, online words or offence); on the "
        f"{len(t) - len(hidden)} traceable ones (untraceable excluded from both sides): "
        f"precision {p:.3f}, recall {r:.3f}, F1 {f:.3f}"
    )
    print(
        "\n| finding | truth | found | precision | recall | F1 |\n| --- | --- | --- | --- | --- | --- |"
    )
    for code in ("missing_cse_flag", "wrong_cse_flag", "police_la_mismatch"):
        t = {k for k, c in truth_findings if c == code}
        g = {k for k, c in got_findings if c == code}
        p, r, f = _prf(len(t & g), len(g - t), len(t - g))
        print(f"| {code} | {len(t)} | {len(g)} | {p:.3f} | {r:.3f} | {f:.3f} |")
    best = []
    for members in truth_groups.values():
        scores = [len(members & d) / len(members | d) for d in detected.values() if members & d]
        best.append(max(scores, default=0.0))
    mean = sum(best) / len(best) if best else 0.0
    share = sum(1 for b in best if b >= 0.5) / len(best) if best else 0.0
    print(
        f"\ngroups: {len(truth_groups)} true, {len(detected)} detected; best Jaccard of true "
        f"groups' offenders: mean {mean:.3f}, share >= 0.5: {share:.3f}"
    )


def _online_traceable(engine: Engine, truth: Path) -> set[tuple[str, str]]:
    """(source, ref) of every record that carries an online trace itself or shares a true
    child with a record that does: the records an online label could be justified on."""
    with reading(engine) as conn:
        facts = load_facts(conn)
        key_of = {
            r.id: (r.name, r.mention_key)
            for r in conn.execute(
                select(mentions.c.id, sources.c.name, mentions.c.mention_key).join(
                    sources, sources.c.id == mentions.c.source_id
                )
            )
        }
    true_person: dict[tuple[str, str], str] = {}
    with (truth / "mentions.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            true_person[(row["source"], row["mention_key"])] = row["person_id"]
    children: dict[int, set[str]] = {}
    traced_children: set[str] = set()
    traced: set[int] = set()
    for rid, fact in facts.items():
        kids = {true_person.get(key_of[m.mention_id], "") for m in fact.victims()} - {""}
        children[rid] = kids
        words = any(h.kind == "online" for h in find_indicators(fact.narrative))
        if (
            "online" in fact.location_types
            or (fact.online_ids and fact.record_type != "intelligence")
            or "online" in fact.factors
            or words
            or _ONLINE_OFFENCE.search(fact.offence)
        ):
            traced.add(rid)
            traced_children |= kids
    return {
        (facts[rid].source_name, facts[rid].source_ref)
        for rid in facts
        if rid in traced or children[rid] & traced_children
    }


def synthetic_inputs(cases: int, seed: int = 1) -> NetworkInputs:
    """Inputs shaped like the synthetic world: per 1,000 cases ~1.3 groups of 2-9 offenders,
    ~150 lone/other CSE records, intelligence, objects, and mega-places used by everyone."""
    rng = random.Random(seed)
    recs: list[tuple[int, str, object, str, bool]] = []
    people: list[tuple[int, int, int, str]] = []
    objs: list[tuple[int, int, float]] = []
    places: list[tuple[int, int]] = []
    ids = {"record": 0, "mention": 0, "person": 0}

    def new(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    def record(kind: str, cse: bool, place: int, cast: list[tuple[int, str]]) -> int:
        rid = new("record")
        recs.append((rid, kind, None, "B", cse))
        for person, side in cast:
            people.append((new("mention"), rid, person, side))
        places.append((rid, place))
        return rid

    n_places = max(cases // 5, 10)
    for _ in range(int(cases * 0.0013) + 1):  # groups
        offenders = [new("person") for _ in range(rng.randint(2, 9))]
        venue = rng.randint(1, n_places)
        for _ in range(rng.randint(2, 8)):
            kid = new("person")
            for _ in range(rng.randint(1, 4)):
                suspects = rng.sample(offenders, min(len(offenders), rng.randint(1, 3)))
                rid = record(
                    "crime",
                    True,
                    rng.choice((venue, 1)),
                    [(kid, "victim"), *[(s, "suspect") for s in suspects]],
                )
                objs.append((rid, 1_000_000 + offenders[0], float("nan")))
    for _ in range(int(cases * 0.4)):  # lone, intra, peer and ordinary crimes
        cse = rng.random() < 0.45
        record(
            "crime",
            cse,
            rng.choice((1, 2, rng.randint(1, n_places))),
            [(new("person"), "victim"), (new("person"), "suspect")],
        )
    for _ in range(int(cases * 0.6)):  # referrals, missing episodes, intelligence
        record(
            "missing_episode",
            rng.random() < 0.3,
            rng.randint(1, n_places),
            [(new("person"), "victim")],
        )
    return NetworkInputs(
        pd.DataFrame(recs, columns=["record_id", "record_type", "occurred_at", "borough", "cse"]),
        pd.DataFrame(people, columns=["mention_id", "record_id", "person", "side"]),
        pd.DataFrame(objs, columns=["record_id", "object_id", "mention_id"]),
        pd.DataFrame(places, columns=["record_id", "place"]),
        pd.DataFrame(
            {"record_id": pd.Series(dtype="int64"), "to_record_id": pd.Series(dtype="int64")}
        ),
    )


def speed(cases: int, trace: bool = False) -> None:
    """Time graph + groups + describe + stability, and a floor in the same run: igraph alone
    building the same typed graph from integer arrays and finding its connected components."""
    start = time.perf_counter()
    inputs = synthetic_inputs(cases)
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"inputs for {cases} cases: {len(inputs.records)} records, {len(inputs.people)} "
        f"mentions ({time.perf_counter() - start:.1f} s to generate, not timed below; "
        f"max RSS after generating {rss_inputs:.0f} MB)"
    )
    pairs = pd.DataFrame(
        {
            "mention_a_id": inputs.people["mention_id"].iloc[::50].to_numpy(),
            "mention_b_id": inputs.people["mention_id"]
            .iloc[1::50]
            .to_numpy()[: len(inputs.people["mention_id"].iloc[::50])],
            "match_weight": 20.0,
        }
    )
    if trace:  # tracemalloc slows every allocation down: only when asked, and not timed
        tracemalloc.start()
    start = time.perf_counter()
    graph = build_graph(inputs)
    t_graph = time.perf_counter() - start
    detected, timings = find_groups(inputs, get_settings(), pairs)
    total = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if trace else float("nan")
    if trace:
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    edges = np.asarray(graph.get_edgelist(), dtype=np.int64)
    start = time.perf_counter()
    floor = ig.Graph(n=graph.vcount(), edges=edges, directed=False)
    components = len(floor.connected_components())
    t_floor = time.perf_counter() - start
    print(
        f"graph {graph.vcount()} vertices / {graph.ecount()} edges in {t_graph:.1f} s; "
        f"{len(detected)} groups; timings "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        + f"; total {total:.1f} s; max RSS {rss:.0f} MB"
        + (f", peak traced {peak:.0f} MB" if trace else "")
    )
    print(
        f"floor: igraph Graph(n, edges) + connected_components on the same {len(edges)} edges "
        f"({components} components): {t_floor:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--database", required=True)
    q.add_argument("--truth", type=Path, required=True)
    s = sub.add_parser("speed")
    s.add_argument("--cases", type=int, default=1_000_000)
    s.add_argument("--trace", action="store_true", help="also report tracemalloc's peak")
    args = parser.parse_args()
    if args.command == "quality":
        quality(args.database, args.truth)
    else:
        speed(args.cases, args.trace)


if __name__ == "__main__":
    main()
