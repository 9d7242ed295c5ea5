"""Every stored pair's explanation adds up to its stored match weight: the prior plus one bar
per comparison of the model that scored it, record context included (a pair lifted by its
records naming a person in common shows that bar). Read from a store built by the real
pipeline."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from casereview.model.tables import match_pairs
from casereview.store.db import make_engine, reading


def test_each_stored_explanation_adds_up_to_its_weight(review_store: Path) -> None:
    engine = make_engine(f"sqlite:///{review_store}")
    try:
        with reading(engine) as conn:
            rows = conn.execute(select(match_pairs.c.match_weight, match_pairs.c.comparison)).all()
    finally:
        engine.dispose()
    assert rows
    comparisons: set[str] = set()
    off = []
    for weight, text in rows:
        shown = json.loads(text)
        comparisons |= {bar["comparison"] for bar in shown["bars"]}
        total = shown["prior"] + sum(bar["weight"] for bar in shown["bars"])
        if abs(total - weight) > 1e-6:
            off.append((weight, total))
    assert off == [], f"{len(off)} of {len(rows)} explanations do not add up, e.g. {off[:3]}"
    assert "context" in comparisons  # the synthetic world's records name people in common
