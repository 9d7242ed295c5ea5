"""Ingest memory against file size: the same shape of CSV (rows of large narrative fields) at
two sizes, each imported into a fresh SQLite store in a fresh process; peak RSS of the
importing process (and of its reader child) is printed beside the file size. Memory should
be flat in file size: chunks are bounded in bytes (`ingest.chunk_bytes`), fields by
`ingest.max_field_bytes` (a larger one quarantines its row), and nothing holds the file.

    .venv/bin/python benchmarks/bench_ingest_memory.py [--sizes-mb 100 1024] [--field-kb 512]

Files are written under /tmp/ingest_memory_*/ (each size once) and removed at the end unless
--keep. Every 50th row has a field twice the limit: it must be quarantined, not loaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAPPING = """\
source: {name: memory_bench, kind: police}
files:
  - role: notes
    path: notes.csv
    records:
      key: ref
      record_type: {constant: intelligence}
      narrative: text
      persons:
        - key: {column: ref, prefix: "P-"}
          role: {constant: subject}
          name: name
"""


def generate(folder: Path, size_mb: int, field_kb: int, limit: int) -> tuple[int, int]:
    """notes.csv of about `size_mb` MB; returns (rows, rows with an oversized field)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "m.yaml").write_text(MAPPING, encoding="utf-8")
    text = ("Seen near the station with two older males. " * (field_kb * 1024 // 45))[
        : field_kb * 1024
    ]
    big = "x" * (2 * limit)
    rows = oversized = 0
    written = 0
    with (folder / "notes.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("ref,text,name\n")
        while written < size_mb * 1024 * 1024:
            rows += 1
            field = big if rows % 50 == 0 else text
            oversized += rows % 50 == 0
            line = f"N{rows},{field},Person {rows}\n"
            handle.write(line)
            written += len(line)
    return rows, oversized


def run(folder: Path, limit: int) -> tuple[float, float, float, str]:
    db = folder / "store.db"
    code = (
        "import resource, time\n"
        "from pathlib import Path\n"
        "from casereview.store.db import make_engine\n"
        "from casereview.store.migrate import upgrade\n"
        "from casereview.ingest import ingest_mapping\n"
        "from casereview.settings import get_settings\n"
        f"e = make_engine('sqlite:///{db}'); upgrade(e)\n"
        f"s = get_settings().ingest.model_copy(update={{'max_field_bytes': {limit}}})\n"
        "t = time.perf_counter()\n"
        f"(r,) = ingest_mapping(e, Path('{folder}/m.yaml'), Path('{folder}'), 'bench', settings=s)\n"
        "print(time.perf_counter() - t)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
        "print(r.reconciliation)\n"
    )
    for stale in folder.glob("store.db*"):
        stale.unlink()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    seconds, peak, child, line = out.stdout.strip().splitlines()[:4]
    return float(seconds), float(peak), float(child), line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--field-kb", type=int, default=512)
    parser.add_argument("--limit-mb", type=int, default=1, help="ingest.max_field_bytes, MiB")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    limit = args.limit_mb * 1024 * 1024
    work = Path(tempfile.mkdtemp(prefix="ingest_memory_"))
    try:
        for size in args.sizes_mb:
            folder = work / f"{size}mb"
            rows, oversized = generate(folder, size, args.field_kb, limit)
            load = " ".join(f"{v:.2f}" for v in os.getloadavg())
            started = time.strftime("%H:%M")
            seconds, peak, child, line = run(folder, limit)
            print(
                f"{started} (load {load}): {size} MB, {rows} rows of {args.field_kb} KiB "
                f"fields ({oversized} over the {args.limit_mb} MiB limit): {seconds:.1f} s, "
                f"peak RSS {peak:.0f} MB (+ reader child {child:.0f} MB)\n    {line}",
                flush=True,
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
