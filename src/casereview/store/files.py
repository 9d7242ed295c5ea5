"""Files that hold personal data are created readable by their owner only (mode 0600).

The store (and SQLite's -wal and -shm files, which SQLite creates with the mode of the
database file), backups and exports are made through here, whatever the process's umask.
A file is never written through a symbolic link: the open itself refuses one (`O_NOFOLLOW`),
so a link put in place after `--out` was checked (cli/outputs.py) cannot redirect the write.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import IO

from casereview.errors import StoreError

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
    """Open `path` for writing text (truncated), created or made mode 0600 first. A symbolic
    link at `path` is refused by the open itself (StoreError), and its target left untouched."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_MODE)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise StoreError(f"{path} is a symbolic link: not followed") from None
        raise
    os.fchmod(fd, PRIVATE_MODE)
    return os.fdopen(fd, "w", newline="", encoding=encoding)
