"""Exporting record findings: `source, record_ref, finding`, audited as a disclosure.

Every flag finding of the classify stage, and every record-level indicator the review stage
wrote (`indicators` with subject_type = 'record'), one row each. Cells a spreadsheet would
read as a formula (starting with = + - @, a tab or a carriage return) are prefixed with `'`.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from casereview.errors import ValidationError
from casereview.model.codes import AuditAction, SubjectType
from casereview.model.tables import flag_findings, indicators, records, sources
from casereview.store import audit
from casereview.store.db import writing

__all__ = ["FINDING_COLUMNS", "export_findings", "neutralise_cell", "write_audited_csv"]

FINDING_COLUMNS = ("source", "record_ref", "finding")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """The text of a CSV cell, made inert for spreadsheets (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_audited_csv(
    conn: Connection,
    out: Path,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    what: str,
    purpose: str,
    recipient: str | None,
    actor: str,
) -> None:
    """Write `rows` to `out` and append the DISCLOSE audit entry in the same transaction."""
    if not purpose or not purpose.strip():
        raise ValidationError("an export of personal data needs a stated purpose (--purpose)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralise_cell(v) for v in row])
    audit.append(
        conn,
        actor=actor,
        action=AuditAction.DISCLOSE,
        object_type="export",
        object_id=what,
        purpose=purpose.strip(),
        recipient=recipient,
        details={"rows": len(rows), "file": out.name, "columns": list(columns)},
    )


def export_findings(
    engine: Engine, out: Path, *, purpose: str, recipient: str | None = None, actor: str = "cli"
) -> int:
    """Write every flag finding and record-level indicator to `out`; returns the row count."""
    if not purpose or not purpose.strip():
        raise ValidationError("an export of personal data needs a stated purpose (--purpose)")
    flags = (
        select(sources.c.name, records.c.source_ref, flag_findings.c.code)
        .join(records, records.c.id == flag_findings.c.record_id)
        .join(sources, sources.c.id == records.c.source_id)
    )
    marks = (
        select(sources.c.name, records.c.source_ref, indicators.c.code)
        .join(records, records.c.id == indicators.c.subject_id)
        .join(sources, sources.c.id == records.c.source_id)
        .where(indicators.c.subject_type == SubjectType.RECORD.value)
    )
    with writing(engine) as conn:
        rows = sorted(
            {tuple(r) for r in conn.execute(flags)} | {tuple(r) for r in conn.execute(marks)}
        )
        write_audited_csv(
            conn,
            out,
            FINDING_COLUMNS,
            rows,
            what="findings",
            purpose=purpose,
            recipient=recipient,
            actor=actor,
        )
    return len(rows)
