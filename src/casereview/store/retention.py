"""Retention: erase records older than the review's retention date, logging metadata only.

Erasing a record removes everything derived from it or written about it in the source
(mentions, their links to persons, scored pairs, objects and places seen in it, typology,
findings, indicators) through the schema's cascading foreign keys, and the quarantined rows
of imports that finished before the date. Then nothing personal of the erased is left behind:

- a person whose every mention was erased keeps its id (group history and decisions refer to
  it) but loses its name: `display_name` empty, `mention_count` 0, inactive;
- a person with mentions left gets its display name again from those mentions only (the
  link stage's rule: the name it is most often written with), so no erased spelling stays;
- a place or an object (phone, vehicle, online identifier) that no remaining record holds
  is deleted, with its address, postcode or value.

Review items about erased records are marked inactive and keep their history (decisions are
the review's own record). The audit log is never purged by casereview: its retention is the
force's records-management decision (see docs/audit.md). The erasure itself is one audit entry
with counts and the cut-off, no content; it also counts the earlier exports of personal data
(files outside the store, listed in the audit log) that may hold erased values, for the
operator to recall under the retention schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, and_, delete, func, select, update

from casereview.errors import ValidationError
from casereview.model.codes import AuditAction, SubjectType
from casereview.model.tables import (
    audit_log,
    imports,
    locations,
    mention_person,
    mentions,
    objects,
    persons,
    quarantine,
    record_locations,
    record_objects,
    records,
    review_items,
)
from casereview.store import audit
from casereview.store.db import writing
from casereview.values.display_name import display_name

__all__ = ["PurgeResult", "purge_before"]

_CHUNK = 500


@dataclass(frozen=True)
class PurgeResult:
    records: int
    mentions: int
    quarantined_rows: int
    review_items_retired: int
    persons_unnamed: int = 0
    persons_renamed: int = 0
    places: int = 0
    objects: int = 0
    earlier_exports: int = 0


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _ids(
    conn: Connection, column: Column[Any], where: Column[Any], record_ids: list[int]
) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(record_ids):
        query = select(column).where(where.in_(chunk))
        found |= {int(v) for v in conn.execute(query).scalars() if v is not None}
    return found


def _rename_persons(conn: Connection, person_ids: set[int]) -> tuple[int, int]:
    """Re-derive name and count of each person from the mentions left; (unnamed, renamed)."""
    unnamed = renamed = 0
    for chunk in _chunks(sorted(person_ids)):
        left: dict[int, list[tuple[str | None, str | None, str | None]]] = {}
        rows = conn.execute(
            select(
                mention_person.c.person_id,
                mentions.c.forenames,
                mentions.c.surname,
                mentions.c.name_raw,
            )
            .join(mentions, mentions.c.id == mention_person.c.mention_id)
            .where(mention_person.c.person_id.in_(chunk))
        )
        for r in rows:
            left.setdefault(int(r.person_id), []).append((r.forenames, r.surname, r.name_raw))
        for pid in chunk:
            names = left.get(pid, [])
            values = {"display_name": display_name(names), "mention_count": len(names)}
            if not names:
                values["active"] = False
                unnamed += 1
            else:
                renamed += 1
            conn.execute(update(persons).where(persons.c.id == pid).values(**values))
    return unnamed, renamed


def _delete_unused(conn: Connection, table: Table, link_column: Column[Any], ids: set[int]) -> int:
    """Delete the rows of `table` among `ids` that no remaining record refers to."""
    gone = 0
    for chunk in _chunks(sorted(ids)):
        still = set(conn.execute(select(link_column).where(link_column.in_(chunk))).scalars())
        orphans = [i for i in chunk if i not in still]
        if orphans:
            conn.execute(delete(table).where(table.c.id.in_(orphans)))
            gone += len(orphans)
    return gone


def purge_before(
    engine: Engine, cutoff: dt.date, *, actor: str, reason: str, dry_run: bool = False
) -> PurgeResult:
    """Erase records that occurred (or, undated, were recorded) before `cutoff`."""
    if not reason.strip():
        raise ValidationError("an erasure needs a stated reason (--reason)")
    when = func.coalesce(records.c.occurred_at, records.c.recorded_at)
    old = select(records.c.id).where(and_(when.is_not(None), when < cutoff))
    with writing(engine) as conn:
        ids = [int(row[0]) for row in conn.execute(old)]
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
        exports = conn.execute(
            select(func.count())
            .select_from(audit_log)
            .where(
                audit_log.c.action == AuditAction.DISCLOSE.value,
                audit_log.c.object_type.in_(["export", "store"]),
            )
        ).scalar_one()
        counted = PurgeResult(
            len(ids), int(n_mentions), int(n_quarantine), int(n_items), earlier_exports=int(exports)
        )
        if dry_run:
            conn.rollback()
            return counted
        # What the erased records touch beyond their own rows, found before they go.
        mention_ids = select(mentions.c.id).where(mentions.c.record_id.in_(old))
        people = set(
            conn.execute(
                select(mention_person.c.person_id).where(
                    mention_person.c.mention_id.in_(mention_ids)
                )
            ).scalars()
        )
        places = _ids(conn, record_locations.c.location_id, record_locations.c.record_id, ids)
        things = _ids(conn, record_objects.c.object_id, record_objects.c.record_id, ids)
        conn.execute(update(review_items).where(items).values(active=False))
        conn.execute(delete(quarantine).where(quarantine.c.import_id.in_(old_imports)))
        for chunk in _chunks(ids):
            conn.execute(delete(records).where(records.c.id.in_(chunk)))
        unnamed, renamed = _rename_persons(conn, {int(p) for p in people})
        result = PurgeResult(
            counted.records,
            counted.mentions,
            counted.quarantined_rows,
            counted.review_items_retired,
            persons_unnamed=unnamed,
            persons_renamed=renamed,
            places=_delete_unused(conn, locations, record_locations.c.location_id, places),
            objects=_delete_unused(conn, objects, record_objects.c.object_id, things),
            earlier_exports=counted.earlier_exports,
        )
        audit.append(
            conn,
            actor=actor,
            action=AuditAction.ERASE,
            object_type="records",
            object_id=f"before:{cutoff.isoformat()}",
            purpose=reason,
            details={"cutoff": cutoff.isoformat(), **result.__dict__},
        )
    return result
