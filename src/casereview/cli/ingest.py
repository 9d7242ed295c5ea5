"""`casereview ingest` and `casereview quarantine`: thin wrappers over `casereview.ingest`."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from casereview.cli.app import app
from casereview.cli.common import console, open_store, print_json, settings_for, store_engine
from casereview.model.codes import AuditAction, QuarantineReason

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy import Engine

    from casereview.ingest import ImportResult, Progress

__all__ = ["ingest_command", "quarantine_list", "quarantine_show"]

quarantine_app = typer.Typer(
    help="Rows that were not loaded: where they came from and why.", no_args_is_help=True
)
app.add_typer(quarantine_app, name="quarantine")

JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON.")


# Files at least this large get a progress bar while they load.
PROGRESS_MIN_BYTES = 4 * 1024**2


@app.command("ingest")
def ingest_command(
    ctx: typer.Context,
    mapping: list[Path] = typer.Argument(
        ...,
        metavar="MAPPING",
        help="Mapping YAML file of one source (see docs/mapping.md); several are imported "
        "in the order given.",
    ),
    data_dir: Path = typer.Option(
        Path("."), "--data-dir", help="Folder the mappings' file paths are relative to."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Import a source's export files through its mapping; one transaction per file.

    Prints a reconciliation line per file: rows read = loaded + quarantined, with what was
    withdrawn and noted. The same bytes under the same mapping as the file's latest import
    are a reported no-op; a changed file, a changed mapping, or an earlier export sent again
    after another replaced it, upserts by source ref and mention key. A store that
    does not exist yet is created first, as `casereview init` would (and said so); a store
    of an older schema needs `casereview init` to upgrade it. Several mappings are all
    checked before any is imported, then imported one after the other: if one fails, the
    files imported before it stay imported.
    """
    from casereview.ingest import ingest_mapping, load_mapping

    settings = settings_for(ctx)
    for one in mapping:
        load_mapping(one)  # a mapping error is reported before the store is touched
    engine = open_store(ctx, need_schema=False)
    try:
        created = _create_if_empty(engine, settings.user)
        if created and not as_json:
            console.print(created, highlight=False, soft_wrap=True)
        with _progress_bar(as_json) as on_progress:

            def report(result: ImportResult) -> None:
                if not as_json:
                    console.print(result.reconciliation, highlight=False, soft_wrap=True)

            results: list[ImportResult] = []
            for one in mapping:
                results += ingest_mapping(
                    engine, one, data_dir, settings.user, settings=settings.ingest,
                    on_file=report, on_progress=on_progress,
                )  # fmt: skip
    finally:
        engine.dispose()
    if as_json:
        print_json([r.as_dict() for r in results])


def _create_if_empty(engine: Engine, actor: str) -> str | None:
    """Create the schema of a store that has none (audited as `init` audits it); a store of
    an older schema is left for `casereview init` (SchemaNotReady)."""
    from sqlalchemy import inspect

    from casereview.store import audit
    from casereview.store.db import require_schema
    from casereview.store.migrate import upgrade

    if "alembic_version" in inspect(engine).get_table_names():
        require_schema(engine)
        return None
    before, after = upgrade(engine)
    audit.append_alone(engine, actor=actor, action=AuditAction.ALTER, object_type="schema",
                       object_id=after, details={"from_revision": before, "to_revision": after,
                                                 "by": "ingest"})  # fmt: skip
    where = engine.url.render_as_string(hide_password=True)
    return f"store {where} had no schema: created (revision {after}), as casereview init would"


@contextlib.contextmanager
def _progress_bar(quiet: bool) -> Iterator[Callable[[Progress], None] | None]:
    """A progress bar for files of PROGRESS_MIN_BYTES or more (rows, against the file's line
    count), on a terminal only."""
    if quiet or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    with Bar(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,} rows"),
             TimeElapsedColumn(), console=console, transient=True) as bar:  # fmt: skip
        tasks: dict[str, Any] = {}

        def on_progress(p: Progress) -> None:
            if p.size < PROGRESS_MIN_BYTES:
                return
            task = tasks.get(p.file_name)
            if task is None:
                task = tasks[p.file_name] = bar.add_task(p.file_name, total=p.rows_estimate)
            bar.update(task, completed=p.rows_done)

        yield on_progress


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    import_id: int | None = typer.Option(None, "--import", help="Only rows of this import."),
    reason: QuarantineReason | None = typer.Option(None, "--reason", help="Only this reason."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many rows."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List quarantined rows (newest first) with file, row number, field and reason."""
    from rich.table import Table

    from casereview.ingest.views import quarantine_rows
    from casereview.store import audit
    from casereview.store.db import reading

    with store_engine(ctx) as engine:
        with reading(engine) as conn:
            total, rows = quarantine_rows(
                conn, import_id=import_id, reason=reason.value if reason else None, limit=limit
            )
        # Messages can quote the values that failed: a consultation, audited.
        audit.append_alone(
            engine,
            actor=settings_for(ctx).user,
            action=AuditAction.CONSULT,
            object_type="quarantine",
            details={
                "rows": len(rows),
                "import": import_id,
                "reason": reason.value if reason else None,
                "limit": limit,
            },
        )
    if as_json:
        print_json({"total": total, "rows": rows})
        return
    table = Table("id", "import", "source", "file", "row", "field", "reason", "message")
    for r in rows:
        table.add_row(
            str(r["id"]), str(r["import_id"]), r["source"], r["file_name"],
            str(r["row_number"]), r["field"] or "", r["reason"], r["message"],
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(rows)} of {total} quarantined row(s) shown")


@quarantine_app.command("show")
def quarantine_show(
    ctx: typer.Context,
    entry_id: int = typer.Argument(..., metavar="ID", help="Quarantine entry id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one quarantined row: where it came from, why, and the row as read."""
    from casereview.ingest.views import quarantine_entry
    from casereview.model.serial import from_json
    from casereview.store import audit
    from casereview.store.db import reading

    with store_engine(ctx) as engine:
        with reading(engine) as conn:
            entry = quarantine_entry(conn, entry_id)
        # The raw row as read holds personal data: a consultation, audited.
        audit.append_alone(
            engine,
            actor=settings_for(ctx).user,
            action=AuditAction.CONSULT,
            object_type="quarantine",
            object_id=entry_id,
            details={"import": int(entry["import_id"]), "row_number": entry["row_number"]},
        )
    with contextlib.suppress(ValueError):  # a malformed row stays the text that was read
        entry["raw"] = from_json(entry["raw"], entry["raw"])
    if as_json:
        print_json(entry)
        return
    for key in (
        "id",
        "source",
        "import_id",
        "file_name",
        "row_number",
        "field",
        "reason",
        "message",
    ):
        console.print(f"[bold]{key}:[/] {entry[key]}", highlight=False)
    console.print("[bold]raw:[/]")
    console.print_json(data=entry["raw"]) if isinstance(entry["raw"], dict) else console.print(
        entry["raw"], markup=False, highlight=False
    )
