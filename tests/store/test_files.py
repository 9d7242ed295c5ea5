"""Files holding personal data are created 0600 whatever the umask (issue 22, item 12)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from casereview.errors import StoreError
from casereview.network.export import export_groups
from casereview.store.backup import backup_store
from casereview.store.db import make_engine, writing
from casereview.store.migrate import upgrade


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask of a shell (0022): files would be 0644 without explicit modes."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def store(tmp_path: Path, loose_umask: None) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def test_store_wal_and_shm_are_owner_only(store: Engine, tmp_path: Path) -> None:
    with writing(store) as conn:  # a write keeps the WAL and its index in use
        conn.execute(text("INSERT INTO teams (name, created_at) VALUES ('t', '2024-01-01')"))
        files = {p.name: _mode(p) for p in tmp_path.iterdir()}
    assert files == {"store.db": 0o600, "store.db-wal": 0o600, "store.db-shm": 0o600}


def test_backups_and_exports_are_owner_only(store: Engine, tmp_path: Path) -> None:
    backup_store(store, tmp_path / "copies" / "backup.db", actor="t", purpose="test")
    export_groups(store, tmp_path / "out" / "groups.csv", purpose="test")
    assert _mode(tmp_path / "copies" / "backup.db") == 0o600
    assert _mode(tmp_path / "out" / "groups.csv") == 0o600
    # An export over an existing readable file makes it owner-only too.
    existing = tmp_path / "out" / "again.csv"
    existing.write_text("old")
    existing.chmod(0o644)
    export_groups(store, existing, purpose="test")
    assert _mode(existing) == 0o600


def test_a_link_made_after_the_check_is_not_followed(store: Engine, tmp_path: Path) -> None:
    """The `--out` check (cli/outputs.py) runs before the export; a symbolic link put at the
    path between the check and the write is refused by the open itself (before: written
    through, the link's target truncated and filled with the export)."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    out = tmp_path / "groups.csv"
    out.symlink_to(victim)
    with store.connect() as conn:
        entries = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    with pytest.raises(StoreError, match="symbolic link"):
        export_groups(store, out, purpose="test")
    assert victim.read_text() == "keep me\n" and out.is_symlink()
    with store.connect() as conn:  # no disclosure is recorded for a file never written
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == entries
