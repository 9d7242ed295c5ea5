"""Consistent backups while the store is in use.

SQLite: `VACUUM INTO` writes a consistent snapshot in one read transaction while other
connections keep writing (WAL mode). (The online backup API copied page by page and began
again whenever another connection committed: on a busy 2 GB store it never finished.)
PostgreSQL: `pg_dump` in custom format, which takes its snapshot in one repeatable-read
transaction. Either way the copy is written to a temporary file beside `--out` and linked to
its name only when complete, so a killed backup leaves nothing at `--out`. Every backup is a
disclosure of the whole store and is audited.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess  # pg_dump only, with a fixed argument list  # nosec B404
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from casereview.errors import StoreError
from casereview.model.codes import AuditAction
from casereview.store import audit
from casereview.store.db import is_sqlite, writing
from casereview.store.files import create_private

__all__ = ["BackupResult", "backup_store", "sqlite_integrity_check"]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    audit_head_seq: int


def sqlite_integrity_check(path: Path) -> str:
    """`PRAGMA integrity_check` of a SQLite file: 'ok' when sound."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


_PARTIAL = ".partial-"


def _partial_path(out: Path) -> Path:
    """Where a backup is written before it is complete: a hidden file beside `out`, named by
    this process, so two backups never share one and a dead one's is recognised."""
    return out.with_name(f".{out.name}{_PARTIAL}{os.getpid()}")


def _remove_dead_partials(out: Path) -> None:
    """Delete the partial files of backups to `out` whose process is gone (killed earlier)."""
    for path in out.parent.glob(f".{out.name}{_PARTIAL}*"):
        # SQLite writes `<partial>-journal` beside the copy while it works.
        pid = path.name.rsplit(_PARTIAL, 1)[1].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except PermissionError:
            continue


def _publish(partial: Path, out: Path) -> None:
    """Give the complete copy its name: durable first, then linked (never replacing a file
    that appeared at `out` meanwhile), then the temporary name removed."""
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(partial, out)
    except FileExistsError as e:
        raise StoreError(f"backup target exists, refusing to overwrite: {out}") from e
    finally:
        partial.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not every file system can fsync a directory
        dir_fd = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def backup_store(engine: Engine, out: Path, *, actor: str, purpose: str) -> BackupResult:
    """Copy the store to `out` (a new file) and audit the copy."""
    if out.exists():
        raise StoreError(f"backup target exists, refusing to overwrite: {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_dead_partials(out)
    partial = _partial_path(out)
    partial.unlink(missing_ok=True)
    create_private(partial)  # a copy of everything: owner-only before a byte is written
    # Audit first: the copy then contains the entry that records its own making.
    with writing(engine) as conn:
        entry = audit.append(
            conn,
            actor=actor,
            action=AuditAction.DISCLOSE,
            object_type="store",
            object_id="backup",
            purpose=purpose,
            recipient=str(out.name),
            details={"target": out.name},
        )
    try:
        if is_sqlite(engine):
            _backup_sqlite(engine, partial)
        else:
            _backup_postgres(engine, partial)
        _publish(partial, out)
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    return BackupResult(out, out.stat().st_size, entry.seq)


def _backup_sqlite(engine: Engine, out: Path) -> None:
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise StoreError("an in-memory SQLite store cannot be backed up")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        # One read transaction: writers go on (WAL), and nothing makes the copy start again.
        source.execute("VACUUM INTO ?", (str(out),))
    except sqlite3.Error as e:
        raise StoreError(f"SQLite backup failed: {e}") from e
    finally:
        source.close()


def _backup_postgres(engine: Engine, out: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise StoreError("pg_dump is not installed: install the PostgreSQL client tools")
    url = engine.url.set(drivername="postgresql")
    try:
        subprocess.run(  # noqa: S603  # fixed argument list, no shell  # nosec B603
            [
                pg_dump,
                "--format=custom",
                "--file",
                str(out),
                url.render_as_string(hide_password=False),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as e:
        raise StoreError(f"pg_dump failed: {e.stderr.strip()}") from e
