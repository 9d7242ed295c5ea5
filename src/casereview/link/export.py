"""Exporting the person mapping: one row per mention, audited as a disclosure.

Columns are exactly `source, mention_key, person_id` (the source's name, the mention's key
as the source declared it, the resolved person). A cell that a spreadsheet would read as a
formula (starting with = + - @, a tab or a carriage return) is prefixed with `'`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine, select

from casereview.errors import StageError, ValidationError
from casereview.model.codes import AuditAction
from casereview.model.tables import mention_person, mentions, sources
from casereview.store import audit
from casereview.store.db import writing

__all__ = ["PERSON_COLUMNS", "export_persons", "neutralise_cell"]

PERSON_COLUMNS = ("source", "mention_key", "person_id")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """The text of a CSV cell, made inert for spreadsheets (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_persons(
    engine: Engine, out: Path, *, purpose: str, recipient: str | None = None, actor: str = "cli"
) -> int:
    """Write the mention -> person mapping to `out` (CSV) and audit the disclosure; returns
    the number of rows. The audit entry commits only if the file was written."""
    if not purpose or not purpose.strip():
        raise ValidationError("an export of personal data needs a stated purpose (--purpose)")
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
        rows = conn.execute(query).all()
        if not rows:
            raise StageError("no persons to export: run `casereview link` first")
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(PERSON_COLUMNS)
            for row in rows:
                writer.writerow([neutralise_cell(v) for v in row])
        audit.append(
            conn,
            actor=actor,
            action=AuditAction.DISCLOSE,
            object_type="export",
            object_id="persons",
            purpose=purpose.strip(),
            recipient=recipient,
            details={"rows": len(rows), "file": out.name, "columns": list(PERSON_COLUMNS)},
        )
    return len(rows)
