"""Backups taken while writes continue are sound and their audit chain verifies."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from casereview.errors import StoreError
from casereview.model.codes import AuditAction
from casereview.store import audit
from casereview.store.backup import backup_store, sqlite_integrity_check
from casereview.store.db import make_engine, writing


def _keep_writing(engine: Engine, stop: threading.Event, written: list[int]) -> None:
    while not stop.is_set():
        with writing(engine) as conn:
            audit.append(
                conn, actor="busy", action=AuditAction.CONSULT, object_type="record", object_id=1
            )
        written.append(1)


def test_sqlite_backup_while_writing(sqlite_store: Engine, tmp_path: Path) -> None:
    stop, written = threading.Event(), []
    with writing(sqlite_store) as conn:
        for _ in range(200):
            audit.append(conn, actor="seed", action=AuditAction.CONSULT)
    worker = threading.Thread(target=_keep_writing, args=(sqlite_store, stop, written))
    worker.start()
    try:
        result = backup_store(sqlite_store, tmp_path / "copy.db", actor="ops", purpose="test")
    finally:
        stop.set()
        worker.join()
    assert len(written) > 0
    assert sqlite_integrity_check(result.path) == "ok"
    copy = make_engine(f"sqlite:///{result.path}")
    verified = audit.verify(copy)
    copy.dispose()
    assert verified.ok and verified.entries >= result.audit_head_seq > 200


def _backup_in_child(url: str, out: str, ready: Any = None) -> None:
    """A backup in a child process. With `ready`, the child says so on the pipe when the copy
    is written and about to be published, and waits there to be killed."""
    from casereview.store import backup

    if ready is not None:

        def wait_at_publish(partial: Path, target: Path) -> None:
            ready.send(str(partial))
            time.sleep(600)

        backup._publish = wait_at_publish  # type: ignore[assignment]
    engine = make_engine(url)
    backup_store(engine, Path(out), actor="ops", purpose="killed")


def test_a_backup_killed_before_it_publishes_leaves_nothing_at_out(
    sqlite_store: Engine, tmp_path: Path
) -> None:
    """SIGKILL with the copy written but not yet published: nothing at `--out`, and the next
    backup to the same name works and clears the dead one's partial file."""
    import multiprocessing

    out = tmp_path / "copy.db"
    url = sqlite_store.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe()
    child = context.Process(target=_backup_in_child, args=(url, str(out), child_end))
    child.start()
    assert parent_end.poll(120), "the backup never reached the point of publishing"
    partial = Path(parent_end.recv())
    assert partial.exists()
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert not out.exists()
    result = backup_store(sqlite_store, out, actor="ops", purpose="again")
    assert sqlite_integrity_check(result.path) == "ok"
    assert [p.name for p in tmp_path.glob(f".{out.name}.partial-*")] == []


def test_a_backup_killed_at_any_moment_leaves_out_absent_or_whole(
    sqlite_store: Engine, tmp_path: Path
) -> None:
    """SIGKILL at a random moment: `--out` is absent or a complete, sound copy, never a
    partial file that blocks the next backup."""
    import multiprocessing
    import random

    with writing(sqlite_store) as conn:
        for i in range(3000):
            audit.append(conn, actor="seed", action=AuditAction.CONSULT, object_id=i,
                         details={"padding": "x" * 2000})  # fmt: skip
    url = sqlite_store.url.render_as_string(hide_password=False)
    chance = random.Random(19)
    for attempt in range(4):
        out = tmp_path / f"copy{attempt}.db"
        child = multiprocessing.get_context("fork").Process(
            target=_backup_in_child, args=(url, str(out))
        )
        child.start()
        time.sleep(chance.uniform(0.0, 0.4))
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        if out.exists():
            assert sqlite_integrity_check(out) == "ok"
        else:
            result = backup_store(sqlite_store, out, actor="ops", purpose="again")
            assert sqlite_integrity_check(result.path) == "ok"
            assert [p.name for p in tmp_path.glob(f".{out.name}.partial-*")] == []


def test_backup_refuses_to_overwrite(sqlite_store: Engine, tmp_path: Path) -> None:
    target = tmp_path / "exists.db"
    target.write_text("keep me")
    with pytest.raises(StoreError, match="refusing to overwrite"):
        backup_store(sqlite_store, target, actor="ops", purpose="test")
    assert target.read_text() == "keep me"


@pytest.mark.postgres
def test_postgres_dump_and_restore(pg_store_url: str, tmp_path: Path) -> None:
    store_url = pg_store_url
    if shutil.which("pg_restore") is None:
        pytest.skip("pg_restore not installed")
    engine = make_engine(store_url)
    with writing(engine) as conn:
        for i in range(50):
            audit.append(conn, actor="seed", action=AuditAction.CONSULT, object_id=i)
    result = backup_store(engine, tmp_path / "dump.pgc", actor="ops", purpose="test")
    engine.dispose()
    restored = f"cr_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(store_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{restored}"'))
    target = make_url(store_url).set(database=restored)
    try:
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "-d",
                target.set(drivername="postgresql").render_as_string(hide_password=False),
                str(result.path),
            ],
            check=True,
            capture_output=True,
        )
        copy = make_engine(target.render_as_string(hide_password=False))
        verified = audit.verify(copy)
        copy.dispose()
        assert (verified.ok, verified.entries) == (True, 51)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
        admin.dispose()
