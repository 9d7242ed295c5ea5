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


def _run_then_hang(url: str, ready: str) -> None:
    """A child process: start a stage run, say so, and wait to be killed."""
    import time
    from pathlib import Path

    from casereview.store.db import make_engine

    engine = make_engine(url)
    with stage_run(engine, "link", {}, actor="killed"):
        Path(ready).write_text("running")
        time.sleep(600)


def test_a_killed_run_is_shown_abandoned_and_never_blocks(store_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL leaves the run `running` in the table; its process is gone, so it is listed
    `abandoned`, the next run records it so, and the next run itself succeeds."""
    import multiprocessing
    import os
    import signal
    import time

    from casereview.store.db import make_engine
    from casereview.store.runs import list_runs

    ready = tmp_path / "ready"
    child = multiprocessing.get_context("fork").Process(
        target=_run_then_hang, args=(store_url, str(ready))
    )
    child.start()
    engine = make_engine(store_url)
    try:
        for _ in range(600):
            if ready.exists() or not child.is_alive():
                break
            time.sleep(0.1)
        assert ready.exists()
        live = list_runs(engine)
        assert [(r.stage, r.status, r.started_by) for r in live] == [("link", "running", "killed")]
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        listed = list_runs(engine)
        assert [(r.stage, r.status) for r in listed] == [("link", "abandoned")]
        with reading(engine) as conn:  # listing writes nothing
            assert conn.execute(select(runs.c.status)).scalar_one() == "running"
        with stage_run(engine, "link", {}, actor="next") as run:
            run.counts["ok"] = 1
        with reading(engine) as conn:
            rows = [tuple(r) for r in conn.execute(select(runs.c.started_by, runs.c.status).order_by(runs.c.id))]
        assert rows == [("killed", "abandoned"), ("next", "succeeded")]
    finally:
        if child.is_alive():
            child.kill()
        engine.dispose()


def test_a_reused_process_id_is_not_the_owner() -> None:
    """A pid alive now but started at another time (the pid was reused) is not the owner."""
    import os

    from casereview.store.runs import _owner_alive_here, process_identity

    me = process_identity()
    assert _owner_alive_here(me) is True
    assert me["start"] is not None  # Linux: the start time is known
    assert _owner_alive_here(me | {"start": me["start"] + 1}) is False
    assert _owner_alive_here(me | {"pid": 2**22 + 7}) is False  # no such process
    assert _owner_alive_here(me | {"host": "elsewhere"}) is None
    assert os.getpid() == me["pid"]


def test_a_run_of_a_dead_process_here_is_abandoned_while_the_server_still_holds_its_lock(
    fresh_store: Engine,
) -> None:
    """PostgreSQL frees a killed process's advisory lock only when its backend notices the
    closed connection: a run whose owner on this host is gone is abandoned at once, and a run
    of a live owner (or of another host) whose lock is held is not."""
    from sqlalchemy import insert, text

    from casereview.model.serial import canonical_json
    from casereview.store.db import is_sqlite, writing
    from casereview.store.runs import _LOCK_CLASS, list_runs, process_identity, utc_now

    me = process_identity()
    owners = {
        "dead here": me | {"pid": 2**22 + 7},
        "alive here": me,
        "elsewhere": me | {"host": "elsewhere"},
    }
    ids = {}
    with writing(fresh_store) as conn:
        for who, owner in owners.items():
            ids[who] = conn.execute(
                insert(runs)
                .values(stage="link", parameters="{}", software_version="t", status="running",
                        started_by=who, started_at=utc_now(), owner=canonical_json(owner))
                .returning(runs.c.id)
            ).scalar_one()  # fmt: skip
    postgres = not is_sqlite(fresh_store)
    with fresh_store.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
        if postgres:  # every lock held, as by backends that have not yet noticed
            for run_id in ids.values():
                holder.execute(text("SELECT pg_advisory_lock(:c, :r)"), {"c": _LOCK_CLASS, "r": run_id})
        shown = {r.started_by: r.status for r in list_runs(fresh_store)}
    # SQLite cannot ask another host, and keeps its run running; so does PostgreSQL while the
    # lock is held.
    assert shown == {"dead here": "abandoned", "alive here": "running", "elsewhere": "running"}
