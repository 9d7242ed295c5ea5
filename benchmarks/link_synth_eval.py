"""Helpers of the linkage benchmarks: truth of a synthetic world against a linked store."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine, select

from casereview.model.tables import mention_person, mentions, sources
from casereview.store.db import reading


def truth_by_mention_id(engine: Engine, world: Path) -> dict[int, str]:
    """mention id -> true person id, from DIR/truth/mentions.csv (source, mention_key, person_id)."""
    with (world / "truth" / "mentions.csv").open(newline="") as handle:
        truth = {(r["source"], r["mention_key"]): r["person_id"] for r in csv.DictReader(handle)}
    with reading(engine) as conn:
        rows = conn.execute(
            select(mentions.c.id, sources.c.name, mentions.c.mention_key).join(
                sources, sources.c.id == mentions.c.source_id
            )
        ).all()
    return {int(i): truth[(s, k)] for i, s, k in rows if (s, k) in truth}


def predicted_by_mention_id(engine: Engine) -> dict[int, int]:
    with reading(engine) as conn:
        return dict(
            conn.execute(select(mention_person.c.mention_id, mention_person.c.person_id)).all()
        )
