"""The Spark driver's Python with the store read and the frame built in a child process
(`spark_prepare.prepare_in_child`, eighth session, issue 20), without Spark: this process's
resident memory after each step the driver takes, and the child's peak.

    .venv/bin/python benchmarks/bench_spark_prepare.py --store COPY_OF_THE_1M_STORE

Steps: the child reads, normalises, guards and stages the store and exits (its peak: the
largest RSS of the child while it ran, sampled every 0.1 s, and its high-water mark from
`getrusage(RUSAGE_CHILDREN)`); the driver then holds what it holds while Spark trains and
scores (the `Prepared` answer and the columns `model.train` reads); the lean frame read
back (clustering, no JVM); the names and previous persons read back (writing the store).
Compare with `bench_spark_driver_pieces.py`, the same steps in the driver itself.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from bench_spark_driver_pieces import rss

from casereview.link.spark_prepare import prepare_in_child
from casereview.link.spark_stage import _restore, _train_reads, give_back
from casereview.settings import get_settings
from casereview.store.db import make_engine


def _children_rss(me: int) -> int:
    """The summed RSS (bytes) of this process's children and their children."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) != me:
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    args = parser.parse_args()
    settings = get_settings()
    folder = tempfile.mkdtemp(prefix="bench-spark-prepare-")
    settings = settings.model_copy(
        update={"link": settings.link.model_copy(update={"spark_staging_dir": folder})}
    )
    engine = make_engine(f"sqlite:///{args.store}")
    print(f"before: {rss()}", flush=True)
    peak = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _children_rss(os.getpid()))
            stop.wait(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    prepared = prepare_in_child(engine, settings)
    took = time.perf_counter() - t0
    stop.set()
    watcher.join()
    hwm = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(
        f"child: {prepared.mentions:,} mentions in {took:.1f} s; its peak RSS sampled "
        f"{peak[0] // 2**20:,} MiB, high-water mark {hwm:,} MiB",
        flush=True,
    )
    give_back()
    print(f"driver while Spark trains and scores (Prepared only): {rss()}", flush=True)
    ready = prepared.ready
    assert ready is not None
    reads = _train_reads(ready)
    give_back()
    print(f"  + the columns model.train reads ({len(reads):,} rows): {rss()}", flush=True)
    del reads
    give_back()
    frame = pd.DataFrame()
    _restore(frame, ready.spilled)
    give_back()
    print(f"the lean frame back ({len(frame):,} rows, clustering): {rss()}", flush=True)
    rows, previous = prepared.names(), prepared.previous()
    give_back()
    print(f"  + names and previous persons (writing): {rss()}", flush=True)
    del frame, rows, previous
    prepared.remove()
    engine.dispose()


if __name__ == "__main__":
    main()
