"""Retention: old records erased with everything about them; the erasure logged as metadata."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, insert, select

from casereview.errors import ValidationError
from casereview.model import tables as t
from casereview.store import audit
from casereview.store.db import reading, writing
from casereview.store.retention import purge_before

NOW = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)


def _world(engine: Engine) -> dict[str, int]:
    with writing(engine) as conn:
        sid = conn.execute(
            insert(t.sources)
            .values(name="met_crime", kind="police", created_at=NOW)
            .returning(t.sources.c.id)
        ).scalar_one()
        iid = conn.execute(
            insert(t.imports)
            .values(
                source_id=sid,
                file_name="c.csv",
                file_role="crimes",
                sha256="a" * 64,
                mapping_name="m",
                mapping_sha256="b" * 64,
                rows_read=3,
                rows_loaded=2,
                rows_quarantined=1,
                imported_by="t",
                started_at=NOW,
                finished_at=NOW,
            )
            .returning(t.imports.c.id)
        ).scalar_one()
        conn.execute(
            insert(t.quarantine).values(
                import_id=iid,
                source_id=sid,
                file_name="c.csv",
                row_number=3,
                reason="bad_date",
                message="x",
                raw='{"name":"Jo Bloggs"}',
            )
        )
        ids = {}
        for ref, year in (("OLD/1", 2011), ("NEW/1", 2021)):
            rid = conn.execute(
                insert(t.records)
                .values(
                    source_id=sid,
                    source_ref=ref,
                    record_type="crime",
                    occurred_at=dt.date(year, 5, 1),
                    narrative=f"Note about {ref}",
                    raw="{}",
                    content_hash="c" * 64,
                    import_id=iid,
                    updated_at=NOW,
                )
                .returning(t.records.c.id)
            ).scalar_one()
            conn.execute(
                insert(t.mentions).values(
                    record_id=rid,
                    source_id=sid,
                    mention_key=f"N-{ref}",
                    role="victim",
                    surname="Bloggs",
                    raw="{}",
                    content_hash="d" * 64,
                )
            )
            conn.execute(
                insert(t.review_items).values(
                    subject_type="record",
                    subject_id=rid,
                    status="new",
                    priority=1.0,
                    score_breakdown="{}",
                    evidence_hash="e" * 64,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            ids[ref] = rid
        conn.execute(
            insert(t.record_links).values(
                record_id=ids["NEW/1"], to_source_ref="OLD/1", to_record_id=ids["OLD/1"]
            )
        )
    return ids


def test_purge_erases_old_records_and_logs_metadata_only(fresh_store: Engine) -> None:
    ids = _world(fresh_store)
    cutoff = dt.date(2015, 1, 1)
    dry = purge_before(fresh_store, cutoff, actor="dpo", reason="retention schedule", dry_run=True)
    assert (dry.records, dry.mentions, dry.review_items_retired) == (1, 1, 1)
    with reading(fresh_store) as conn:
        assert conn.execute(select(func.count()).select_from(t.records)).scalar_one() == 2
    # The import finished in 2024, after the cut-off: its quarantined row stays.
    result = purge_before(fresh_store, cutoff, actor="dpo", reason="retention schedule")
    assert (
        result.records,
        result.mentions,
        result.quarantined_rows,
        result.review_items_retired,
    ) == (1, 1, 0, 1)
    with reading(fresh_store) as conn:
        assert [r[0] for r in conn.execute(select(t.records.c.source_ref))] == ["NEW/1"]
        assert [r[0] for r in conn.execute(select(t.mentions.c.mention_key))] == ["N-NEW/1"]
        link = conn.execute(
            select(t.record_links.c.to_source_ref, t.record_links.c.to_record_id)
        ).one()
        assert tuple(link) == ("OLD/1", None)
        active = dict(
            conn.execute(select(t.review_items.c.subject_id, t.review_items.c.active)).all()
        )
        assert active == {ids["OLD/1"]: False, ids["NEW/1"]: True}
        entries = [e for e in audit.iter_entries(conn) if e.action == "erase"]
    assert len(entries) == 1
    erase = entries[0]
    assert (erase.actor, erase.object_id, erase.purpose) == (
        "dpo",
        "before:2015-01-01",
        "retention schedule",
    )
    assert erase.details_dict == {
        "cutoff": "2015-01-01",
        "records": 1,
        "mentions": 1,
        "quarantined_rows": 0,
        "review_items_retired": 1,
        "persons_unnamed": 0,
        "persons_renamed": 0,
        "places": 0,
        "objects": 0,
        "earlier_exports": 0,
    }
    assert "Bloggs" not in erase.details and "Note" not in erase.details
    assert audit.verify(fresh_store).ok


def test_purge_needs_a_reason(fresh_store: Engine) -> None:
    with pytest.raises(ValidationError):
        purge_before(fresh_store, dt.date(2015, 1, 1), actor="dpo", reason=" ")
