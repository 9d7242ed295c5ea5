"""How long the command line takes to start: `casereview --version`, `--help` and EVERY
command's `--help` (listed from the app), beside sqlite-utils' command line
(`sqlite-utils --version`, `--help`) and a bare interpreter, measured in the same run.

Each command runs `--runs` times in a fresh process; the median wall time is printed, then the
slowest command's median. The runs are interleaved (round 1 of every command, then round 2...)
so that a change of machine load touches every command alike. The target (issue 15):
`casereview --help`, `--version` and each command's `--help` at most 0.3 s (median) on the
project's machine.

    .venv/bin/python benchmarks/bench_cli_startup.py --runs 7
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
from typing import Any

BIN = Path(sys.executable).parent
BASELINE_HELPS = ("link", "report", "users")


def _seconds(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def _command_paths() -> list[tuple[str, ...]]:
    """Every command and sub-command of the app, as the words that name it."""
    import typer.main

    from casereview.cli import app

    def walk(command: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = [path]
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            found.extend(walk(sub, (*path, name)))
        return found

    return walk(typer.main.get_command(app), ())[1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per command (median taken)")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="a `src` folder of an older casereview (e.g. `git archive main src`): its "
        "--version, --help and link/report/users --help are measured in the same run, "
        "through PYTHONPATH, with this environment's packages",
    )
    args = parser.parse_args()
    casereview = str(BIN / "casereview")
    sqlite_utils = shutil.which("sqlite-utils", path=str(BIN)) or shutil.which("sqlite-utils")
    commands: list[tuple[str, list[str]]] = [
        ("python -c pass (interpreter alone)", [sys.executable, "-c", "pass"]),
        ("casereview --version", [casereview, "--version"]),
        ("casereview --help", [casereview, "--help"]),
    ]
    for path in _command_paths():
        named = " ".join(path)
        commands.append((f"casereview {named} --help", [casereview, *path, "--help"]))
    if args.baseline_src:
        old = f"import sys; sys.path.insert(0, {str(args.baseline_src.resolve())!r}); "
        old += "from casereview.cli import main; sys.exit(main())"
        for words in (["--version"], ["--help"], *([c, "--help"] for c in BASELINE_HELPS)):
            label = f"baseline: casereview {' '.join(words)}"
            commands.append((label, [sys.executable, "-c", old, *words]))
    if sqlite_utils:
        commands.append(("sqlite-utils --version", [sqlite_utils, "--version"]))
        commands.append(("sqlite-utils --help", [sqlite_utils, "--help"]))
    load = os.getloadavg()[0]
    print(f"load average before: {load:.2f}; {args.runs} runs each, median wall time")
    times: dict[str, list[float]] = {label: [] for label, _ in commands}
    for _ in range(args.runs):
        for label, argv in commands:
            times[label].append(_seconds(argv))
    medians = {label: statistics.median(runs) for label, runs in times.items()}
    print("| command | median s |")
    print("| --- | --- |")
    for label, _ in commands:
        print(f"| {label} | {medians[label]:.3f} |")
    ours = {k: v for k, v in medians.items() if k.startswith("casereview")}
    slowest = max(ours, key=lambda k: ours[k])
    helps = [v for k, v in ours.items() if k.endswith(" --help") and k != "casereview --help"]
    print(
        f"{len(helps)} command helps: median of medians {statistics.median(helps):.3f} s; "
        f"slowest casereview figure: `{slowest}` {ours[slowest]:.3f} s (target 0.3 s)"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
