"""Exporting record findings: `source, record_ref, finding`, audited as a disclosure.

Every flag finding of the classify stage, and every record-level indicator the review stage
wrote (`indicators` with subject_type = 'record'), one row each. Cells a spreadsheet would
read as a formula (starting with = + - @, a tab or a carriage return) are prefixed with `'`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from casereview.model.codes import SubjectType
from casereview.model.tables import flag_findings, indicators, records, sources
from casereview.store.db import writing
from casereview.store.exports import require_purpose, write_audited_csv

__all__ = ["FINDING_COLUMNS", "export_findings"]

FINDING_COLUMNS = ("source", "record_ref", "finding")


def export_findings(
    engine: Engine, out: Path, *, purpose: str, recipient: str | None = None, actor: str = "cli"
) -> int:
    """Write every flag finding and record-level indicator to `out`; returns the row count."""
    require_purpose(purpose)
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
