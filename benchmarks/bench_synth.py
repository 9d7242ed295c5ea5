"""Speed and memory of `casereview synth`, beside a floor measured in the same run.

    .venv/bin/python benchmarks/bench_synth.py            # 9,000 cases
    .venv/bin/python benchmarks/bench_synth.py --big      # and 1,000,000 cases

Each size runs in a child process; peak memory is sampled from /proc as the sum
of the resident sizes of that process and its workers (and also reported as the
largest single process, as `/usr/bin/time -v` would). The floor is the time to
write the same number of rows with a plain `csv.writer` of constant rows: what
the generator costs beyond formatting and disk I/O. Results replace the
"## Synthetic world" section of benchmarks/RESULTS.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Synthetic world"

CHILD = """
import json, sys
from pathlib import Path
from casereview.synth import SynthConfig, generate_world
s = generate_world(SynthConfig(cases={cases}, seed={seed}), Path({out!r}), workers={workers})
print(json.dumps(s.counts))
"""


def _tree_rss_kib(root: int) -> tuple[int, int]:
    """(sum, max) resident KiB of a process and all its descendants, from /proc."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parent[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    tree, todo = {root}, [root]
    while todo:
        pid = todo.pop()
        for child, ppid in parent.items():
            if ppid == pid and child not in tree:
                tree.add(child)
                todo.append(child)
    sizes = [rss.get(pid, 0) for pid in tree]
    return sum(sizes), max(sizes, default=0)


@dataclass
class Run:
    """One measured generator run."""

    cases: int
    workers: int
    seconds: float
    peak_rss_sum_mib: float
    peak_rss_max_mib: float
    bytes: int
    counts: dict[str, int]
    load: float  # 1-minute load average when the run ended: other work on the machine
    floor: float = 0.0


def run_generator(cases: int, seed: int, workers: int, out: Path) -> Run:
    """Generate in a child process; wall time, peak RSS (tree sum and largest process)."""
    code = CHILD.format(cases=cases, seed=seed, out=str(out), workers=workers)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    peak_sum = peak_max = 0
    while proc.poll() is None:
        total, largest = _tree_rss_kib(proc.pid)
        peak_sum, peak_max = max(peak_sum, total), max(peak_max, largest)
        time.sleep(0.2)
    elapsed = time.perf_counter() - start
    stdout = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"generator failed with exit code {proc.returncode}")
    counts = json.loads(stdout.strip().splitlines()[-1])
    largest_rusage = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, all children
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return Run(
        cases,
        workers,
        elapsed,
        peak_sum / 1024,
        max(peak_max, largest_rusage) / 1024,
        size,
        counts,
        os.getloadavg()[0],
    )


def _rows_written(counts: dict[str, int]) -> int:
    """Rows in every file: exports, truth mentions, persons, records, failures, groups (approx.)."""
    records = sum(v for k, v in counts.items() if k.startswith("records."))
    mentions = sum(v for k, v in counts.items() if k.startswith("mentions."))
    failures = sum(v for k, v in counts.items() if k.startswith("failures."))
    # exports: records + person rows (nominals, intel rows); truth: mentions, persons, records
    return records + mentions + mentions + counts.get("persons", 0) + records + failures


def csv_floor(rows: int, out: Path) -> float:
    """Seconds to write `rows` constant 12-column rows with csv.writer."""
    row = [
        "CRIS/0001234/14",
        "Sexual activity with a child",
        "12/03/2014 21:30",
        "HT",
        "Y",
        "OC16",
        "",
        "HOTEL",
        "Station Inn",
        "12 Mill Road",
        "E1 4AB",
        "IP (F, 14) reported missing overnight, returned stating she had been driven.",
    ]
    start = time.perf_counter()
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        for _ in range(rows):
            writer.writerow(row)
    return time.perf_counter() - start


def _section(results: list[Run]) -> str:
    lines = [
        SECTION,
        "",
        f"Measured {date.today().isoformat()} on {platform.machine()} with "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, seed 1, default rates, "
        "by `.venv/bin/python benchmarks/bench_synth.py --big`. Peak RSS is the sum over the "
        "generator and its worker processes (largest single process in brackets). The floor "
        "writes the same number of rows with a plain `csv.writer` of constant rows. The load "
        "column is the 1-minute load average at the end of the run: above the core count, "
        "other work shared the machine and the times are inflated.",
        "",
        "| cases | workers | load | time (s) | floor (s) | time / floor | peak RSS (MiB) "
        "| output (MiB) | records (crime / intel / LA / missing) | mentions | persons | groups |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        c = r.counts
        recs = " / ".join(
            f"{c.get(f'records.{s}', 0):,}"
            for s in ("met_crime", "met_intel", "la_csc", "met_missing")
        )
        mentions = sum(v for k, v in c.items() if k.startswith("mentions."))
        lines.append(
            f"| {r.cases:,} | {r.workers} | {r.load:.1f} | {r.seconds:.1f} | {r.floor:.1f} "
            f"| {r.seconds / r.floor:.1f}x | {r.peak_rss_sum_mib:.0f} "
            f"({r.peak_rss_max_mib:.0f}) | {r.bytes / 2**20:.0f} | {recs} | {mentions:,} "
            f"| {c.get('persons', 0):,} | {c.get('groups', 0):,} |"
        )
    lines.append("")
    return "\n".join(lines) + "\n"


def write_results(text: str) -> None:
    """Replace (or append) our section of RESULTS.md, leaving every other section as it is."""
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if SECTION in current:
        head, rest = current.split(SECTION, 1)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1 :] if nxt >= 0 else ""
        current = head + text + ("\n" + tail if tail else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also run 1,000,000 cases")
    parser.add_argument("--cases", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=0, help="0: the generator's default for each size"
    )
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    sizes = [args.cases] + ([1_000_000] if args.big else [])
    results = []
    for cases in sizes:
        workers = args.workers or (1 if cases <= 20_000 else min(8, os.cpu_count() or 1))
        with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
            result = run_generator(cases, args.seed, workers, Path(tmp) / "world")
            result.floor = csv_floor(_rows_written(result.counts), Path(tmp) / "floor.csv")
        results.append(result)
        print(
            f"{cases:>9,} cases  {workers} workers  {result.seconds:7.1f} s "
            f"(floor {result.floor:.1f} s)  peak RSS {result.peak_rss_sum_mib:.0f} MiB "
            f"(largest process {result.peak_rss_max_mib:.0f} MiB)  "
            f"{result.bytes / 2**20:.0f} MiB written  load {result.load:.1f}",
            flush=True,
        )
    if not args.no_write:
        write_results(_section(results))
        print(f"updated {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
