"""The driver-side pieces of the Spark link stage at a store's size, without Spark (issue 20):
the resident memory of this Python process after each step, to see what the seventh
session's changes free on the driver at 1,000,000 mentions when a whole cluster run is too
long to repeat.

    .venv/bin/python benchmarks/bench_spark_driver_pieces.py --store /tmp/spark4/1m/store.db

Steps: the frame read and built in chunks (`staging.read_frame_in_chunks`), the skewed-block
guard (`stage.plan_prediction`), the frame staged as Parquet and leaned
(`spark_stage._stage`, `lean_in_place`), the lean frame put on disk and back
(`_spill`, `_restore`), and each mention's list of its pairs for a million pairs drawn at
random, as Python lists (`frame.lists_by_position`, the old way) against the Arrow table
(`spark_stage._pairs_by_mention`). RSS after `spark_stage.give_back`.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import numpy as np

from casereview.collector import collector_paused
from casereview.link.frame import lists_by_position
from casereview.link.spark_stage import (
    _pairs_by_mention,
    _restore,
    _spill,
    _stage,
    give_back,
    lean_in_place,
)
from casereview.link.stage import plan_prediction
from casereview.link.staging import read_frame_in_chunks
from casereview.settings import get_settings
from casereview.store.db import make_engine, reading


def rss() -> str:
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            found[line[:5]] = int(line.split()[1]) // 1024
    return f"rss {found['VmRSS']:,} MiB, hwm {found['VmHWM']:,} MiB"


@collector_paused(collect_after=True)
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument(
        "--collect", action="store_true", help="gc.collect() before each measure as well"
    )
    args = parser.parse_args()
    t0 = time.perf_counter()

    def say(what: str) -> None:
        if args.collect:
            gc.collect()
        give_back()
        print(f"{time.perf_counter() - t0:7.1f}s {rss()}  {what}", flush=True)

    say("start")
    engine = make_engine(f"sqlite:///{args.store}")
    with reading(engine) as conn:
        rows, frame = read_frame_in_chunks(conn)
    say(f"frame read and built: {len(frame):,} mentions (names kept beside it)")
    link = get_settings().link
    plan = plan_prediction(frame, link, None, None, lambda _m: None)
    frame = plan.frame
    plan.sample = None
    say("guarded (the training sample dropped)")
    with tempfile.TemporaryDirectory(prefix="bench-driver-") as tmp:
        folder = Path(tmp)
        _stage(frame, folder)
        lean_in_place(frame)
        say("staged as Parquet, frame lean: what the driver held while Spark trained (before)")
        spilled = _spill(frame, folder)
        say("lean frame on disk: what it holds now while Spark trains and scores")
        _restore(frame, spilled)
        say("lean frame back (clustering, no JVM)")
        n = len(frame)
        rng = np.random.default_rng(1)
        left = rng.integers(0, n, size=args.pairs)
        right = (left + rng.integers(1, 50, size=args.pairs)) % n
        number = np.arange(args.pairs, dtype=np.int64)
        ids = frame["unique_id"].to_numpy(dtype=np.int64)
        say(f"{args.pairs:,} random pairs drawn")
        lists = lists_by_position(
            np.concatenate([left, right]), np.concatenate([number, number]), n
        )
        say("each mention's pairs as Python lists (before)")
        del lists
        say("lists freed")
        listed = _pairs_by_mention(left, right, ids)
        say(f"each mention's pairs as an Arrow table (after): {listed.nbytes / 2**20:,.0f} MiB")
        del listed
    del rows, frame, plan
    say("done")


if __name__ == "__main__":
    main()
