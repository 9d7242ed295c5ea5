"""The read side of the classify stage: every record de-identified with its typology labels
(for analysts' exports: no names, dates of birth, addresses, references or narratives)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from casereview.model.codes import UserRole
from casereview.model.tables import classifications, records
from casereview.store.access import Actor, require_role

__all__ = ["DEIDENTIFIED_COLUMNS", "deidentified_rows"]

DEIDENTIFIED_COLUMNS = [
    "record_id",
    "record_type",
    "year",
    "borough",
    "cse_flag",
    "outcome",
    "typology",
]


def deidentified_rows(conn: Connection, actor: Actor) -> list[list[Any]]:
    """One row per record in `DEIDENTIFIED_COLUMNS` order (analysts only)."""
    require_role(actor, UserRole.ANALYST)
    labels: dict[int, list[str]] = {}
    for c in conn.execute(select(classifications.c.record_id, classifications.c.label)):
        labels.setdefault(int(c.record_id), []).append(c.label)
    rows = conn.execute(
        select(
            records.c.id,
            records.c.record_type,
            records.c.occurred_at,
            records.c.borough,
            records.c.cse_flag,
            records.c.outcome,
        ).order_by(records.c.id)
    )
    return [
        [
            r.id,
            r.record_type,
            r.occurred_at.year if r.occurred_at else "",
            r.borough,
            r.cse_flag,
            r.outcome,
            ";".join(sorted(labels.get(int(r.id), []))),
        ]
        for r in rows
    ]
