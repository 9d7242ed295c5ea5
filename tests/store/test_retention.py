"""Retention: old records erased with everything about them; the erasure logged as metadata."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from casereview.errors import ValidationError
from casereview.model import tables as t
from casereview.store import audit
from casereview.store.db import reading
from casereview.store.retention import purge_before
from export_world import build_store, crime, nominal, record_ids, write_exports

CSE = ("IP (F, 14) reports an older male gave her alcohol and lifts and took her to a hotel "
       "where sexual activity took place.")  # fmt: skip
JO = ("Jo", "Bloggs", "01/01/1997")
SAM = ("Sam", "Bloggs", "02/02/2007")


def _world(engine: Engine, data: Path) -> dict[str, int]:
    """Two crimes through ingest and every stage, a decade apart, the later one linked to the
    earlier; each a child's, flagged N though it reads as CSE (so the review stage queues
    both); and a row with an unreadable date (quarantined, naming Jo Bloggs)."""
    write_exports(
        data,
        crimes=[
            crime("OLD/1", "01/05/2011", offence="Sexual activity with a child", narrative=CSE),
            crime("NEW/1", "01/05/2021", offence="Sexual activity with a child", narrative=CSE,
                  linked_refs="OLD/1"),
            crime("BAD/1", "31/02/2021", narrative="Note naming Jo Bloggs"),
        ],
        nominals=[nominal("N-OLD/1", "OLD/1", "V", JO), nominal("N-NEW/1", "NEW/1", "V", SAM)],
    )  # fmt: skip
    build_store(engine, data)
    return record_ids(engine)


def test_purge_erases_old_records_and_logs_metadata_only(fresh_store: Engine, tmp_path: Path) -> None:  # fmt: skip
    ids = _world(fresh_store, tmp_path / "data")
    with reading(fresh_store) as conn:
        queued = dict(conn.execute(select(t.review_items.c.subject_id, t.review_items.c.active)).all())
        assert conn.execute(select(func.count()).select_from(t.quarantine)).scalar_one() == 1
    assert queued == {ids["OLD/1"]: True, ids["NEW/1"]: True}
    cutoff = dt.date(2015, 1, 1)
    dry = purge_before(fresh_store, cutoff, actor="dpo", reason="retention schedule", dry_run=True)
    assert (dry.records, dry.mentions, dry.review_items_retired) == (1, 1, 1)
    with reading(fresh_store) as conn:
        assert conn.execute(select(func.count()).select_from(t.records)).scalar_one() == 2
    # The import finished now, after the cut-off: its quarantined row stays.
    result = purge_before(fresh_store, cutoff, actor="dpo", reason="retention schedule")
    assert (result.records, result.mentions, result.quarantined_rows, result.review_items_retired) == (1, 1, 0, 1)
    with reading(fresh_store) as conn:
        assert [r[0] for r in conn.execute(select(t.records.c.source_ref))] == ["NEW/1"]
        assert [r[0] for r in conn.execute(select(t.mentions.c.mention_key))] == ["N-NEW/1"]
        link = conn.execute(select(t.record_links.c.to_source_ref, t.record_links.c.to_record_id)).one()
        assert tuple(link) == ("OLD/1", None)
        active = dict(conn.execute(select(t.review_items.c.subject_id, t.review_items.c.active)).all())
        assert active == {ids["OLD/1"]: False, ids["NEW/1"]: True}
        assert conn.execute(select(func.count()).select_from(t.quarantine)).scalar_one() == 1
        entries = [e for e in audit.iter_entries(conn) if e.action == "erase"]
    assert len(entries) == 1
    erase = entries[0]
    assert (erase.actor, erase.object_id, erase.purpose) == ("dpo", "before:2015-01-01", "retention schedule")
    assert erase.details_dict == {"cutoff": "2015-01-01", "records": 1, "mentions": 1, "quarantined_rows": 0,
                                  "review_items_retired": 1, "persons_unnamed": 1, "persons_renamed": 0,
                                  "places": 0, "objects": 0, "earlier_exports": 0}
    assert "Bloggs" not in erase.details and "Note" not in erase.details
    assert audit.verify(fresh_store).ok


def test_purge_needs_a_reason(fresh_store: Engine) -> None:
    with pytest.raises(ValidationError):
        purge_before(fresh_store, dt.date(2015, 1, 1), actor="dpo", reason=" ")
