"""Linkage at about 1,000,000 person mentions: train + predict + cluster time, peak RSS, F1.

The store is built once by the synthetic world and the normal ingest route (about 190,000
cases give about 1,000,000 mentions, see docs/synthetic-data.md):

    casereview synth --cases 190000 --seed 1 --out /tmp/link_1m/world
    CASEREVIEW_DATABASE_URL=sqlite:////tmp/link_1m/store.db casereview init
    for s in met_crime met_intel la_csc met_missing; do
      CASEREVIEW_DATABASE_URL=sqlite:////tmp/link_1m/store.db \\
        casereview ingest mappings/$s.yaml --data-dir /tmp/link_1m/world; done
    .venv/bin/python benchmarks/bench_link_1m.py --store /tmp/link_1m/store.db \\
        --world /tmp/link_1m/world

The frame is read and built from the store (timed apart), then `predict_persons` (guard with
the cap scaled to the size, train on a 150k-mention sample, one lean predict over every
mention, cluster; then the same with record context) runs on DuckDB with 2 threads; peak RSS of this
process is read from the kernel (ru_maxrss) at the end. Pairwise F1 is against the world's
truth/mentions.csv.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from link_synth_eval import truth_by_mention_id

from casereview.link.cluster import cluster_mentions
from casereview.link.evaluate import pairwise
from casereview.link.frame import build_frame, load_mention_rows
from casereview.link.stage import predict_persons
from casereview.store.db import make_engine, reading


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default="/tmp/link_1m/store.db")
    parser.add_argument("--world", default="/tmp/link_1m/world")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[8.0, 9.0, 10.0, 11.0])
    args = parser.parse_args()
    engine = make_engine(f"sqlite:///{args.store}")
    started = time.perf_counter()
    with reading(engine) as conn:
        rows = load_mention_rows(conn)
    frame = build_frame(rows)
    del rows
    built = time.perf_counter() - started
    truth = truth_by_mention_id(engine, Path(args.world))
    started = time.perf_counter()
    prediction = predict_persons(frame, detail=False, progress=lambda m: print("  ..", m))
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pw = pairwise(prediction.clustering.labels, truth)
    t = prediction.timings
    print(
        f"{len(frame)} mentions: read + frame {built:.1f} s; train + predict + cluster "
        f"{seconds:.1f} s (train {t['train_s']:.1f}, predict {t['predict_s']:.1f}, "
        f"cluster {t['cluster_s']:.1f}); {len(prediction.pairs)} pairs; peak RSS "
        f"{peak_mib:.0f} MiB\n  pairwise P {pw.precision:.4f} R {pw.recall:.4f} F1 {pw.f1:.4f}"
    )
    for note in prediction.notes:
        if note.startswith("skewed-block guard"):
            print("  " + note)
    # The same scored pairs clustered at other thresholds (weights do not scale with size).
    ids = frame["unique_id"].tolist()
    for threshold in args.thresholds:
        other = cluster_mentions(ids, prediction.pairs, threshold)
        s = pairwise(other.labels, truth)
        print(f"  at match weight {threshold}: P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}")


if __name__ == "__main__":
    main()
