"""Linkage quality on the synthetic London world, loaded through the normal ingest route.

Builds a world (`casereview synth`), imports the four sources with their mappings into a
fresh SQLite store (`casereview ingest`), runs the whole link stage (`run_link`) and scores
the persons against `truth/mentions.csv`: pairwise and B-cubed F1, and the blocking recall
(share of true pairs that share a blocking key after the skewed-block guard).

    .venv/bin/python benchmarks/bench_link_synth.py --cases 9000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pandas as pd
from link_synth_eval import (
    store_blocking_recall,
    synth_and_ingest,
    timed_link,
    truth_by_mention_id,
)
from sqlalchemy import select

from casereview.link.cluster import cluster_mentions, strongest_only
from casereview.link.evaluate import bcubed, pairwise
from casereview.link.frame import unanchored
from casereview.model.tables import match_pairs
from casereview.store.db import make_engine, reading


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default="typical", help="clean, typical or sparse")
    parser.add_argument(
        "--thresholds",
        type=float,
        nargs="*",
        default=[8.0, 9.0, 10.0],
        help="also cluster the stored pairs at these match weights (no new model)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        world, db = synth_and_ingest(
            Path(tmp), cases=args.cases, seed=args.seed, profile=args.profile
        )
        engine = make_engine(f"sqlite:///{db}")
        truth = truth_by_mention_id(engine, world)
        recall, n_true, frame = store_blocking_recall(engine, truth)
        result, seconds, pred = timed_link(engine)
        pw, b3 = pairwise(pred, truth), bcubed(pred, truth)
        print(
            f"synthetic world {args.cases} cases ({args.profile}, seed {args.seed}): "
            f"{result.mentions} mentions, "
            f"{len(set(truth.values()))} true persons, {result.persons} persons found\n"
            f"  pairwise P {pw.precision:.4f} R {pw.recall:.4f} F1 {pw.f1:.4f}\n"
            f"  B-cubed  P {b3.precision:.4f} R {b3.recall:.4f} F1 {b3.f1:.4f}\n"
            f"  blocking recall {recall:.4f} over {n_true} true pairs\n"
            f"  link stage {seconds:.1f} s (train {result.timings['train_s']:.1f}, "
            f"predict {result.timings['predict_s']:.1f}, cluster {result.timings['cluster_s']:.1f}); "
            f"{result.pairs_scored} pairs scored, {result.pairs_stored} stored"
        )
        # The stored pairs (down to threshold - near-miss margin) clustered at other weights.
        with reading(engine) as conn:
            stored = pd.DataFrame(
                conn.execute(
                    select(
                        match_pairs.c.mention_a_id.label("unique_id_l"),
                        match_pairs.c.mention_b_id.label("unique_id_r"),
                        match_pairs.c.match_weight,
                    )
                ).all(),
                columns=["unique_id_l", "unique_id_r", "match_weight"],
            )
        weak = unanchored(frame)
        for threshold in args.thresholds:
            kept = strongest_only(stored, weak, threshold)
            other = cluster_mentions(list(pred), kept, threshold)
            sw = pairwise(other.labels, truth)
            print(
                f"  at match weight {threshold}: P {sw.precision:.4f} R {sw.recall:.4f} F1 {sw.f1:.4f}"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
