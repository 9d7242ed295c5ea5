"""Exporting the person mapping: one row per mention, audited as a disclosure.

Columns are exactly `source, mention_key, person_id` (the source's name, the mention's key
as the source declared it, the resolved person). A cell that a spreadsheet would read as a
formula (starting with = + - @, a tab or a carriage return) is prefixed with `'`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from casereview.errors import StageError
from casereview.model.tables import mention_person, mentions, sources
from casereview.store.db import writing
from casereview.store.exports import require_purpose, write_audited_csv

__all__ = ["PERSON_COLUMNS", "export_persons"]

PERSON_COLUMNS = ("source", "mention_key", "person_id")


def export_persons(
    engine: Engine, out: Path, *, purpose: str, recipient: str | None = None, actor: str = "cli"
) -> int:
    """Write the mention -> person mapping to `out` (CSV) and audit the disclosure; returns
    the number of rows. The audit entry commits only if the file was written."""
    require_purpose(purpose)
    query = (
        select(sources.c.name, mentions.c.mention_key, mention_person.c.person_id)
        .select_from(
            mention_person.join(mentions, mentions.c.id == mention_person.c.mention_id).join(
                sources, sources.c.id == mentions.c.source_id
            )
        )
        .order_by(sources.c.name, mentions.c.mention_key)
    )
    with writing(engine) as conn:
        rows = [tuple(r) for r in conn.execute(query)]
        if not rows:
            raise StageError("no persons to export: run `casereview link` first")
        return write_audited_csv(
            conn,
            out,
            PERSON_COLUMNS,
            rows,
            what="persons",
            purpose=purpose,
            recipient=recipient,
            actor=actor,
        )
