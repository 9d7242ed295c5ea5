"""The pipeline runs the stages in order and stops at the first that cannot run."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from casereview.errors import StageError
from casereview.model.tables import runs
from casereview.pipeline import run_pipeline
from casereview.store.db import reading


def test_empty_store_stops_at_link_with_its_failed_run(fresh_store: Engine) -> None:
    events: list[tuple[str, str]] = []
    with pytest.raises(StageError):
        run_pipeline(fresh_store, actor="test", progress=lambda s, e, _m: events.append((s, e)))
    assert events[0] == ("link", "start")
    assert ("classify", "start") not in events
    with reading(fresh_store) as conn:
        rows = conn.execute(select(runs.c.stage, runs.c.status)).all()
    assert [tuple(r) for r in rows] in ([], [("link", "failed")])


def test_data_needs_mappings(fresh_store: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="mappings"):
        run_pipeline(fresh_store, actor="test", data=tmp_path)
