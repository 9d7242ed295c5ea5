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
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, select

from casereview.model.codes import IndicatorCode
from casereview.model.serial import from_json
from casereview.model.tables import (
    group_members,
    indicators,
    mention_person,
    mentions,
    records,
    review_items,
    sources,
)
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


@dataclass(frozen=True)
class Item:
    """One active review item as the ranking sees it."""

    item_id: int
    priority: float
    strength: float
    occurred: int  # date ordinal, 0 when none (groups)
    planted_records: frozenset[tuple[str, str]]
    opportunities: frozenset[tuple[str, str]]


def opportunities(world: Path) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(code, truth person) -> its planted records: one planted missed opportunity each."""
    out: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    with (world / "truth" / "failures.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["code"] in CODES:
                out[(row["code"], row["person_id"])].add((row["source"], row["record_ref"]))
    return out


def _truth_persons_by_store_person(engine: Engine, world: Path) -> dict[int, set[str]]:
    """Store person id -> the true persons whose mentions were resolved to it."""
    with (world / "truth" / "mentions.csv").open(newline="") as f:
        truth_of = {(r["source"], r["mention_key"]): r["person_id"] for r in csv.DictReader(f)}
    out: dict[int, set[str]] = defaultdict(set)
    with reading(engine) as conn:
        for name, key, pid in conn.execute(
            select(sources.c.name, mentions.c.mention_key, mention_person.c.person_id)
            .join(mentions, mentions.c.source_id == sources.c.id)
            .join(mention_person, mention_person.c.mention_id == mentions.c.id)
        ):
            true_pid = truth_of.get((str(name), str(key)))
            if true_pid is not None:
                out[int(pid)].add(true_pid)
    return out


def queue_items(
    engine: Engine, world: Path, opps: dict[tuple[str, str], set[tuple[str, str]]]
) -> list[Item]:
    """Every active item (records and groups) with the planted records and opportunities it
    surfaces: a record item its record's; a group item those about any of its members."""
    by_record: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    by_person: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for opp, recs in opps.items():
        by_person[opp[1]].add(opp)
        for rec in recs:
            by_record[rec].add(opp)
    truth_persons = _truth_persons_by_store_person(engine, world)
    members: dict[int, set[str]] = defaultdict(set)
    with reading(engine) as conn:
        for gid, pid in conn.execute(select(group_members.c.group_id, group_members.c.person_id)):
            members[int(gid)] |= truth_persons.get(int(pid), set())
        rows = conn.execute(
            select(review_items.c.id, review_items.c.subject_type, review_items.c.priority,
                   review_items.c.score_breakdown, sources.c.name, records.c.source_ref,
                   records.c.occurred_at)
            .outerjoin(records, and_(review_items.c.subject_type == "record",
                                     records.c.id == review_items.c.subject_id))
            .outerjoin(sources, sources.c.id == records.c.source_id)
            .where(review_items.c.active.is_(True))
        ).all()  # fmt: skip
        group_of = dict(
            conn.execute(
                select(review_items.c.id, review_items.c.subject_id).where(
                    review_items.c.subject_type == "group"
                )
            ).all()
        )
    items = []
    for item_id, kind, priority, breakdown, name, ref, occurred in rows:
        strength = next(
            (c.get("strength", 0.0) for c in from_json(breakdown, {}).get("contributions", [])
             if c.get("code") == "cse_likely"),
            0.0,
        )  # fmt: skip
        if kind == "record":
            key = (str(name), str(ref))
            carried: frozenset[tuple[str, str]] = (
                frozenset({key}) if key in by_record else frozenset()
            )
            found = frozenset(by_record.get(key, set()))
        else:
            carried = frozenset()
            found = frozenset(o for p in members[int(group_of[item_id])] for o in by_person[p])
        day = occurred.toordinal() if occurred else 0
        items.append(Item(int(item_id), float(priority), float(strength), day, carried, found))
    return items


