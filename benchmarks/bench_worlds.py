"""The long run of the world property test (tests/test_worlds.py): drawn synthetic worlds of 50
to 2,000 cases with every option of the generator, each run end to end through the command
line (synth, init, every mapping's ingest, pipeline, report, every export, audit verify), its
invariants checked, and link and the pipeline run again to check that nothing moves.

Runs for `--minutes` (default 10) and prints one line per world and a summary; any failure
is printed with the options that reproduce it and makes the exit status 1.

    .venv/bin/python benchmarks/bench_worlds.py --minutes 10
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

from hypothesis.errors import NonInteractiveExampleWarning

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from drawn_worlds import WorldOptions, describe, run_world, world_options


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to keep drawing")
    parser.add_argument("--max-cases", type=int, default=2000, help="largest world drawn")
    args = parser.parse_args()
    deadline = time.monotonic() + args.minutes * 60
    done: list[dict[str, object]] = []
    failures: list[tuple[WorldOptions, str]] = []

    strategy = world_options(min_cases=50, max_cases=args.max_cases)

    def one(options: WorldOptions) -> None:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="bench-world-") as folder:
            try:
                # The commands' own output (JSON summaries) is not this benchmark's.
                with contextlib.redirect_stdout(io.StringIO()):
                    run = run_world(options, Path(folder))
            except Exception:  # each failure is reported with the options that reproduce it
                failures.append((options, traceback.format_exc(limit=6)))
                print(f"FAILED {options}", flush=True)
                return
        line = describe(run) | {"seconds": round(time.perf_counter() - started, 1)}
        done.append(line)
        print(json.dumps(line), flush=True)

    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    while time.monotonic() < deadline:
        # Drawn at random each time: a timed run of a few worlds must not spend them on
        # Hypothesis' first, simplest examples (the options printed reproduce any failure).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NonInteractiveExampleWarning)
            one(strategy.example())
    print(
        f"worlds: {len(done) + len(failures)}, passed: {len(done)}, failed: {len(failures)}, "
        f"cases {min((d['options']['cases'] for d in done), default=0)}-"  # type: ignore[index]
        f"{max((d['options']['cases'] for d in done), default=0)}, "  # type: ignore[index]
        f"minutes: {args.minutes}, load average at end: {os.getloadavg()[0]:.2f}"
    )
    for options, text in failures:
        print(f"\n--- {options}\n{text}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
