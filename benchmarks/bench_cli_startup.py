"""How long the command line takes to start: `casereview --version`, `--help` and a command's
`--help`, beside sqlite-utils' command line (`sqlite-utils --version`) and a bare interpreter,
measured in the same run.

Each command runs `--runs` times in a fresh process; the median wall time is printed. The
target (issue 15): `casereview --help`, `--version` and each command's `--help` at most 0.3 s
(median) on the project's machine.

    .venv/bin/python benchmarks/bench_cli_startup.py --runs 21
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per command (median taken)")
    args = parser.parse_args()
    casereview = str(BIN / "casereview")
    sqlite_utils = shutil.which("sqlite-utils", path=str(BIN)) or shutil.which("sqlite-utils")
    commands: list[tuple[str, list[str]]] = [
        ("python -c pass (interpreter alone)", [sys.executable, "-c", "pass"]),
        ("casereview --version", [casereview, "--version"]),
        ("casereview --help", [casereview, "--help"]),
        ("casereview link --help", [casereview, "link", "--help"]),
        ("casereview report --help", [casereview, "report", "--help"]),
        ("casereview users --help", [casereview, "users", "--help"]),
    ]
    if sqlite_utils:
        commands.append(("sqlite-utils --version", [sqlite_utils, "--version"]))
        commands.append(("sqlite-utils --help", [sqlite_utils, "--help"]))
    load = os.getloadavg()[0]
    print(f"load average before: {load:.2f}; {args.runs} runs each, median wall time")
    print("| command | median s |")
    print("| --- | --- |")
    for label, argv in commands:
        print(f"| {label} | {_median_seconds(argv, args.runs):.3f} |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
