"""Store-level commands: `init`, `config show`, `audit verify`, `audit head`."""

from __future__ import annotations

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json, settings_for, store_engine
from casereview.errors import ConfigError
from casereview.model.codes import AuditAction

config_app = typer.Typer(help="Show the settings in force.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the tamper-evident audit log.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(audit_app, name="audit")

JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON.")


@app.command("init")
def init_store(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Create the store's schema, or upgrade it to this version; safe to run again."""
    from rich.table import Table

    from casereview.store import audit
    from casereview.store.migrate import upgrade
    from casereview.store.summary import store_summary

    with store_engine(ctx, need_schema=False) as engine:
        before, after = upgrade(engine)
        if before != after:
            audit.append_alone(
                engine,
                actor=settings_for(ctx).user,
                action=AuditAction.ALTER,
                object_type="schema",
                object_id=after,
                details={"from_revision": before, "to_revision": after},
            )
        summary = store_summary(engine)
    summary |= {"changed": before != after, "previous_revision": before}
    if as_json:
        print_json(summary)
        return
    verb = (
        "created" if before is None else ("upgraded" if before != after else "already up to date")
    )
    console.print(f"store {summary['url']}: schema {verb} (revision {after})")
    table = Table("table", "rows")
    for name, rows in summary["tables"].items():
        table.add_row(name, str(rows))
    console.print(table)


@config_app.command("show")
def config_show(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Print every setting with its current value and description."""
    from rich.table import Table

    from casereview.settings import iter_settings

    rows = iter_settings(settings_for(ctx))
    if as_json:
        print_json([{"name": n, "value": v, "description": d} for n, v, d in rows])
        return
    table = Table("setting", "value", "description")
    for name, value, description in rows:
        table.add_row(name, str(value), description)
    console.print(table)


def _parse_head(text: str | None) -> tuple[int, str] | None:
    if not text:
        return None
    seq, sep, digest = text.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise ConfigError(f"--expect-head must look like SEQ:SHA256HEX, got {text!r}")
    return int(seq), digest


# `audit verify` exit codes: 0 verified, 1 chain broken, 3 the verification could not run or
# could not be recorded (store unreadable, disk full); docs/audit.md.
VERIFY_COULD_NOT_RUN = 3


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    expect_head: str = typer.Option(
        None,
        "--expect-head",
        help="A head recorded earlier outside the store (SEQ:HASH, from `audit head`): "
        "detects a truncated tail even if the stored head was rewound too.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Walk the hash chain and name the first broken sequence number.

    Exit codes: 0 the chain verified (and this check was recorded in it), 1 the chain is
    broken, 3 the check could not run, or could not be recorded (e.g. a full disk)."""
    from contextlib import ExitStack

    from casereview.errors import CaseReviewError, SchemaNotReady
    from casereview.store import audit

    expected = _parse_head(expect_head)
    with ExitStack() as stack:
        try:
            engine = stack.enter_context(store_engine(ctx))
            result = audit.verify(engine, expected_head=expected)
        except SchemaNotReady:
            raise
        except CaseReviewError as e:
            console.print(f"[bold red]audit chain could not be verified:[/] {e}", highlight=False)
            raise typer.Exit(VERIFY_COULD_NOT_RUN) from None
        recorded: str | None = None
        try:
            audit.append_alone(
                engine,
                actor=settings_for(ctx).user,
                action=AuditAction.VERIFY,
                object_type="audit_log",
                details={
                    "ok": result.ok,
                    "entries": result.entries,
                    "first_bad_seq": result.first_bad_seq,
                },
            )
        except CaseReviewError as e:
            recorded = str(e)
    if as_json:
        print_json(result.__dict__ | {"recorded": recorded is None, "record_error": recorded})
    elif result.ok:
        console.print(f"audit chain verified: {result.entries} entries, head {result.head_seq}")
    else:
        console.print(
            f"[bold red]audit chain BROKEN at sequence {result.first_bad_seq}[/]: {result.problem}"
        )
    if recorded is not None and not as_json:
        console.print(
            f"[bold red]this verification could not be recorded in the audit log:[/] {recorded}",
            highlight=False,
        )
    if not result.ok:
        raise typer.Exit(1)
    if recorded is not None:
        raise typer.Exit(VERIFY_COULD_NOT_RUN)


@audit_app.command("head")
def audit_head(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Print the chain's head (SEQ:HASH) to keep outside the store for later verification."""
    from casereview.store import audit
    from casereview.store.db import reading

    with store_engine(ctx) as engine, reading(engine) as conn:
        seq, digest = audit.head(conn)
    if as_json:
        print_json({"seq": seq, "hash": digest})
    else:
        typer.echo(f"{seq}:{digest}")


@app.command("runs")
def runs_list(
    ctx: typer.Context,
    stage: str = typer.Option(None, "--stage", help="Only runs of this stage (link, classify...)."),
    limit: int = typer.Option(20, "--limit", min=1, help="At most this many runs, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stage runs, newest first: running, succeeded, failed, or abandoned (its process died)."""
    from rich.table import Table

    from casereview.store.runs import list_runs

    with store_engine(ctx) as engine:
        found = list_runs(engine, stage=stage, limit=limit)
    if as_json:
        print_json([r.as_dict() for r in found])
        return
    table = Table("run", "stage", "status", "by", "started", "finished", "note")
    for r in found:
        table.add_row(
            str(r.id),
            r.stage,
            r.status,
            r.started_by or "",
            r.started_at.isoformat(timespec="seconds"),
            r.finished_at.isoformat(timespec="seconds") if r.finished_at else "",
            (r.error or "")[:80],
        )
    console.print(table)
