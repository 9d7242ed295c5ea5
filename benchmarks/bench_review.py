"""Quality of the review stage against the synthetic world's planted missed opportunities.

    .venv/bin/python benchmarks/bench_review.py --cases 9000 --seed 1 [--store sqlite:///x.db]
        [--write-results]

Generates the world (unless `--world DIR` is given), runs the whole pipeline from an empty
store (unless `--store` names one already built), then compares the `indicators` table with
truth/failures.csv at the level the truth defines: (source, record_ref, code). It reports per
indicator precision, recall and F1, and how the planted missed opportunities rank in the queue:

- recall in the top 10%: share of planted records (any indicator code) whose item is in the top
  10% of active record items by priority;
- precision of the top 10%: share of those top items that are planted missed opportunities;
- R-precision: share of planted records in the top R items, R = number of planted records.

The baseline, measured in the same run, is the queue ordered by cse_likely strength alone.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from casereview.model.codes import IndicatorCode
from casereview.model.serial import from_json
from casereview.model.tables import indicators, records, review_items, sources
from casereview.store.db import make_engine, reading
from casereview.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
CODES = [c.value for c in IndicatorCode]


def truth_rows(world: Path) -> set[tuple[str, str, str]]:
    with (world / "truth" / "failures.csv").open(newline="") as f:
        return {
            (row["source"], row["record_ref"], row["code"])
            for row in csv.DictReader(f)
            if row["code"] in CODES
        }


def found_rows(engine: Engine) -> set[tuple[str, str, str]]:
    with reading(engine) as conn:
        rows = conn.execute(
            select(sources.c.name, records.c.source_ref, indicators.c.code)
            .join(records, records.c.id == indicators.c.record_id)
            .join(sources, sources.c.id == records.c.source_id)
            .where(indicators.c.subject_type == "record")
        ).all()
    return {(str(s), str(r), str(c)) for s, r, c in rows}


def per_code(
    truth: set[tuple[str, str, str]], found: set[tuple[str, str, str]]
) -> list[dict[str, Any]]:
    out = []
    for code in CODES:
        t = {x for x in truth if x[2] == code}
        f = {x for x in found if x[2] == code}
        tp = len(t & f)
        p = tp / len(f) if f else 0.0
        r = tp / len(t) if t else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out.append({"code": code, "truth": len(t), "found": len(f), "tp": tp,
                    "precision": p, "recall": r, "f1": f1})  # fmt: skip
    return out


def ranking(engine: Engine, planted: set[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Top-10% recall/precision and R-precision for the queue and the cse_likely baseline."""
    with reading(engine) as conn:
        rows = conn.execute(
            select(sources.c.name, records.c.source_ref, review_items.c.priority,
                   review_items.c.score_breakdown, review_items.c.id)
            .join(records, records.c.id == review_items.c.subject_id)
            .join(sources, sources.c.id == records.c.source_id)
            .where(review_items.c.subject_type == "record", review_items.c.active.is_(True))
        ).all()  # fmt: skip
    items = []
    for name, ref, priority, breakdown, item_id in rows:
        strength = next(
            (c.get("strength", 0.0) for c in from_json(breakdown, {}).get("contributions", [])
             if c.get("code") == "cse_likely"),
            0.0,
        )  # fmt: skip
        items.append(((str(name), str(ref)), float(priority), float(strength), int(item_id)))
    out: dict[str, dict[str, float]] = {}
    for label, key in (
        ("queue", lambda i: (-i[1], i[3])),
        ("baseline_cse_likely", lambda i: (-i[2], i[3])),
    ):
        ordered = [i[0] for i in sorted(items, key=key)]
        top = ordered[: max(1, len(ordered) // 10)]
        in_top = sum(1 for k in top if k in planted)
        r_top = set(ordered[: len(planted)])
        out[label] = {
            "items": len(ordered),
            "planted": len(planted),
            "top10_size": len(top),
            "recall_in_top10": sum(1 for k in planted if k in set(top)) / len(planted),
            "precision_top10": in_top / len(top),
            "r_precision": len(planted & r_top) / len(planted),
        }
    return out


def build_world(cases: int, seed: int, folder: Path) -> Path:
    out = folder / f"world{cases}"
    cmd = [str(ROOT / ".venv/bin/casereview"), "synth", "--cases", str(cases), "--seed", str(seed),
           "--out", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", type=Path, help="An existing synthetic world folder")
    parser.add_argument("--store", help="A store the pipeline already built from that world")
    parser.add_argument("--write-results", action="store_true", help="Append to RESULTS.md")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_review_"))
    world = args.world or build_world(args.cases, args.seed, tmp)
    if args.store:
        engine = make_engine(args.store)
        from casereview.review.build import build_review

        t0 = time.perf_counter()
        build_review(engine, actor="bench")
        build_s = time.perf_counter() - t0
    else:
        from casereview.pipeline import run_pipeline

        engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
        upgrade(engine)
        result = run_pipeline(engine, actor="bench", data=world, mappings=ROOT / "mappings")
        build_s = next(s.seconds for s in result.stages if s.stage == "review")
    truth = truth_rows(world)
    found = found_rows(engine)
    rows = per_code(truth, found)
    planted = {(s, r) for s, r, _c in truth}
    ranks = ranking(engine, planted)
    lines = [
        f"World: {args.cases} cases, seed {args.seed}; review build {build_s:.1f} s.",
        "",
        "| indicator | truth | found | precision | recall | F1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['code']} | {r['truth']} | {r['found']} | {r['precision']:.3f} | "
                     f"{r['recall']:.3f} | {r['f1']:.3f} |")  # fmt: skip
    total_tp = sum(r["tp"] for r in rows)
    p = total_tp / max(1, len(found))
    rc = total_tp / max(1, len(truth))
    lines.append(f"| **all** | {len(truth)} | {len(found)} | {p:.3f} | {rc:.3f} | "
                 f"{2 * p * rc / (p + rc) if p + rc else 0:.3f} |")  # fmt: skip
    lines += ["", "| ranking | items | planted records | recall in top 10% | precision of top 10% | R-precision |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for label, m in ranks.items():
        lines.append(f"| {label} | {m['items']:.0f} | {m['planted']:.0f} | {m['recall_in_top10']:.3f} | "
                     f"{m['precision_top10']:.3f} | {m['r_precision']:.3f} |")  # fmt: skip
    text = "\n".join(lines)
    print(text)
    if args.write_results:
        with (ROOT / "benchmarks" / "RESULTS.md").open("a") as f:
            f.write("\n## Review\n\n`.venv/bin/python benchmarks/bench_review.py --cases "
                    f"{args.cases} --seed {args.seed}`\n\n{text}\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
