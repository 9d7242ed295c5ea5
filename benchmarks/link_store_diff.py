"""Compare what two link runs wrote on copies of one store: persons, mention_person, lineage,
places, and every stored pair's explanation as a reader gets it (`explain.stored_explanation`:
the JSON of a store upgraded from before migration 0009, or rendered from levels).

    .venv/bin/python benchmarks/link_store_diff.py before.db after.db

A store linked by an older casereview is upgraded first (`casereview init`). Weights that
differ in the last bits are DuckDB's threads (a store linked twice by one code shows the same).
"""

import argparse
import sys
from pathlib import Path

from sqlalchemy import select

from casereview.link.explain import compared_of, load_legends, stored_explanation
from casereview.model.tables import locations, match_pairs, mention_person, person_lineage, persons
from casereview.store.db import make_engine, reading


def dump(path):
    engine = make_engine(f"sqlite:///{path}")
    with reading(engine) as conn:
        out = {}
        out["persons"] = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    persons.c.id, persons.c.display_name, persons.c.mention_count, persons.c.active
                )
            ).all()
        )
        out["mp"] = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    mention_person.c.mention_id,
                    mention_person.c.person_id,
                    mention_person.c.match_weight,
                    mention_person.c.match_probability,
                )
            ).all()
        )
        out["lineage"] = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    person_lineage.c.old_person_id,
                    person_lineage.c.new_person_id,
                    person_lineage.c.change,
                    person_lineage.c.overlap,
                )
            ).all()
        )
        out["places"] = sorted(
            tuple(r) for r in conn.execute(select(locations.c.id, locations.c.place_id)).all()
        )
        cols = [c.name for c in match_pairs.c]
        rows = conn.execute(select(match_pairs)).all()
        legends = (
            load_legends(
                conn, {r.run_id for r in rows if "levels" in cols and r.levels is not None}
            )
            if "levels" in cols
            else {}
        )
        compared = (
            compared_of(conn, {m for r in rows for m in (r.mention_a_id, r.mention_b_id)})
            if legends
            else {}
        )
        ex = {}
        for r in rows:
            prior, bars = stored_explanation(r, legends, compared)
            ex[(r.mention_a_id, r.mention_b_id)] = (
                r.match_weight,
                r.match_probability,
                prior,
                [(b.comparison, b.level, b.value_a, b.value_b, b.weight) for b in bars],
            )
        out["pairs"] = ex
    engine.dispose()
    return out


parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("before", type=Path, help="SQLite store linked by the first code")
parser.add_argument("after", type=Path, help="a copy of the same store linked by the second code")
args = parser.parse_args()
for store in (args.before, args.after):
    if not store.is_file():
        sys.exit(f"link_store_diff: no store at {store}")  # never create an empty one
a, b = dump(args.before), dump(args.after)
for k in ("persons", "mp", "lineage", "places"):
    print(k, len(a[k]), "identical" if a[k] == b[k] else "DIFFERENT")
pa, pb = a["pairs"], b["pairs"]
print("pairs", len(pa), len(pb), "same keys" if pa.keys() == pb.keys() else "DIFFERENT KEYS")
exact = close = off = 0
worst = 0.0
for key in pa.keys() & pb.keys():
    x, y = pa[key], pb[key]
    if x == y:
        exact += 1
        continue
    ok = abs(x[0] - y[0]) < 1e-9 and abs(x[2] - y[2]) < 1e-12 and len(x[3]) == len(y[3])
    if ok:
        for bx, by in zip(x[3], y[3], strict=False):
            if tuple(bx[:4]) != tuple(by[:4]):
                ok = False
                break
            worst = max(worst, abs(bx[4] - by[4]))
            if abs(bx[4] - by[4]) > 1e-9:
                ok = False
    if ok:
        close += 1
    else:
        off += 1
        if off <= 3:
            print("OFF", key, x, y, sep="\n  ")
print(
    f"explanations: {exact} identical, {close} within 1e-9 (worst bar {worst:.3g}), {off} different"
)
ma = {r[0]: r for r in a["mp"]}
mb = {r[0]: r for r in b["mp"]}
d = [(ma[k], mb[k]) for k in ma if ma[k] != mb[k]]
print(
    "mention_person rows differing:",
    len(d),
    "person differs:",
    sum(x[1] != y[1] for x, y in d),
    "max weight diff:",
    max((abs((x[2] or 0) - (y[2] or 0)) for x, y in d), default=0),
)
print(d[:2])
