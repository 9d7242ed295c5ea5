"""Operations commands: `backup`, `purge`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json, settings_for, store_engine
from casereview.cli.outputs import FORCE_OPTION, checked_out


@app.command("backup")
def backup(
    ctx: typer.Context,
    out: Path = typer.Option(
        ..., "--out", help="File to write the backup to (new unless --force)."
    ),
    purpose: str = typer.Option(
        "routine backup", "--purpose", help="Why the copy is made (recorded in the audit log)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    force: bool = FORCE_OPTION,
) -> None:
    """Copy the whole store consistently while it is in use (SQLite backup API or pg_dump)."""
    out = checked_out(out, force)
    from casereview.store.backup import backup_store

    with store_engine(ctx) as engine:
        result = backup_store(engine, out, actor=settings_for(ctx).user, purpose=purpose)
    if as_json:
        print_json(
            {"path": str(result.path), "bytes": result.bytes, "audit_seq": result.audit_head_seq}
        )
    else:
        console.print(f"backup written: {result.path} ({result.bytes:,} bytes)")


@app.command("purge")
def purge(
    ctx: typer.Context,
    before: dt.datetime = typer.Option(
        ..., "--before", formats=["%Y-%m-%d"], help="Erase records that occurred before this date."
    ),
    reason: str = typer.Option(..., "--reason", help="Why (e.g. the retention schedule); audited."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count what would be erased; erase nothing."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Erase records past their retention date (metadata-only audit entry; audit log kept)."""
    from casereview.store.retention import purge_before

    with store_engine(ctx) as engine:
        result = purge_before(
            engine, before.date(), actor=settings_for(ctx).user, reason=reason, dry_run=dry_run
        )
    if as_json:
        print_json(result.__dict__ | {"dry_run": dry_run})
        return
    verb = "would erase" if dry_run else "erased"
    console.print(
        f"{verb} {result.records:,} records ({result.mentions:,} mentions), "
        f"{result.quarantined_rows:,} quarantined rows; "
        f"{result.review_items_retired:,} review items retired"
    )
    if not dry_run:
        console.print(
            f"{result.persons_unnamed:,} persons left with no mention lost their names, "
            f"{result.persons_renamed:,} were renamed from their remaining mentions; "
            f"{result.places:,} places and {result.objects:,} phones, vehicles and identifiers "
            "no remaining record holds were deleted"
        )
    if result.earlier_exports:
        console.print(
            f"{result.earlier_exports:,} earlier exports or backups (audit log: action disclose) "
            "may hold erased data outside the store: recall them under the retention schedule"
        )