def _greedy_cover(items: list[Item], k: int) -> int:
    """Opportunities a greedy choice of k items surfaces (a lower bound on the best possible)."""
    covered: set[tuple[str, str]] = set()
    pool = [set(i.opportunities) for i in items if i.opportunities]
    for _ in range(k):
        best = max(pool, key=len, default=set())
        if not best:
            break
        covered |= best
        pool = [p - best for p in pool]
        pool = [p for p in pool if p]
    return len(covered)


def ranking(
    items: list[Item], opps: dict[tuple[str, str], set[tuple[str, str]]]
) -> dict[str, dict[str, float]]:
    """Top-10% figures for the queue and the baselines, plus the best possible of each."""
    planted = {r for recs in opps.values() for r in recs}
    k = max(1, len(items) // 10)
    out: dict[str, dict[str, float]] = {}
    orders = {
        "queue": lambda i: (-i.priority, i.item_id),
        "baseline_cse_likely": lambda i: (-i.strength, i.item_id),
        "baseline_latest_first": lambda i: (-i.occurred, i.item_id),
    }
    for label, key in orders.items():
        ordered = sorted(items, key=key)
        top = ordered[:k]
        top_records = {r for i in top for r in i.planted_records}
        top_opps = {o for i in top for o in i.opportunities}
        r_top = {r for i in ordered[: len(planted)] for r in i.planted_records}
        per_code = {
            code: sum(1 for o in top_opps if o[0] == code)
            / max(1, sum(1 for o in opps if o[0] == code))
            for code in CODES
        }
        out[label] = {
            "items": len(items),
            "top10_size": k,
            "opportunities": len(opps),
            "opportunities_in_top10": len(top_opps) / len(opps),
            "planted": len(planted),
            "recall_in_top10": len(top_records) / len(planted),
            "precision_top10": sum(1 for i in top if i.opportunities) / k,
            "r_precision": len(r_top) / len(planted),
            **{f"code:{c}": v for c, v in per_code.items()},
        }
    out["best_possible"] = {
        "items": len(items),
        "top10_size": k,
        "opportunities": len(opps),
        "opportunities_in_top10": _greedy_cover(items, k) / len(opps),
        "planted": len(planted),
        "recall_in_top10": min(k, len(planted)) / len(planted),
        "precision_top10": 1.0,
        "r_precision": 1.0,
    }
    return out


def build_world(cases: int, seed: int, folder: Path) -> Path:
    out = folder / f"world{cases}"
    cmd = [str(ROOT / ".venv/bin/casereview"), "synth", "--cases", str(cases), "--seed", str(seed),
           "--out", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True)
    return out


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
    opps = opportunities(world)
    ranks = ranking(queue_items(engine, world, opps), opps)
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
    q = ranks["queue"]
    lines += ["", f"Queue: {q['items']:.0f} active items (records and groups), top 10% = "
              f"{q['top10_size']:.0f} items; {q['opportunities']:.0f} planted missed opportunities "
              f"(distinct code, person) on {q['planted']:.0f} planted records.", "",
              "| ranking | opportunities surfaced in top 10% | planted records in top 10% "
              "| top-10% items surfacing one | R-precision (records) |",
              "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for label, m in ranks.items():
        lines.append(f"| {label} | {m['opportunities_in_top10']:.3f} | {m['recall_in_top10']:.3f} | "
                     f"{m['precision_top10']:.3f} | {m['r_precision']:.3f} |")  # fmt: skip
    lines += ["", "Opportunities surfaced in the top 10%, by code:", "",
              "| code | opportunities | queue | baseline_cse_likely | baseline_latest_first |",
              "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for code in CODES:
        n = sum(1 for o in opps if o[0] == code)
        lines.append(f"| {code} | {n} | " + " | ".join(
            f"{ranks[label][f'code:{code}']:.3f}"
            for label in ("queue", "baseline_cse_likely", "baseline_latest_first")) + " |")  # fmt: skip
    text = "\n".join(lines)
    print(text)
    if args.write_results:
        write_section(
            "Review",
            f"`.venv/bin/python benchmarks/bench_review.py --cases {args.cases} --seed {args.seed}`"
            + "\n\n"
            + text,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
