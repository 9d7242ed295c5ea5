"""Files that hold personal data are created readable by their owner only (mode 0600).

The store (and SQLite's -wal and -shm files, which SQLite creates with the mode of the
database file), backups and exports are made through here, whatever the process's umask.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

__all__ = ["PRIVATE_MODE", "create_private", "open_private"]

PRIVATE_MODE = 0o600


def create_private(path: Path) -> None:
    """Create `path` as an empty file with mode 0600 unless it exists (then leave it)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_MODE)  # the umask may have taken bits away, never added them
    finally:
        os.close(fd)


def open_private(path: Path, *, encoding: str = "utf-8") -> IO[str]:
    """Open `path` for writing text (truncated), created or made mode 0600 first."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    os.fchmod(fd, PRIVATE_MODE)
    return os.fdopen(fd, "w", newline="", encoding=encoding)
