"""Linkage quality on every profile of the synthetic world, per role, as a team would run it.

For each profile (clean, typical, sparse) and seed: `casereview synth --profile`, import the
four sources with the mappings in mappings/, run the whole link stage (`run_link`, the model
as it stands) and score the persons against the world's truth/mentions.csv:

- pairwise and B-cubed precision, recall and F1 over all mentions, and over the mentions that
  carry a full name (forename and surname: both sides of each pair);
- per role (victim, suspect, witness, reporter, subject, associate, parent_carer): pairwise
  over the pairs with at least one mention of the role, B-cubed over the role's mentions,
  both within the whole clustering (an associate joined to the suspect they are counts);
- blocking recall: share of true pairs that share at least one blocking key, after the
  skewed-block guard (`link.evaluate.blocking_recall`).

    .venv/bin/python benchmarks/bench_link_profiles.py                    # 3 x 3 x 3,000 cases
    .venv/bin/python benchmarks/bench_link_profiles.py --cases 1000 --seeds 1 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from link_synth_eval import (
    mention_facts,
    store_blocking_recall,
    synth_and_ingest,
    timed_link,
    touching,
    truth_by_mention_id,
)

from casereview.link.evaluate import Scores, bcubed, pairwise
from casereview.store.db import make_engine

PROFILES = ("clean", "typical", "sparse")
ROLES = ("victim", "suspect", "witness", "reporter", "subject", "associate", "parent_carer")


def _row(scope: str, n: int, pw: Scores, b3: Scores) -> dict[str, Any]:
    return {
        "scope": scope,
        "mentions": n,
        "pairwise": {"precision": pw.precision, "recall": pw.recall, "f1": pw.f1},
        "bcubed": {"precision": b3.precision, "recall": b3.recall, "f1": b3.f1},
    }


def measure(profile: str, seed: int, cases: int) -> dict[str, Any]:
    """One world: synthesise, import, link, score."""
    with tempfile.TemporaryDirectory() as tmp:
        world, db = synth_and_ingest(Path(tmp), cases=cases, seed=seed, profile=profile)
        engine = make_engine(f"sqlite:///{db}")
        try:
            truth = truth_by_mention_id(engine, world)
            block_recall, n_true, _ = store_blocking_recall(engine, truth)
            result, seconds, pred = timed_link(engine)
            facts = mention_facts(engine)
        finally:
            engine.dispose()
    rows = [_row("all", len(truth), pairwise(pred, truth), bcubed(pred, truth))]
    named = {k: v for k, v in truth.items() if k in facts.full_name}
    rows.append(_row("full name", len(named), pairwise(pred, named), bcubed(pred, named)))
    for role in ROLES:
        mine = {k for k in truth if facts.role.get(k) == role}
        if mine:
            pw, b3, n = touching(pred, truth, mine)
            rows.append(_row(f"role {role}", n, pw, b3))
    return {
        "profile": profile,
        "seed": seed,
        "cases": cases,
        "mentions": result.mentions,
        "true_persons": len(set(truth.values())),
        "persons_found": result.persons,
        "blocking_recall": block_recall,
        "true_pairs": n_true,
        "link_seconds": seconds,
        "scores": rows,
    }


def _table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'profile':8} {'seed':>4} {'scope':18} {'mentions':>8}  "
        f"{'pw P':>6} {'pw R':>6} {'pw F1':>6}  {'b3 P':>6} {'b3 R':>6} {'b3 F1':>6}"
    )
    lines = [head, "-" * len(head)]
    for res in results:
        for row in res["scores"]:
            pw, b3 = row["pairwise"], row["bcubed"]
            lines.append(
                f"{res['profile']:8} {res['seed']:>4} {row['scope']:18} {row['mentions']:>8}  "
                f"{pw['precision']:6.4f} {pw['recall']:6.4f} {pw['f1']:6.4f}  "
                f"{b3['precision']:6.4f} {b3['recall']:6.4f} {b3['f1']:6.4f}"
            )
        lines.append(
            f"{res['profile']:8} {res['seed']:>4} {'blocking recall':18} "
            f"{res['true_pairs']:>8}  {res['blocking_recall']:6.4f}   "
            f"(true pairs; link stage {res['link_seconds']:.1f} s, "
            f"{res['persons_found']} persons found for {res['true_persons']} true)"
        )
    return "\n".join(lines)


def _means(results: list[dict[str, Any]]) -> str:
    """Mean over seeds of the headline figures, per profile."""
    lines = ["", "mean over seeds: pairwise P / R / F1 (all; full name), blocking recall"]
    for profile in dict.fromkeys(r["profile"] for r in results):
        mine = [r for r in results if r["profile"] == profile]

        def mean(scope: str, key: str, mine: list[dict[str, Any]] = mine) -> float:
            return statistics.fmean(
                next(s for s in r["scores"] if s["scope"] == scope)["pairwise"][key] for r in mine
            )

        lines.append(
            f"  {profile:8} ({len(mine)} seeds): all {mean('all', 'precision'):.4f} / "
            f"{mean('all', 'recall'):.4f} / {mean('all', 'f1'):.4f}; full name "
            f"{mean('full name', 'precision'):.4f} / {mean('full name', 'recall'):.4f} / "
            f"{mean('full name', 'f1'):.4f}; blocking "
            f"{statistics.fmean(r['blocking_recall'] for r in mine):.4f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=3000, help="police crimes per world")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=PROFILES)
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args()
    results = []
    for profile in args.profiles:
        for seed in args.seeds:
            print(f"{profile} seed {seed}: {args.cases} cases ...", file=sys.stderr, flush=True)
            results.append(measure(profile, seed, args.cases))
    print(_table(results))
    print(_means(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
