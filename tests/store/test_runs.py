"""Stage runs: output and the run row commit together, or the run is marked failed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, insert, select

from casereview import __version__
from casereview.model.serial import from_json
from casereview.model.tables import run_artifacts, runs, teams
from casereview.store import audit
from casereview.store.db import reading
from casereview.store.runs import latest_run, stage_run


def test_successful_run_commits_output_counts_and_audit(fresh_store: Engine) -> None:
    with stage_run(fresh_store, "network", {"threshold": 3}, actor="ana") as run:
        run.conn.execute(insert(teams).values(name="T1", created_at=dt.datetime.now(dt.UTC)))
        run.counts["teams"] = 1
        run.note("one team made")
    with reading(fresh_store) as conn:
        row = latest_run(conn, "network")
        assert row is not None
        assert (row["status"], row["software_version"], row["started_by"]) == (
            "succeeded",
            __version__,
            "ana",
        )
        assert (from_json(row["parameters"]), from_json(row["counts"])) == (
            {"threshold": 3},
            {"teams": 1},
        )
        assert row["finished_at"] is not None
        assert conn.execute(select(func.count()).select_from(teams)).scalar_one() == 1
        logs = conn.execute(select(run_artifacts.c.name, run_artifacts.c.content)).all()
        assert [tuple(r) for r in logs] == [("log", "one team made")]
        entries = list(audit.iter_entries(conn))
    assert [(e.action, e.object_id, e.details_dict) for e in entries] == [
        ("stage_run", str(row["id"]), {"stage": "network", "counts": {"teams": 1}})
    ]


def test_failed_run_rolls_back_output_and_is_recorded(fresh_store: Engine) -> None:
    with pytest.raises(ValueError, match="boom"):
        with stage_run(fresh_store, "classify", {}) as run:
            run.conn.execute(insert(teams).values(name="T1", created_at=dt.datetime.now(dt.UTC)))
            raise ValueError("boom")
    with reading(fresh_store) as conn:
        assert conn.execute(select(func.count()).select_from(teams)).scalar_one() == 0
        row = conn.execute(select(runs)).one()._mapping
        assert latest_run(conn, "classify") is None
    assert (row["status"], row["error"]) == ("failed", "ValueError: boom")
