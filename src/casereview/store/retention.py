"""Retention: erase records older than the review's retention date, logging metadata only.

Erasing a record removes everything derived from it or written about it in the source
(mentions, their links to persons, scored pairs, objects and places seen in it, typology,
findings, indicators) through the schema's cascading foreign keys, and the quarantined rows
of imports that finished before the date. Review items about erased records are marked
inactive and keep their history (decisions are the review's own record). The audit log is
never purged by casereview: its retention is the force's records-management decision (see
docs/audit.md). The erasure itself is one audit entry with counts and the cut-off, no content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, and_, delete, func, select, update

from casereview.errors import ValidationError
from casereview.model.codes import AuditAction, SubjectType
from casereview.model.tables import imports, mentions, quarantine, records, review_items
from casereview.store import audit
from casereview.store.db import writing

__all__ = ["PurgeResult", "purge_before"]


@dataclass(frozen=True)
class PurgeResult:
    records: int
    mentions: int
    quarantined_rows: int
    review_items_retired: int


def purge_before(
    engine: Engine, cutoff: dt.date, *, actor: str, reason: str, dry_run: bool = False
) -> PurgeResult:
    """Erase records that occurred (or, undated, were recorded) before `cutoff`."""
    if not reason.strip():
        raise ValidationError("an erasure needs a stated reason (--reason)")
    when = func.coalesce(records.c.occurred_at, records.c.recorded_at)
    old = select(records.c.id).where(and_(when.is_not(None), when < cutoff))
    with writing(engine) as conn:
        ids = [row[0] for row in conn.execute(old)]
        n_mentions = (
            conn.execute(
                select(func.count()).select_from(mentions).where(mentions.c.record_id.in_(old))
            ).scalar_one()
            if ids
            else 0
        )
        old_imports = select(imports.c.id).where(
            imports.c.finished_at < dt.datetime.combine(cutoff, dt.time(), tzinfo=dt.UTC)
        )
        n_quarantine = conn.execute(
            select(func.count())
            .select_from(quarantine)
            .where(quarantine.c.import_id.in_(old_imports))
        ).scalar_one()
        items = and_(
            review_items.c.subject_type == SubjectType.RECORD.value,
            review_items.c.subject_id.in_(old),
            review_items.c.active.is_(True),
        )
        n_items = conn.execute(
            select(func.count()).select_from(review_items).where(items)
        ).scalar_one()
        result = PurgeResult(len(ids), int(n_mentions), int(n_quarantine), int(n_items))
        if dry_run:
            conn.rollback()
            return result
        conn.execute(update(review_items).where(items).values(active=False))
        conn.execute(delete(quarantine).where(quarantine.c.import_id.in_(old_imports)))
        for start in range(0, len(ids), 500):
            conn.execute(delete(records).where(records.c.id.in_(ids[start : start + 500])))
        audit.append(
            conn,
            actor=actor,
            action=AuditAction.ERASE,
            object_type="records",
            object_id=f"before:{cutoff.isoformat()}",
            purpose=reason,
            details={
                "cutoff": cutoff.isoformat(),
                "records": result.records,
                "mentions": result.mentions,
                "quarantined_rows": result.quarantined_rows,
                "review_items_retired": result.review_items_retired,
            },
        )
    return result
