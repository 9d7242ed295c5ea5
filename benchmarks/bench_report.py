"""Report benchmark on a store built by the pipeline: time, disclosure, attack, leakage.

    casereview synth --cases 9000 --out DIR/synth
    casereview --database sqlite:///DIR/store.db init
    casereview --database sqlite:///DIR/store.db pipeline --data DIR/synth --mappings mappings
    python benchmarks/bench_report.py DIR/store.db DIR/report [DIR/population.csv]

Prints the build time, what disclosure control withheld, the narrowest interval the joint
integer-programming attack (tests/report/sdc_attack.py) finds for any withheld value, and every
personal value of the store (full names, dates of birth, addresses, postcodes, phones,
vehicle marks, record references) found in the HTML text or the CSVs (expected: none).
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "report"))

from sdc_attack import attack
from sqlalchemy import select

from casereview.model.tables import mentions, objects, records
from casereview.report import build_report
from casereview.report.cellkey import load_cell_keys
from casereview.report.disclosure import DisclosureRule
from casereview.report.quality import collect_quality
from casereview.report.stage import protect_all
from casereview.report.statistics import collect_statistics, load_records, load_sources
from casereview.store.db import make_engine, reading


def personal_values(engine) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    out: dict[str, set[str]] = {
        k: set() for k in ("name", "dob", "address", "postcode", "phone", "vrm", "ref")
    }
    with reading(engine) as conn:
        for m in conn.execute(
            select(
                mentions.c.forenames,
                mentions.c.surname,
                mentions.c.dob,
                mentions.c.address,
                mentions.c.postcode,
                mentions.c.phones,
            )
        ):
            if m.forenames and m.surname:
                out["name"].add(f"{m.forenames} {m.surname}")
            if m.dob:
                out["dob"] |= {m.dob.isoformat(), m.dob.strftime("%d/%m/%Y")}
            if m.address and len(m.address) > 8:
                out["address"].add(m.address)
            if m.postcode:
                out["postcode"].add(m.postcode)
            out["phone"] |= {p for p in json.loads(m.phones or "[]") if len(p) > 8}
        out["vrm"] = {
            v
            for v in conn.execute(
                select(objects.c.value).where(objects.c.kind == "vehicle")
            ).scalars()
        }
        out["ref"] = {r for r in conn.execute(select(records.c.source_ref)).scalars() if len(r) > 5}
    return out


def main(store: str, out_dir: str, population: str | None = None) -> None:
    engine = make_engine(f"sqlite:///{store}")
    start = time.perf_counter()
    result = build_report(
        engine, out_dir, purpose="benchmark", recipient="benchmarks", population_csv=population
    )
    seconds = time.perf_counter() - start
    rule = DisclosureRule()
    with reading(engine) as conn:
        names = load_sources(conn)
        recs = load_records(conn, names)
        tables = (
            collect_statistics(conn, names, recs).tables | collect_quality(conn, names, recs).tables
        )
        keys = load_cell_keys(conn)
    protected = list(protect_all(tables, rule, keys).values())  # as the report published them
    start = time.perf_counter()
    narrowest = {}
    for known in (True, False):
        bounds = attack(protected, rounding_known=known)
        narrowest[known] = min((b[1] - b[0] for b in bounds.values()), default=None)
    attack_s = time.perf_counter() - start
    html = re.sub(r'src="data:image/png;base64,[^"]+"', "", result.html.read_text())
    text = (html + "".join(p.read_text() for p in result.csv_files)).lower()
    secrets = personal_values(engine)
    leaks = {k: sorted(v for v in vals if v.lower() in text)[:5] for k, vals in secrets.items()}
    print(
        json.dumps(
            {
                "records": len(recs),
                "build_seconds": round(seconds, 2),
                "disclosure": result.disclosure,
                "attack_seconds": round(attack_s, 1),
                "narrowest_interval_rounded_reader": narrowest[True],
                "narrowest_interval_exact_reader": narrowest[False],
                "personal_values_checked": {k: len(v) for k, v in secrets.items()},
                "leaks": {k: v for k, v in leaks.items() if v},
                "html_bytes": result.html.stat().st_size,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
