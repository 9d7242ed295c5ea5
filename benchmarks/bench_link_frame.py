"""The link stage's read and frame alone at scale: `load_mention_rows` and `build_frame` timed
apart on a store (read only), as `run_link` runs them (Python's cyclic collector paused), with
the process's peak RSS; optionally a cProfile of both, and the frame saved to or compared with
a pickle (the same frame from two checkouts: run this file with each checkout's interpreter).

    .venv/bin/python benchmarks/bench_link_frame.py --store /work/bench/link_1m/store.db
    /work/wt-base/.venv/bin/python benchmarks/bench_link_frame.py --store STORE --save main.pickle
    .venv/bin/python benchmarks/bench_link_frame.py --store STORE --compare main.pickle
"""

from __future__ import annotations

import argparse
import cProfile
import pickle
import resource
import time
from pathlib import Path

import pandas as pd

from casereview.collector import collector_paused
from casereview.link.frame import build_frame, load_mention_rows
from casereview.store.db import make_engine, reading


def _same(x: object, y: object) -> bool:
    """Equal values of the same type (a float NaN equals a float NaN; pd.NA equals pd.NA)."""
    if x is y:
        return True
    if type(x) is not type(y):
        return False
    if isinstance(x, float) and x != x:
        return y != y
    return bool(x == y)


def frame_differences(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """What differs between two frames, column by column (dtypes, then values); [] if none."""
    out: list[str] = []
    if list(old.columns) != list(new.columns):
        out.append(f"columns differ: {list(old.columns)} != {list(new.columns)}")
    for col in old.columns:
        if col not in new.columns:
            continue
        a, b = old[col], new[col]
        if a.dtype != b.dtype:
            out.append(f"{col}: dtype {a.dtype} != {b.dtype}")
        left, right = a.tolist(), b.tolist()
        bad = [i for i, (x, y) in enumerate(zip(left, right, strict=True)) if not _same(x, y)]
        if bad:
            i = bad[0]
            out.append(f"{col}: {len(bad)} rows differ, first row {i}: {left[i]!r} != {right[i]!r}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default="/work/bench/link_1m/store.db")
    parser.add_argument("--profile", default=None, help="cProfile output of read and frame")
    parser.add_argument("--save", default=None, help="pickle the frame to this file")
    parser.add_argument("--compare", default=None, help="compare the frame with this pickle")
    args = parser.parse_args()
    engine = make_engine(f"sqlite:///{args.store}")
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    with collector_paused(), reading(engine) as conn:  # as `run_link` reads and builds
        rows = load_mention_rows(conn)
        read = time.perf_counter() - started
        read_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        frame = build_frame(rows)
        built = time.perf_counter() - t0
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"{len(frame)} mentions: read {read:.1f} s, frame {built:.1f} s, read + frame "
        f"{read + built:.1f} s; CPU {usage.ru_utime + usage.ru_stime:.1f} s; peak RSS after "
        f"the read {read_peak:.0f} MiB, after the frame {usage.ru_maxrss / 1024:.0f} MiB; "
        f"load {Path('/proc/loadavg').read_text().split()[:3]}",
        flush=True,
    )
    if args.save:
        with open(args.save, "wb") as f:
            pickle.dump(frame, f, protocol=pickle.HIGHEST_PROTOCOL)
    if args.compare:
        with open(args.compare, "rb") as f:
            old = pickle.load(f)
        problems = frame_differences(old, frame)
        print("frames identical" if not problems else "\n".join(problems))


if __name__ == "__main__":
    main()
