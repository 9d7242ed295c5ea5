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

The frame is read and built from the store (timed apart, with Python's cyclic garbage
collector paused as `run_link` does), then `predict_persons` (guard with
the cap scaled to the size, train on a 150k-mention sample, one lean predict over every
mention, cluster, record context added to the scored pairs, cluster again) runs on DuckDB
with 2 threads. Peak RSS: the kernel's mark is reset once the frame is built (clear_refs),
so the figure is that of linkage (frame included), printed beside the peak of reading and
building the frame. Pairwise F1 is against the world's truth/mentions.csv.

`--whole-stage` times the whole `casereview link` stage instead (`run_link`: reading the store,
the frame, training, scoring, clustering, explanations, writing persons, pairs and places,
commit) on a copy of the store, with each phase's time and the process's peak RSS;
`--profile FILE` also writes a cProfile of it:

    .venv/bin/python benchmarks/bench_link_1m.py --store /tmp/link_1m/store.db --whole-stage
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import contextlib

import numpy as np
from link_synth_eval import truth_by_mention_id

from casereview.collector import collector_paused
from casereview.link.cluster import cluster_mentions, strongest_only
from casereview.link.evaluate import pairwise
from casereview.link.frame import build_frame, load_mention_rows, unanchored
from casereview.link.stage import predict_persons
from casereview.store.db import make_engine, reading


def _give_back() -> None:
    """Return the memory freed after reading to the system (glibc keeps it otherwise, and it
    would count in the linkage peak)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux: clear_refs 5), so that the
    peak read at the end is that of linkage alone, not of reading the store."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _full_names(rows: Any) -> np.ndarray:
    """Ids of the mentions that carry a forename and a surname (issue 23's scope, as
    `link_synth_eval.mention_facts` counts them), as an array (a few MB, not a set of
    Python ints that would count in the linkage peak)."""
    fore = rows["forenames"].fillna("").astype(str).str.strip() != ""
    sur = rows["surname"].fillna("").astype(str).str.strip() != ""
    return rows.loc[fore & sur, "mention_id"].to_numpy(dtype=np.int64)


def whole_stage(store: str, profile: str | None, keep: str | None = None) -> None:
    """`run_link` on a copy of `store` (the store itself is left as it was); `keep`: where
    the linked copy is kept (for `link_store_diff.py`)."""
    import cProfile
    import shutil
    import tempfile

    from casereview.link.stage import run_link

    with tempfile.TemporaryDirectory(dir=Path(store).parent) as tmp:
        copy = Path(tmp) / "store.db"
        shutil.copyfile(store, copy)
        engine = make_engine(f"sqlite:///{copy}")
        # A store built by an older casereview is upgraded first, as `casereview init` would
        # (not timed; a no-op when it is at this code's revision).
        from casereview.store.migrate import upgrade

        upgrade(engine)
        started = time.perf_counter()
        last = [started]

        def say(message: str) -> None:
            now = time.perf_counter()
            print(f"  {now - started:7.1f} s (+{now - last[0]:5.1f}) {message}", flush=True)
            last[0] = now

        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        result = run_link(engine, progress=say)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        seconds = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = usage.ru_maxrss / 1024
        phases = ", ".join(f"{k[:-2]} {v:.1f}" for k, v in result.timings.items())
        print(
            f"whole link stage: {result.mentions} mentions -> {result.persons} persons, "
            f"{result.pairs_stored} pairs stored, {seconds:.1f} s ({phases}); CPU of the "
            f"process {usage.ru_utime + usage.ru_stime:.1f} s (copy of the store included); "
            "peak RSS "
            f"{peak:.0f} MiB; forked children: CPU {children.ru_utime + children.ru_stime:.1f} s, "
            f"largest peak RSS {children.ru_maxrss / 1024:.0f} MiB; "
            f"load {Path('/proc/loadavg').read_text().split()[:3]}"
        )
        engine.dispose()
        if keep:
            shutil.copyfile(copy, keep)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default="/tmp/link_1m/store.db")
    parser.add_argument("--world", default="/tmp/link_1m/world")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[8.0, 9.0, 10.0, 11.0])
    parser.add_argument("--whole-stage", action="store_true")
    parser.add_argument("--profile", default=None, help="cProfile output (with --whole-stage)")
    parser.add_argument("--keep", default=None, help="keep the linked copy here (--whole-stage)")
    args = parser.parse_args()
    if args.whole_stage:
        whole_stage(args.store, args.profile, args.keep)
        return
    engine = make_engine(f"sqlite:///{args.store}")
    started = time.perf_counter()
    with collector_paused(), reading(engine) as conn:  # as `run_link` reads and builds
        rows = load_mention_rows(conn)
        frame = build_frame(rows)
        full_name = _full_names(rows)
        del rows
    built = time.perf_counter() - started
    read_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gc.collect()
    _give_back()
    reset = _reset_peak()
    at_reset = _peak_mib() if reset else float("nan")
    truth = truth_by_mention_id(engine, Path(args.world))
    started = time.perf_counter()
    prediction = predict_persons(frame, detail=False, progress=lambda m: print("  ..", m))
    seconds = time.perf_counter() - started
    peak_mib = _peak_mib() if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pw = pairwise(prediction.clustering.labels, truth)
    named_truth = {k: truth[k] for k in full_name.tolist() if k in truth}
    named = pairwise(prediction.clustering.labels, named_truth)
    t = prediction.timings
    print(
        f"{len(frame)} mentions: read + frame {built:.1f} s; train + predict + cluster "
        f"{seconds:.1f} s (train {t['train_s']:.1f}, predict {t['predict_s']:.1f}, "
        f"cluster {t['cluster_s']:.1f}); {len(prediction.pairs)} pairs; peak RSS "
        f"{peak_mib:.0f} MiB {'from the frame on' if reset else 'of the whole process'} "
        f"(RSS when linkage starts {at_reset:.0f} MiB; read + frame peak {read_peak:.0f} MiB)\n  pairwise P {pw.precision:.4f} R {pw.recall:.4f} F1 {pw.f1:.4f}; over the "
        f"{len(full_name)} mentions with a full name P {named.precision:.4f} "
        f"R {named.recall:.4f} F1 {named.f1:.4f}"
    )
    for note in prediction.notes:
        if note.startswith("skewed-block guard"):
            print("  " + note)
    # The same scored pairs clustered at other thresholds (weights do not scale with size).
    ids = frame["unique_id"].tolist()
    weak = unanchored(frame)
    for threshold in args.thresholds:
        kept = strongest_only(prediction.pairs, weak, threshold)
        other = cluster_mentions(ids, kept, threshold)
        s = pairwise(other.labels, truth)
        n = pairwise(other.labels, named_truth)
        print(
            f"  at match weight {threshold}: P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}; "
            f"full names P {n.precision:.4f} R {n.recall:.4f} F1 {n.f1:.4f}"
        )


if __name__ == "__main__":
    main()
