"""The whole `casereview link` stage on DuckDB and on a two-worker Spark standalone cluster:
time, the driver's peak memory and the workers' peak memory (issue 20).

The store is built as in `bench_link_1m.py`'s docstring (`--cases 19000` gives about 100,000
mentions, `--cases 190000` about 1,000,000). Each engine links its own fresh copy of it, in a
child process (`casereview link` as a user runs it), while this process samples, every
`--interval` seconds, the resident memory of:

- the driver: the child's Python process and everything it started (Spark's driver JVM);
- each worker: the worker's own JVM and everything it started (the executor JVM and the
  executors' Python workers).

Peaks are of the sampled sums (a process tree's RSS at one moment), next to each process's
own high-water mark (VmHWM, kernel-kept, never missed by sampling). On a cluster the driver
starts a JVM for each Spark step and stops it after (`spark_stage.stop_driver_jvm`): each
of those JVMs is a line of its own in the high-water marks.

    .venv/bin/python benchmarks/bench_link_spark.py --store /tmp/link_100k/store.db
    .venv/bin/python benchmarks/bench_link_spark.py --store STORE --engines spark \\
        --worker-memory 3g --executor-memory 2500m --timeout 3600

A cluster of a master and two workers (one core each) is started from the pyspark package
on loopback (`casereview.link.spark_cluster`) unless `--master URL` names a running one
(then `--worker-pid` gives the workers' pids to measure).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from casereview.link.spark_cluster import loopback_cluster

CHILD = """
import json, sys, time
from casereview.link.stage import run_link
from casereview.settings import get_settings
from casereview.store.db import make_engine
engine_name, store, master, driver_mem, executor_mem = sys.argv[1:6]
settings = get_settings()
link = settings.link.model_copy(update={
    "spark_master": master, "spark_driver_memory": driver_mem,
    "spark_executor_memory": executor_mem,
})
settings = settings.model_copy(update={"link": link})
def memory():  # this Python process's resident memory now and its high-water mark, MiB
    found = {}
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS:", "VmHWM:")):
            found[line[:5]] = int(line.split()[1]) // 1024
    return f"rss {found.get('VmRSS', 0)} MiB, hwm {found.get('VmHWM', 0)} MiB"
t0 = time.perf_counter()
print(f"started at {time.time():.3f}", file=sys.stderr, flush=True)
result = run_link(make_engine(f"sqlite:///{store}"), engine_name=engine_name, settings=settings,
                  progress=lambda m: print(f"{time.perf_counter() - t0:8.1f}s [{memory()}] {m}",
                                           file=sys.stderr, flush=True))
print(f"{time.perf_counter() - t0:8.1f}s [{memory()}] done", file=sys.stderr, flush=True)
print(json.dumps({"mentions": result.mentions, "persons": result.persons,
                  "pairs_scored": result.pairs_scored, "pairs_stored": result.pairs_stored,
                  "timings": result.timings}))
"""

KIB = 1024


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid` in bytes ({} once it is gone)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0]) * KIB
    except OSError:
        return {}
    return out


def _children() -> dict[int, list[int]]:
    """Every live process's children, from /proc."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(root: int, kids: dict[int, list[int]]) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            words = f.read().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(w.decode(errors="replace") for w in words if w)
    for marker in ("CoarseGrainedExecutorBackend", "deploy.worker.Worker", "SparkSubmit",
                   "pyspark.daemon", "pyspark.worker"):  # fmt: skip
        if marker in text:
            return marker
    return Path(words[0].decode(errors="replace")).name if words and words[0] else "?"


@dataclass
class TreePeak:
    """The peak of a process tree's summed RSS, and each member's own high-water mark."""

    peak_sum: int = 0
    hwm: dict[str, int] = field(default_factory=dict)  # "pid name" -> VmHWM
    series: list[tuple[float, int]] = field(default_factory=list)  # (time.time(), sum)

    def sample(self, pids: list[int]) -> None:
        total = 0
        for pid in pids:
            status = _status(pid)
            if not status:
                continue
            total += status.get("VmRSS", 0)
            key = f"{pid} {_name(pid)}"
            self.hwm[key] = max(self.hwm.get(key, 0), status.get("VmHWM", 0))
        self.peak_sum = max(self.peak_sum, total)
        self.series.append((time.time(), total))


