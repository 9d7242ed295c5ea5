"""Pairwise scores of `predict_persons` on existing stores (all mentions and full names).

.venv/bin/python benchmarks/link_quick_eval.py DIR...   (each DIR holding store.db and world/)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from link_synth_eval import mention_facts, truth_by_mention_id

from casereview.link.context import load_record_links
from casereview.link.evaluate import pairwise
from casereview.link.frame import build_frame, load_mention_rows
from casereview.link.stage import predict_persons
from casereview.store.db import make_engine, reading


def main() -> None:
    for folder in map(Path, sys.argv[1:]):
        engine = make_engine(f"sqlite:///{folder / 'store.db'}")
        truth = truth_by_mention_id(engine, folder / "world")
        facts = mention_facts(engine)
        with reading(engine) as conn:
            rows = load_mention_rows(conn)
            links = load_record_links(conn)
        labels = predict_persons(
            build_frame(rows), detail=False, record_links=links
        ).clustering.labels
        a = pairwise(labels, truth)
        f = pairwise(labels, {k: v for k, v in truth.items() if k in facts.full_name})
        print(
            f"{folder.name}: all P {a.precision:.4f} R {a.recall:.4f} F1 {a.f1:.4f}; "
            f"full names P {f.precision:.4f} R {f.recall:.4f} F1 {f.f1:.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
