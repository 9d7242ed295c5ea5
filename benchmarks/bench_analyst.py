"""The analyst's pictures on pipeline-built worlds of several seeds, clean and noisy:

    .venv/bin/python benchmarks/bench_analyst.py --cases 300 --seeds 7 11 19 [--write-results]

For each world (synth, ingest, pipeline): the possible-matches queue (near misses, splits),
the chart of every group (nodes, edges, nodes drawn closer than 18 px to another, i.e. shapes
that touch, person names shared by two nodes before the labels are told apart and after,
the same positions on a second layout), and times: reading the chronology of the person with
most records is the baseline; rendering it as PDF and building the largest group's chart are
given as ratios to it, measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from casereview.ingest import ingest_directory
from casereview.link.matches import possible_matches
from casereview.model.tables import group_members, groups, mention_person, persons
from casereview.network.chart import ChartRequest, build_chart
from casereview.pipeline import run_pipeline
from casereview.report.chronology import build_chronology, render_chronology_pdf
from casereview.store.access import system_actor
from casereview.store.db import make_engine, reading
from casereview.store.migrate import upgrade
from casereview.synth import SynthConfig, generate_world
from casereview.synth.config import parse_overrides
from pipeline_world import MAPPINGS


def _world(folder: Path, cases: int, seed: int, clean: bool) -> str:
    config = SynthConfig(cases=cases, seed=seed)
    if clean:
        config = replace(config, noise=parse_overrides(config.noise, "none", "--noise"))
    generate_world(config, folder / "data", workers=1)
    url = f"sqlite:///{folder / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    ingest_directory(engine, MAPPINGS, folder / "data", "bench")
    run_pipeline(engine, actor="bench")
    engine.dispose()
    return url


def _measure(url: str) -> dict[str, object]:
    engine = make_engine(url)
    actor = system_actor()
    out: dict[str, object] = {}
    with reading(engine) as conn:
        queue = possible_matches(conn, actor)
        kinds = Counter(m.kind for m in queue)
        out["near_miss"], out["split"] = kinds["near_miss"], kinds["split"]
        group_ids = list(conn.execute(select(groups.c.id).order_by(groups.c.id)).scalars())
        touching = nodes = edges = shared_names = shared_labels = 0
        same = True
        for gid in group_ids:
            chart = build_chart(conn, actor, ChartRequest("group", gid))
            again = build_chart(conn, actor, ChartRequest("group", gid))
            same &= chart.positions() == again.positions()
            pos = np.array([(n.x, n.y) for n in chart.nodes])
            dist = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))
            close = (dist < 18.0) & ~np.eye(len(pos), dtype=bool)
            touching += int(close.any(axis=1).sum())
            nodes, edges = nodes + len(chart.nodes), edges + len(chart.edges)
            people = [n for n in chart.nodes if n.kind == "person"]
            names = dict(
                conn.execute(
                    select(persons.c.id, persons.c.display_name).where(
                        persons.c.id.in_([int(p.id.split(":")[1]) for p in people])
                    )
                ).all()
            )
            shared_names += sum(c for c in Counter(names.values()).values() if c > 1)
            shared_labels += sum(c for c in Counter(p.label for p in people).values() if c > 1)
        out.update(groups=len(group_ids), nodes=nodes, edges=edges, touching=touching)
        out.update(shared_names=shared_names, shared_labels=shared_labels, same_positions=same)
        busiest = conn.execute(
            select(mention_person.c.person_id)
            .group_by(mention_person.c.person_id)
            .order_by(func.count().desc(), mention_person.c.person_id)
            .limit(1)
        ).scalar_one()
        t0 = time.perf_counter()
        chron = build_chronology(conn, actor, int(busiest))
        base = time.perf_counter() - t0
        t1 = time.perf_counter()
        render_chronology_pdf(chron)
        pdf = time.perf_counter() - t1
        largest = conn.execute(
            select(group_members.c.group_id)
            .group_by(group_members.c.group_id)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar()
        chart_s = 0.0
        if largest is not None:
            t2 = time.perf_counter()
            build_chart(conn, actor, ChartRequest("group", int(largest)))
            chart_s = time.perf_counter() - t2
        out.update(records=len(chron.entries), base_s=base, pdf_ratio=pdf / base)
        out.update(chart_ratio=chart_s / base)
    engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11, 19])
    args = parser.parse_args()
    header = (
        "world | near misses | splits | groups | nodes | edges | nodes touching | "
        "names shared / labels shared | same positions | chronology records | "
        "read (s, baseline) | PDF / read | chart / read"
    )
    print(header)
    print("|".join(["---"] * header.count("|")) + "|---")
    for clean in (False, True):
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as folder:
                url = _world(Path(folder), args.cases, seed, clean)
                m = _measure(url)
            name = f"{'clean' if clean else 'noisy'} seed {seed}"
            print(
                f"{name} | {m['near_miss']} | {m['split']} | {m['groups']} | {m['nodes']} | "
                f"{m['edges']} | {m['touching']} | {m['shared_names']} / {m['shared_labels']} | "
                f"{m['same_positions']} | {m['records']} | {m['base_s']:.3f} | "
                f"{m['pdf_ratio']:.1f}x | {m['chart_ratio']:.1f}x",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
