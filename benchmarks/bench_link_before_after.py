"""The linkage model against the previous one, on the same stores, in the same run.

For each profile and seed: one world (`casereview synth --profile`) imported with the
mappings in mappings/ (`link_synth_eval.synth_and_ingest`); then the link stage of this
checkout (`run_link`) on one copy of the store and the link stage of a PREVIOUS checkout
(its own .venv, e.g. the main branch) on another copy, and both scored against the world's
truth: pairwise precision, recall and F1 over all mentions, over the mentions that carry a
full name (the issue 23 target: F1 >= 0.97, precision >= 0.98), and per role.

With `--strip-strong`, the previous model's copy has the strong-identifier marks ingest
writes (`mentions.identifiers._strong`) removed, for a previous checkout older than strong
identifiers (82fcd78 and before); main knows them, so by default they stay.

    .venv/bin/python benchmarks/bench_link_before_after.py --previous /work/main \\
        --cases 1000 --seeds 1 --profiles sparse typical clean
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from link_synth_eval import (
    mention_facts,
    predicted_by_mention_id,
    synth_and_ingest,
    touching,
    truth_by_mention_id,
)

from casereview.link.evaluate import pairwise
from casereview.link.stage import run_link
from casereview.store.db import make_engine

PROFILES = ("clean", "typical", "sparse")
ROLES = ("victim", "suspect", "witness", "reporter", "subject", "associate", "parent_carer")
_PREVIOUS_RUN = (
    "import sys, time; from casereview.link.stage import run_link; "
    "from casereview.store.db import make_engine; e = make_engine(sys.argv[1]); "
    "t = time.perf_counter(); run_link(e); print(time.perf_counter() - t)"
)


def _scores(engine: Any, truth: dict[int, str]) -> dict[str, tuple[float, float, float]]:
    pred = predicted_by_mention_id(engine)
    facts = mention_facts(engine)
    out = {}
    pw = pairwise(pred, truth)
    out["all"] = (pw.precision, pw.recall, pw.f1)
    named = {k: v for k, v in truth.items() if k in facts.full_name}
    pw = pairwise(pred, named)
    out["full name"] = (pw.precision, pw.recall, pw.f1)
    for role in ROLES:
        mine = {k for k in truth if facts.role.get(k) == role}
        if mine:
            pw, _, _ = touching(pred, truth, mine)
            out[f"role {role}"] = (pw.precision, pw.recall, pw.f1)
    return out


def measure(
    profile: str, seed: int, cases: int, previous: Path | None, strip_strong: bool = False
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        world, db = synth_and_ingest(Path(tmp), cases=cases, seed=seed, profile=profile)
        result: dict[str, Any] = {"profile": profile, "seed": seed, "cases": cases}
        if previous is not None:
            old = Path(tmp) / "previous.db"
            shutil.copy(db, old)
            if strip_strong:
                with sqlite3.connect(old) as conn:
                    conn.execute(
                        "UPDATE mentions SET identifiers = json_remove(identifiers, '$._strong')"
                    )
            run = subprocess.run(
                [
                    str(previous / ".venv" / "bin" / "python"),
                    "-c",
                    _PREVIOUS_RUN,
                    f"sqlite:///{old}",
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=previous,
            )
            engine = make_engine(f"sqlite:///{old}")
            truth = truth_by_mention_id(engine, world)
            result["previous"] = _scores(engine, truth)
            result["previous_seconds"] = float(run.stdout.split()[-1])
            engine.dispose()
        engine = make_engine(f"sqlite:///{db}")
        truth = truth_by_mention_id(engine, world)
        started = time.perf_counter()
        run_link(engine)
        result["seconds"] = time.perf_counter() - started
        result["now"] = _scores(engine, truth)
        result["mentions"] = len(truth)
        engine.dispose()
    return result


def _table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'profile':8} {'seed':>4} {'scope':18}  {'previous P / R / F1':>24}  "
        f"{'now P / R / F1':>24}"
    )
    lines = [head, "-" * len(head)]
    for res in results:
        for scope, now in res["now"].items():
            before = res.get("previous", {}).get(scope)
            shown = " / ".join(f"{v:.4f}" for v in before) if before else "-"
            lines.append(
                f"{res['profile']:8} {res['seed']:>4} {scope:18}  {shown:>24}  "
                f"{' / '.join(f'{v:.4f}' for v in now):>24}"
            )
        lines.append(
            f"{res['profile']:8} {res['seed']:>4} {'link stage (s)':18}  "
            f"{res.get('previous_seconds', float('nan')):>24.1f}  {res['seconds']:>24.1f}"
            f"   ({res['mentions']} mentions)"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=3000, help="police crimes per world")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=PROFILES)
    parser.add_argument(
        "--previous", type=Path, help="a checkout with its own .venv whose link stage to compare"
    )
    parser.add_argument(
        "--strip-strong",
        action="store_true",
        help="remove strong-identifier marks from the previous model's copy (for a checkout "
        "older than strong identifiers)",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args()
    results = []
    for profile in args.profiles:
        for seed in args.seeds:
            print(f"{profile} seed {seed}: {args.cases} cases ...", file=sys.stderr, flush=True)
            results.append(measure(profile, seed, args.cases, args.previous, args.strip_strong))
            print(_table(results[-1:]), flush=True)
    print(_table(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
