"""Time `casereview pipeline` from an empty store through ingest to a built review queue.

    .venv/bin/python benchmarks/bench_pipeline.py --cases 9000 --seed 1 [--world DIR]
        [--profile FILE] [--write-results]

Generates the synthetic world (unless `--world` is given), migrates an empty SQLite store and
runs the whole pipeline (ingest, link, classify, network, review, report when present),
printing seconds per stage. The baseline in the same run is the time to read the exports'
bytes (the floor for any ingest). Goal: <= 60 s for 9,000 cases on one machine. The load
average before and after is printed (other work on the machine shows in the figures).
`--profile FILE` runs the pipeline under cProfile (slower: do not compare its times), saves the
profile and prints the casereview functions with the most own time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from casereview.pipeline import run_pipeline
from casereview.store.db import make_engine
from casereview.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]


def write_section(title: str, body: str) -> None:
    """Replace the "## <title>" section of RESULTS.md (up to the next one) with this run's
    figures; the notes written under them are kept (everything from the first "Notes:" line)."""
    results = ROOT / "benchmarks" / "RESULTS.md"
    text = results.read_text(encoding="utf-8")
    pattern = re.compile(rf"^## {title}\n.*?(?=^## |\Z)", re.S | re.M)
    found = pattern.search(text)
    notes = ""
    if found and "\nNotes:" in found.group(0):
        notes = found.group(0)[found.group(0).index("\nNotes:") :].strip("\n") + "\n"
    block = f"## {title}\n\n{body}\n" + (f"\n{notes}" if notes else "") + "\n"
    if found:
        text = text[: found.start()] + block + text[found.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    results.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", type=Path)
    parser.add_argument("--profile", type=Path, help="Run under cProfile, save the profile here")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    world = args.world
    if world is None:
        world = tmp / "world"
        subprocess.run(
            [str(ROOT / ".venv/bin/casereview"), "synth", "--cases", str(args.cases),
             "--seed", str(args.seed), "--out", str(world)],
            check=True, capture_output=True,
        )  # fmt: skip
    t0 = time.perf_counter()
    size = sum(
        len(p.read_bytes()) for p in world.rglob("*") if p.is_file() and "truth" not in p.parts
    )
    read_s = time.perf_counter() - t0
    engine = make_engine(f"sqlite:///{tmp / 'pipeline.db'}")
    upgrade(engine)
    load_before = os.getloadavg()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    result = run_pipeline(engine, actor="bench", data=world, mappings=ROOT / "mappings")
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(args.profile))
        pstats.Stats(profiler).sort_stats("tottime").print_stats("casereview", 25)
    load_after = os.getloadavg()
    lines = [
        f"World: {args.cases} cases, seed {args.seed}; exports {size / 1e6:.1f} MB "
        f"(reading their bytes: {read_s:.2f} s). SQLite store. Load average (1, 5, 15 min) "
        f"before {', '.join(f'{x:.2f}' for x in load_before)}, "
        f"after {', '.join(f'{x:.2f}' for x in load_after)}"
        f"{' (under cProfile)' if profiler else ''}.",
        "",
        "| stage | seconds |",
        "| --- | ---: |",
        *(f"| {s.stage} | {s.seconds:.1f} |" for s in result.stages),
        f"| **total** | **{result.seconds:.1f}** |",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_results:
        write_section(
            "Pipeline",
            f"`.venv/bin/python benchmarks/bench_pipeline.py --cases {args.cases} --seed {args.seed}`"
            + "\n\n"
            + text,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
