"""Ingest benchmark: 1,000,000 person rows (crimes + nominals CSV pair) into SQLite, beside
`sqlite-utils insert` of the same nominals CSV measured in the same run; and a reader fuzz mode.

    .venv/bin/python benchmarks/bench_ingest.py [--persons 1000000] [--runs 2] [--data DIR]
    .venv/bin/python benchmarks/bench_ingest.py --fuzz-minutes 10

Each run imports into a fresh SQLite store in a fresh process (peak RSS is that process's,
and that of the largest child it forked: the reader of the two-core pipeline, used for files
of `ingest.parallel_min_rows` rows or more), then times `sqlite-utils insert` of the same
nominals CSV; the 1-minute load average before each run is printed, since other work on the
machine changes the figures. The pipeline is used as ingest chooses it (only when other
processes leave the second core free: `ingest.parallel_max_busy_cores`); `--single` turns it
off (one process), `--pipeline` uses it however busy the machine is. Each run prints which
path each import took and the CPU seconds of the importing process and its reader children.
With the pipeline, nominals.csv (the source's first mentions) comes from the child as rows
ready to insert (`casereview.ingest.prepared`); crimes.csv as transformed items.
Temporary files are under /tmp/ingest_bench_*.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "mappings" / "met_crime.yaml"
FORENAMES = "Jane John Amira Kyle Olivia George Sana Declan Youssef Anjali Besnik Chloe".split()
SURNAMES = "Smith Jones Khan Thomas McCarthy Abdi Mehta Hoxha Taylor Brown Ali Patel".split()
CRIME_HEADER = ["crime_ref", "offence", "committed_date", "recorded_date", "borough", "cse_flag",
                "outcome", "linked_refs", "location_type", "location_name", "location_address",
                "location_postcode", "narrative"]  # fmt: skip
NOMINAL_HEADER = ["nominal_id", "crime_ref", "role", "surname", "forename", "dob", "age", "sex",
                  "ethnicity", "address", "postcode", "phone", "relationship_to_victim", "vrm",
                  "arrested", "pnc_id"]  # fmt: skip


def generate(folder: Path, persons: int, seed: int = 1) -> tuple[Path, Path]:
    """A crimes.csv (one crime per four persons) and nominals.csv with `persons` rows."""
    rng = random.Random(seed)
    crimes_path, nominals_path = (
        folder / "met_crime" / "crimes.csv",
        folder / "met_crime" / "nominals.csv",
    )
    crimes_path.parent.mkdir(parents=True, exist_ok=True)
    n_crimes = max(1, persons // 4)
    with crimes_path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(CRIME_HEADER)
        for i in range(n_crimes):
            out.writerow([f"CRIS/{i:07d}/19", "Sexual activity with a child",
                          f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2019 10:00",
                          "01/02/2019", rng.choice(["Tower Hamlets", "HT", "HACKNEY", "LB Barnet"]),
                          rng.choice("YN"), f"OC{rng.choice([1, 14, 15, 16, 18])}", "", "RES", "",
                          f"{rng.randint(1, 300)} High Street", f"E{rng.randint(1, 18)} {rng.randint(1, 9)}AB",
                          "Victim reports contact with older males."])  # fmt: skip
    with nominals_path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(NOMINAL_HEADER)
        for i in range(persons):
            out.writerow([f"N{i:09d}", f"CRIS/{i // 4:07d}/19", rng.choice("VSWR"),
                          rng.choice(SURNAMES).upper(), rng.choice(FORENAMES),
                          f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1960, 2008)}",
                          "", rng.choice("MF"), rng.choice(["IC1", "IC3", "W1", ""]),
                          f"{rng.randint(1, 300)} Church Road", f"E{rng.randint(1, 18)} {rng.randint(1, 9)}AB",
                          f"077009{rng.randint(0, 99999):05d}" if rng.random() < 0.3 else "",
                          "", "AB12 CDE" if rng.random() < 0.05 else "", "",
                          f"{rng.randint(0, 19):02d}/{rng.randint(0, 999999):06d}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}"
                          if rng.random() < 0.07 else ""])  # fmt: skip
    return crimes_path, nominals_path


class IngestRun(NamedTuple):
    seconds: float
    peak_mb: float  # the importing process
    child_peak_mb: float  # its largest reader child (0: no file used the pipeline)
    cpu_s: float  # CPU seconds of the importing process, while importing
    child_cpu_s: float  # of its reader children together
    lines: list[str]  # reconciliation lines


def run_ingest(data: Path, db: Path, mode: str = "auto") -> IngestRun:
    """Import in a fresh process. `mode`: "auto" (the pipeline when ingest's own rule picks
    it), "single" (never) or "pipeline" (for every large file, however busy the machine)."""
    update = {"auto": {}, "single": {"parallel_min_rows": 0},
              "pipeline": {"parallel_max_busy_cores": -1}}[mode]  # fmt: skip
    code = (
        "import os, time, resource\n"
        "from pathlib import Path\n"
        "from casereview.store.db import make_engine\n"
        "from casereview.store.migrate import upgrade\n"
        "from casereview.ingest import ingest_mapping\n"
        "from casereview.settings import get_settings\n"
        f"e = make_engine('sqlite:///{db}'); upgrade(e)\n"
        "c = os.times(); t = time.perf_counter()\n"
        f"s = get_settings().ingest.model_copy(update={update!r})\n"
        f"rs = ingest_mapping(e, Path('{MAPPING}'), Path('{data}'), 'bench', settings=s)\n"
        "print(time.perf_counter() - t)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
        "d = os.times()\n"
        "print(d.user + d.system - c.user - c.system)\n"
        "print(d.children_user + d.children_system - c.children_user - c.children_system)\n"
        "for r in rs: print(r.reconciliation)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:  # say why (a refused file, a missing column), not only the code
        sys.exit(f"the import failed (exit {out.returncode}):\n{out.stderr.strip()}")
    lines = out.stdout.strip().splitlines()
    return IngestRun(*(float(v) for v in lines[:5]), lines[5:])  # type: ignore[call-arg]


def run_sqlite_utils(nominals: Path, db: Path) -> float:
    tool = Path(sys.executable).parent / "sqlite-utils"
    start = time.perf_counter()
    subprocess.run([str(tool), "insert", str(db), "t", str(nominals), "--csv"], check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - start


def fuzz(minutes: float) -> None:
    """Feed random bytes to every reader until time is up; only clean errors are allowed,
    and no input may take a second (checked by check_reader_on_bytes)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    sys.path.insert(0, str(ROOT / "tests" / "ingest"))
    from test_ingest_readers import check_reader_on_bytes

    started = time.monotonic()
    deadline = started + minutes * 60
    inputs, slowest = 0, 0.0
    while time.monotonic() < deadline:

        @settings(max_examples=2000, deadline=1000, database=None)
        @given(data=st.binary(max_size=4096), fmt=st.sampled_from(["csv", "jsonl", "json", "xlsx"]))
        def one(data: bytes, fmt: str) -> None:
            nonlocal inputs, slowest
            start = time.monotonic()
            check_reader_on_bytes(data, fmt)
            inputs += 1
            slowest = max(slowest, time.monotonic() - start)

        one()
        print(f"fuzz: {inputs} inputs, slowest {slowest * 1000:.0f} ms, no crash", flush=True)
    print(
        f"fuzz done: {inputs} inputs in {(time.monotonic() - started) / 60:.1f} min, "
        f"slowest {slowest * 1000:.0f} ms, no crash or unclean error"
    )


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--data", type=Path, help="reuse (or create) generated data here")
    parser.add_argument("--fuzz-minutes", type=float, default=0)
    parser.add_argument("--single", action="store_true", help="no two-core pipeline")
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="the two-core pipeline even when other processes keep a core busy",
    )
    args = parser.parse_args()
    if args.fuzz_minutes:
        fuzz(args.fuzz_minutes)
        return
    work = Path(tempfile.mkdtemp(prefix="ingest_bench_"))
    try:
        data = args.data or work / "data"
        nominals = data / "met_crime" / "nominals.csv"
        if not nominals.exists():
            generate(data, args.persons)
        for run in range(1, args.runs + 1):
            load = load_average()
            for stale in work.glob("*.db*"):
                stale.unlink()
            mode = "single" if args.single else "pipeline" if args.pipeline else "auto"
            ingest = run_ingest(data, work / "store.db", mode)
            baseline = run_sqlite_utils(nominals, work / "utils.db")
            print("\n".join(ingest.lines))
            how = (
                f"two-core pipeline for one file or both, reader children "
                f"{ingest.child_cpu_s:.1f} s CPU"
                if ingest.child_peak_mb
                else "one process for both files"
            )
            print(
                f"run {run} ({mode}; load average before: {load}): persons {args.persons:,} "
                f"(+ {args.persons // 4:,} crimes): casereview ingest {ingest.seconds:.1f} s "
                f"({how}; importing process {ingest.cpu_s:.1f} s CPU), peak RSS "
                f"{ingest.peak_mb:.0f} MB (+ reader child {ingest.child_peak_mb:.0f} MB); "
                f"sqlite-utils insert of nominals.csv {baseline:.1f} s; "
                f"ratio {ingest.seconds / baseline:.2f}x",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
