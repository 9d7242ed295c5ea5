"""Consistent backups while the store is in use.

SQLite: the online backup API copies a consistent snapshot page by page while other
connections keep writing (WAL mode). PostgreSQL: `pg_dump` in custom format, which takes its
snapshot in one repeatable-read transaction. Every backup is a disclosure of the whole store
and is audited.
"""

from __future__ import annotations

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


def backup_store(engine: Engine, out: Path, *, actor: str, purpose: str) -> BackupResult:
    """Copy the store to `out` (a new file) and audit the copy."""
    if out.exists():
        raise StoreError(f"backup target exists, refusing to overwrite: {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    create_private(out)  # a copy of everything: owner-only before a byte is written
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
            _backup_sqlite(engine, out)
        else:
            _backup_postgres(engine, out)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return BackupResult(out, out.stat().st_size, entry.seq)


def _backup_sqlite(engine: Engine, out: Path) -> None:
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise StoreError("an in-memory SQLite store cannot be backed up")
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(out)
    try:
        source.backup(target, pages=1024)
    except sqlite3.Error as e:
        out.unlink(missing_ok=True)
        raise StoreError(f"SQLite backup failed: {e}") from e
    finally:
        target.close()
        source.close()


def _backup_postgres(engine: Engine, out: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise StoreError("pg_dump is not installed: install the PostgreSQL client tools")
    url = engine.url.set(drivername="postgresql")
    try:
        subprocess.run(  # noqa: S603  # fixed argument list, no shell  # nosec B603
            [pg_dump, "--format=custom", "--file", str(out), url.render_as_string(hide_password=False)],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as e:
        out.unlink(missing_ok=True)
        raise StoreError(f"pg_dump failed: {e.stderr.strip()}") from e
