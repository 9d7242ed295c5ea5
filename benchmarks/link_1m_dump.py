"""Dump what `predict_persons` did on a large store, for an offline class breakdown of misses.

    flock /work/bench/duck1m.lock nice -n 5 .venv/bin/python benchmarks/link_1m_dump.py \\
        --store /work/bench/link_1m/store.db --world /work/bench/link_1m/world --out DIR

Writes DIR/mentions.parquet (mention id, truth, label, name/dob/postcode facts, block keys
after the guard), DIR/pairs.parquet (every scored pair kept: ids and match weight) and
prints pairwise P/R/F1 as bench_link_1m.py does. `analyse_link_1m_misses.py DIR` breaks the
missed true pairs down by class, cluster size and stage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from link_synth_eval import truth_by_mention_id

from casereview.collector import collector_paused
from casereview.link.evaluate import pairwise
from casereview.link.frame import build_frame, load_mention_rows
from casereview.link.stage import predict_persons
from casereview.store.db import make_engine, reading


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--world", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{args.store}")
    with collector_paused(), reading(engine) as conn:
        rows = load_mention_rows(conn)
        frame = build_frame(rows)
    truth = truth_by_mention_id(engine, Path(args.world))
    # The blocking keys before the skewed-block guard refines or drops them (in place).
    before = frame[[c for c in frame.columns if c.startswith("bk_") and c != "bka_mates"]].copy()
    before.index = frame["unique_id"].to_numpy()
    started = time.perf_counter()
    prediction = predict_persons(frame, detail=False, progress=lambda m: print("  ..", m))
    seconds = time.perf_counter() - started
    labels = prediction.clustering.labels
    pw = pairwise(labels, truth)
    print(
        f"{len(frame)} mentions, {seconds:.1f} s: P {pw.precision:.4f} R {pw.recall:.4f} "
        f"F1 {pw.f1:.4f}",
        flush=True,
    )
    for note in prediction.notes:
        print("  note:", note[:300])
    guarded = prediction.frame
    keep = [
        c
        for c in guarded.columns
        if c.startswith("bk_")
        or c
        in (
            "unique_id",
            "role",
            "source_dataset",
            "forenames",
            "surname",
            "dob",
            "postcode",
            "record_id",
            "name_key",
        )
    ]
    m = guarded[[c for c in keep if c in guarded.columns]].copy()
    for c in m.columns:
        if m[c].dtype == object or str(m[c].dtype).startswith(("category", "string")):
            m[c] = m[c].astype("string")
    for c in before.columns:
        m[f"pre_{c}"] = m["unique_id"].map(before[c].astype("string"))
    m["truth"] = m["unique_id"].map(truth)
    m["label"] = m["unique_id"].map(labels)
    raw = rows.set_index("mention_id")
    for c in ("forenames", "surname", "dob", "postcode", "role"):
        if c in raw.columns and c not in m.columns:
            m[c] = m["unique_id"].map(raw[c]).astype("string")
    m.to_parquet(out / "mentions.parquet")
    p = prediction.pairs
    cols = [c for c in ("unique_id_l", "unique_id_r", "match_weight") if c in p.columns]
    p[cols].to_parquet(out / "pairs.parquet")
    print("columns of pairs:", list(p.columns)[:30])
    print("columns of frame:", list(guarded.columns))


if __name__ == "__main__":
    main()
