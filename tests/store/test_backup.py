"""Backups taken while writes continue are sound and their audit chain verifies."""

from __future__ import annotations

import shutil
import subprocess
import threading
import uuid
from pathlib import Path

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
            audit.append(conn, actor="busy", action=AuditAction.CONSULT, object_type="record", object_id=1)
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


def _backup_in_child(url: str, out: str) -> None:
    engine = make_engine(url)
    backup_store(engine, Path(out), actor="ops", purpose="killed")


def test_a_killed_backup_leaves_nothing_at_out(sqlite_store: Engine, tmp_path: Path) -> None:
    """SIGKILL at any moment: `--out` is absent or a complete, sound copy; never a partial
    file that blocks the next backup. A dead backup's temporary file is cleared next time."""
    import multiprocessing
    import os
    import random
    import signal
    import time

    with writing(sqlite_store) as conn:
        for i in range(3000):
            audit.append(conn, actor="seed", action=AuditAction.CONSULT, object_id=i,
                         details={"padding": "x" * 2000})  # fmt: skip
    url = sqlite_store.url.render_as_string(hide_password=False)
    chance = random.Random(19)
    outcomes = set()
    for attempt in range(6):
        out = tmp_path / f"copy{attempt}.db"
        child = multiprocessing.get_context("fork").Process(target=_backup_in_child, args=(url, str(out)))
        child.start()
        time.sleep(chance.uniform(0.0, 0.4))
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        if out.exists():
            assert sqlite_integrity_check(out) == "ok"
            outcomes.add("complete")
        else:
            outcomes.add("absent")
            # The next backup to the same name works, and removes the dead one's partial file.
            result = backup_store(sqlite_store, out, actor="ops", purpose="again")
            assert sqlite_integrity_check(result.path) == "ok"
            assert [p.name for p in tmp_path.glob(f".{out.name}.partial-*")] == []
    assert "absent" in outcomes


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
            ["pg_restore", "--no-owner", "-d", target.set(drivername="postgresql").render_as_string(hide_password=False), str(result.path)],
            check=True, capture_output=True,
        )
        copy = make_engine(target.render_as_string(hide_password=False))
        verified = audit.verify(copy)
        copy.dispose()
        assert (verified.ok, verified.entries) == (True, 51)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
        admin.dispose()
