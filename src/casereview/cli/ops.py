"""Operations commands: `backup`."""

from __future__ import annotations

from pathlib import Path

import typer

from casereview.cli.app import app
from casereview.cli.common import console, open_store, print_json, settings_for
from casereview.store.backup import backup_store


@app.command("backup")
def backup(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="File to write the backup to (must not exist)."),
    purpose: str = typer.Option(
        "routine backup", "--purpose", help="Why the copy is made (recorded in the audit log)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Copy the whole store consistently while it is in use (SQLite backup API or pg_dump)."""
    engine = open_store(ctx)
    result = backup_store(engine, out, actor=settings_for(ctx).user, purpose=purpose)
    if as_json:
        print_json({"path": str(result.path), "bytes": result.bytes, "audit_seq": result.audit_head_seq})
    else:
        console.print(f"backup written: {result.path} ({result.bytes:,} bytes)")
