"""Web reads while a pipeline runs (issue 19 item 8): p95 of page views, goal <= 200 ms.

    .venv/bin/python benchmarks/bench_web_during_write.py [--cases 2000] [--seed 1]
        [--users 4] [--think 0.2] [--work benchmarks/_work/webwrite] [--write-results]

Builds the store with the real chain once (`casereview synth`, `init`, `pipeline --data
--mappings`, as benchmarks/bench_web.py does, whose teams, reviewers and allocations it reuses),
serves it with `casereview serve` (uvicorn, one process) and has `--users` signed-in reviewers
browse queue -> record -> person -> group pages (each view audited), each in its own thread.

Baseline, in the same run: the same browsing for as long as the pipeline will take, with no
pipeline running. Then `casereview pipeline` re-runs every stage on the store (link, classify,
network, review and report each write in one long transaction) while the reviewers browse
until it ends. Reported: p50/p95/max of page views, answers other than 200 (a 503 with
Retry-After is the designed answer when the queue of audit entries has waited too long), and
the load average: the machine is shared, so compare the two phases, not absolute numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_web
from bench_web import CLI, ROOT, Reviewer, Timing, pct

GOAL_P95_MS = 200.0


def browse(users: list[Reviewer], stop: threading.Event, think: float) -> list[Timing]:
    """Every user browses its cycle until `stop` is set (think time exponential, seeded)."""
    results: list[list[Timing]] = [[] for _ in users]

    def work(i: int, user: Reviewer) -> None:
        rng = random.Random(i)
        n = i
        while not stop.is_set():
            for kind, url in user.cycle(n):
                started = time.perf_counter()
                status = user.client.get(url).status_code
                results[i].append((kind, (time.perf_counter() - started) * 1000, status))
                time.sleep(rng.expovariate(1 / think) if think else 0)
            n += 1

    threads = [threading.Thread(target=work, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    stop.wait()
    for thread in threads:
        thread.join()
    return [t for r in results for t in r]


def stats(timings: list[Timing]) -> dict[str, float]:
    ok = [ms for _, ms, _ in timings]
    return {
        "n": len(ok),
        "p50": pct(ok, 50),
        "p95": pct(ok, 95),
        "max": max(ok),
        "non200": sum(1 for *_, s in timings if s != 200),
        "503": sum(1 for *_, s in timings if s == 503),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.2)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "_work" / "webwrite")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()

    database = bench_web.build_store(args.work, args.cases, args.seed)
    bench_web.prepare_teams(database)
    port = bench_web.free_port()
    server = bench_web.start_server(database, port, args.work / "serve.log")
    try:
        users = [Reviewer(f"http://127.0.0.1:{port}", n) for n in bench_web.reviewer_names()]
        users = users[: args.users]
        for user in users:
            user.discover()
        # The pipeline's length, measured first (untimed browsing), sets the baseline's.
        started = time.perf_counter()
        stop = threading.Event()
        pipeline = subprocess.Popen(
            [*CLI, "--database", database, "pipeline"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        load_before = os.getloadavg()
        watcher = threading.Thread(target=lambda: (pipeline.wait(), stop.set()))
        watcher.start()
        during = browse(users, stop, args.think)
        watcher.join()
        pipeline_s = time.perf_counter() - started
        load_during = os.getloadavg()
        baseline_stop = threading.Event()
        threading.Timer(pipeline_s, baseline_stop.set).start()
        baseline = browse(users, baseline_stop, args.think)
        load_after = os.getloadavg()
        for user in users:
            user.client.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    if pipeline.returncode != 0:
        print(f"the pipeline failed (exit {pipeline.returncode})")
        return 1
    base, busy = stats(baseline), stats(during)
    print(f"pipeline re-run: {pipeline_s:.0f} s; {args.users} reviewers, think {args.think} s")
    print(f"{'':28} {'n':>6} {'p50':>7} {'p95':>7} {'max':>8} {'non-200':>8} {'503':>5}")
    for label, s in (("no pipeline (baseline)", base), ("while the pipeline runs", busy)):
        print(
            f"{label:28} {s['n']:6.0f} {s['p50']:7.1f} {s['p95']:7.1f} {s['max']:8.1f} "
            f"{s['non200']:8.0f} {s['503']:5.0f}"
        )
    met = busy["p95"] <= GOAL_P95_MS and busy["non200"] == busy["503"]
    loads = f"{load_before[0]:.2f} / {load_during[0]:.2f} / {load_after[0]:.2f}"
    print(
        f"p95 while the pipeline runs {busy['p95']:.1f} ms (goal <= {GOAL_P95_MS:.0f} ms): "
        f"{'met' if met else 'MISSED'}; load average before / end of pipeline / end: {loads}"
    )
    if args.write_results:
        write_results(args, pipeline_s, base, busy, met, loads)
    return 0 if met else 1


def write_results(
    args: argparse.Namespace,
    pipeline_s: float,
    base: dict[str, float],
    busy: dict[str, float],
    met: bool,
    loads: str,
) -> None:
    lines = [
        "",
        f"## Web reads while a pipeline runs ({dt.date.today().isoformat()})",
        "",
        f"`.venv/bin/python benchmarks/bench_web_during_write.py --cases {args.cases} "
        f"--seed {args.seed} --users {args.users} --think {args.think} --write-results`",
        f"on {platform.node()} ({os.cpu_count()} cores, shared with other sessions; load "
        f"average before / end of pipeline / end of baseline: {loads}). {args.users} "
        f"reviewers browse queue, record, person and group pages (each view audited) while "
        f"`casereview pipeline` re-runs every stage ({pipeline_s:.0f} s), then as long again "
        "with no pipeline (baseline). Milliseconds.",
        "",
        "| phase | page views | p50 | p95 | max | non-200 | of which 503 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, s in (("no pipeline (baseline)", base), ("pipeline running", busy)):
        lines.append(
            f"| {label} | {s['n']:.0f} | {s['p50']:.1f} | {s['p95']:.1f} | {s['max']:.1f} | "
            f"{s['non200']:.0f} | {s['503']:.0f} |"
        )
    lines += [
        "",
        f"Goal p95 <= {GOAL_P95_MS:.0f} ms while the pipeline runs: "
        f"{'met' if met else 'missed'} ({busy['p95'] / max(base['p95'], 0.1):.1f} x the "
        "baseline's p95).",
    ]
    with (ROOT / "benchmarks" / "RESULTS.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
