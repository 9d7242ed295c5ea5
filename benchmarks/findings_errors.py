"""False positives and false negatives of one code on a store kept by bench_findings.py.

    .venv/bin/python benchmarks/findings_errors.py DIR/sparse-1.db DIR/sparse-1 CODE [--limit 20]

For each wrong firing (FP) and each miss (FN) of CODE: the record, its mentions as written
(role, name, date of birth, age, relationship, store person, true person) and, for the
indicators that read other records, the true persons' other records. Read-only: the store is
the one the bench's review stage wrote (run with `--keep`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_classify_network import LABELS
from bench_findings import World, _csv

from casereview.model.tables import (
    classifications,
    flag_findings,
    indicators,
    mention_person,
    mentions,
    records,
    sources,
)
from casereview.store.db import make_engine, reading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("world", type=Path)
    parser.add_argument("code")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--narrative", action="store_true")
    parser.add_argument("--others", action="store_true", help="Show the other records in full")
    args = parser.parse_args(argv)
    engine = make_engine(f"sqlite:///{args.store}")
    world = World(engine, args.world)
    truth = {x for x in world.truth() if x[2] == args.code}
    if args.code in LABELS:  # a typology label: the world's typology of each record
        truth = {(*key, args.code) for key, row in world.typology.items()
                 if args.code in row["typology"].split(";")}  # fmt: skip
    true_of = {(r["source"], r["mention_key"]): r["person_id"]
               for r in _csv(args.world / "truth/mentions.csv")}  # fmt: skip
    with reading(engine) as conn:
        key_of = {rid: r["key"] for rid, r in world.rec.items()}
        rid_of = {k: rid for rid, k in key_of.items()}
        found = {(*key_of[r], c) for r, c in conn.execute(
            select(flag_findings.c.record_id, flag_findings.c.code))} | {
            (*key_of[r], c) for r, c in conn.execute(
                select(indicators.c.record_id, indicators.c.code).where(
                    indicators.c.subject_type == "record"))}  # fmt: skip
        found = {x for x in found if x[2] == args.code}
        if args.code in LABELS:
            found = {(*key_of[r], lab) for r, lab in conn.execute(
                select(classifications.c.record_id, classifications.c.label)
            ) if lab == args.code}  # fmt: skip
        evidence = defaultdict(list)
        for r, ev in conn.execute(
            select(indicators.c.record_id, indicators.c.evidence).where(
                indicators.c.code == args.code, indicators.c.subject_type == "record"
            )
        ):
            evidence[r].append(ev)
        ments: dict[int, list[dict]] = defaultdict(list)
        for row in conn.execute(
            select(mentions, sources.c.name.label("src"), mention_person.c.person_id)
            .join(sources, sources.c.id == mentions.c.source_id)
            .outerjoin(mention_person, mention_person.c.mention_id == mentions.c.id)
        ):
            d = dict(row._mapping)
            d["true"] = true_of.get((d["src"], d["mention_key"]))
            ments[d["record_id"]].append(d)
        narr = dict(conn.execute(select(records.c.id, records.c.narrative)).all())
    by_true: dict[str, set[int]] = defaultdict(set)
    for rid, ms in ments.items():
        for m in ms:
            if m["true"]:
                by_true[m["true"]].add(rid)

    def show(rid: int, indent: str = "  ") -> None:
        r = world.rec[rid]
        print(f"{indent}{r['key']} {r['kind']} {r['type']} {r['day']} flag={r['flag']} "
              f"factors={sorted(r['factors'])} cse={world.is_cse.get(r['key'])}")  # fmt: skip
        for m in ments[rid]:
            print(f"{indent}  {m['role']:9} {m['forenames']!s} {m['surname']!s} "
                  f"aka={m['aliases']} dob={m['dob']!s} age={m['age_at_event']!s} "
                  f"rel={m['relationship']!s} id={m['identifiers']} ph={m['phones']} "
                  f"pc={m['postcode']!s} p={m['person_id']} "
                  f"t={m['true']}")  # fmt: skip
        if args.narrative and narr.get(rid):
            print(f"{indent}  narrative: {narr[rid][:300]}")

    print(f"{args.code}: truth {len(truth)}, found {len(found)}, "
          f"FP {len(found - truth)}, FN {len(truth - found)}")  # fmt: skip
    for label, keys in (("FP", found - truth), ("FN", truth - found)):
        for key in sorted(keys)[: args.limit]:
            rid = rid_of[key[:2]]
            print(f"\n{label} {key}")
            for ev in evidence.get(rid, []):
                print("  evidence:", json.dumps(ev, default=str)[:400])
            show(rid)
            people = {m["true"] for m in ments[rid] if m["true"]}
            for true in sorted(people):
                others = sorted(by_true[true] - {rid}, key=lambda x: str(world.rec[x]["day"]))
                kinds = [f"{world.rec[o]['kind'][:3]}:{world.rec[o]['type']}:{o}" for o in others]
                print(f"    {true} also in {kinds[:12]}")
                if args.others:
                    for o in others[:6]:
                        show(o, "      ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
