"""`--out` and `--force` of every command that writes a file or a folder of personal data or
statistics: never through a symbolic link, never over an existing file unless `--force`."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

__all__ = ["FORCE_OPTION", "checked_out"]

FORCE_OPTION: bool = typer.Option(
    False,
    "--force",
    help="Replace an existing --out (a symbolic link is removed and replaced, never followed).",
)


def _refuse(message: str) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint="--out")


def checked_out(out: Path, force: bool, *, folder: bool = False) -> Path:
    """`out`, made safe to write: a symbolic link there is refused (with `force`: removed, so
    the new file is made in its place and what it pointed at is untouched); an existing file
    (or, for a `folder`, a folder that holds anything) is refused unless `force`, and then
    removed, so the writer creates a new 0600 file rather than writing through another name
    (a hard link) or keeping another file's mode."""
    if out.is_symlink():
        if not force:
            raise _refuse(f"{out} is a symbolic link: not followed (--force replaces the link)")
        out.unlink()
        return out
    if not out.exists():
        return out
    if folder:
        if not out.is_dir():
            raise _refuse(f"{out} exists and is not a folder")
        if any(out.iterdir()):
            if not force:
                raise _refuse(f"{out} is not empty: refusing to overwrite (--force replaces it)")
            shutil.rmtree(out)
        return out
    if out.is_dir():
        raise _refuse(f"{out} is a folder, not a file")
    if not force:
        raise _refuse(f"{out} exists: refusing to overwrite (--force replaces it)")
    out.unlink()
    return out