def phase_peaks(progress: str, series: list[tuple[float, int]]) -> list[list]:
    """Per progress line of the child (its phases: "clustering ...", "explaining ..."):
    the phase's seconds and the driver's sampled peak (MiB) until the next line."""
    lines = progress.splitlines()
    start = next((float(x.split()[-1]) for x in lines if x.startswith("started at ")), None)
    if start is None:
        return []
    marks = []
    for line in lines:
        if "MiB, hwm" in line:
            seconds, _, rest = line.strip().partition("s [")
            marks.append((start + float(seconds), rest.partition("] ")[2]))
    out = []
    for (t, what), (t_next, _) in zip(marks, [*marks[1:], (float("inf"), "")], strict=True):
        inside = [total for when, total in series if t <= when < t_next]
        end = t_next if t_next != float("inf") else (series[-1][0] if series else t)
        out.append([what[:60], round(end - t, 1), max(inside, default=0) // 2**20])
    return out


def _monitor(
    driver: int, workers: list[int], stop: threading.Event, interval: float
) -> tuple[TreePeak, list[TreePeak]]:
    peaks = TreePeak(), [TreePeak() for _ in workers]

    def loop() -> None:
        while not stop.is_set():
            kids = _children()
            peaks[0].sample(_tree(driver, kids))
            for worker, peak in zip(workers, peaks[1], strict=True):
                peak.sample(_tree(worker, kids))
            stop.wait(interval)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    _monitor.thread = thread  # type: ignore[attr-defined]
    return peaks


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def run_engine(args: argparse.Namespace, engine: str, master: str, workers: list[int]) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-link-{engine}-", dir=args.work))
    store = work / "store.db"
    shutil.copy(args.store, store)
    load_before = _load()
    started = time.perf_counter()
    log = (work / "progress.log").open("w")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, engine, str(store), master,
         args.driver_memory, args.executor_memory],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "TMPDIR": str(work)},
    )  # fmt: skip
    stop = threading.Event()
    driver_peak, worker_peaks = _monitor(child.pid, workers if engine == "spark" else [], stop,
                                         args.interval)  # fmt: skip
    try:
        out, _ = child.communicate(timeout=args.timeout)
        finished = True
    except subprocess.TimeoutExpired:
        child.kill()
        out, _ = child.communicate()
        finished = False
    wall = time.perf_counter() - started
    stop.set()
    _monitor.thread.join()  # type: ignore[attr-defined]
    log.close()
    result: dict = json.loads(out.strip().splitlines()[-1]) if finished and out.strip() else {}
    row = {
        "engine": engine,
        "finished": finished and child.returncode == 0,
        "wall_s": round(wall, 1),
        "load_before": load_before,
        "load_after": _load(),
        "driver_peak_mib": driver_peak.peak_sum // 2**20,
        "driver_hwm_mib": {k: v // 2**20 for k, v in driver_peak.hwm.items()},
        "workers_peak_mib": [p.peak_sum // 2**20 for p in worker_peaks],
        "workers_hwm_mib": [{k: v // 2**20 for k, v in p.hwm.items()} for p in worker_peaks],
        **result,
        # The phase lines with the driver's Python memory, then the log's end.
        "phases": [
            line.strip()
            for line in (work / "progress.log").read_text(errors="replace").splitlines()
            if "MiB, hwm" in line
        ],
        "phase_peaks_mib": phase_peaks(
            (work / "progress.log").read_text(errors="replace"), driver_peak.series
        ),
        "progress_tail": (work / "progress.log").read_text(errors="replace")[-3000:],
    }
    if args.keep is not None:  # the linked store kept, to compare persons across runs
        args.keep.mkdir(parents=True, exist_ok=True)
        shutil.move(str(store), str(args.keep / f"{engine}.db"))
    shutil.rmtree(work, ignore_errors=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, type=Path)
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    parser.add_argument("--master", help="a running cluster's spark:// URL")
    parser.add_argument("--worker-pid", type=int, action="append", default=[])
    parser.add_argument("--worker-memory", default="2g")
    parser.add_argument("--executor-memory", default="1500m")
    # 512m was tried in the sixth session: training at 1M failed in the driver JVM.
    parser.add_argument("--driver-memory", default="1g")
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--work", default=None, help="folder for the stores' copies")
    parser.add_argument("--json", type=Path, help="append each result as a JSON line here")
    parser.add_argument("--keep", type=Path, help="keep each engine's linked store here")
    args = parser.parse_args()

    def report(row: dict) -> None:
        print(json.dumps(row, indent=1), flush=True)
        if args.json:
            with args.json.open("a") as f:
                f.write(json.dumps(row) + "\n")

    for engine in [e for e in args.engines if e != "spark"]:
        report(run_engine(args, engine, "local[2]", []))
    if "spark" not in args.engines:
        return
    if args.master:
        report(run_engine(args, "spark", args.master, args.worker_pid))
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-spark-cluster-", dir=args.work))
    try:
        with loopback_cluster(folder, workers=2, cores=1, memory=args.worker_memory) as cluster:
            report(run_engine(args, "spark", cluster.url, cluster.worker_pids))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
