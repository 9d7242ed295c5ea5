"""Store-level commands: `init`, `config show`, `audit verify`, `audit head`, `login`, `logout`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json, settings_for, store_engine
from casereview.errors import AccessDenied, ConfigError
from casereview.model.codes import AuditAction

config_app = typer.Typer(help="Show the settings in force.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the tamper-evident audit log.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(audit_app, name="audit")

JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON.")


@app.command("init")
def init_store(
    ctx: typer.Context,
    create_roles: bool = typer.Option(
        False,
        "--create-roles",
        help="PostgreSQL: also create an owner role for the schema and an application login "
        "that cannot alter tables, disable triggers or change audit entries (docs/deployment.md).",
    ),
    owner_role: str = typer.Option("casereview_owner", "--owner-role", help="Owner role name."),
    app_role: str = typer.Option("casereview_app", "--app-role", help="Application login name."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create the store's schema, or upgrade it to this version; safe to run again."""
    from rich.table import Table

    from casereview.store import audit
    from casereview.store.migrate import upgrade
    from casereview.store.summary import store_summary

    roles = None
    with store_engine(ctx, need_schema=False) as engine:
        if create_roles:
            from casereview.store.roles import create_roles as make_roles

            roles = make_roles(engine, owner_role, app_role)
            before, after = roles.revision
        else:
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
    if roles is not None:
        summary["roles"] = {"owner": roles.owner, "app": roles.app, "created": list(roles.created)}
    if as_json:
        print_json(summary)
        return
    verb = (
        "created" if before is None else ("upgraded" if before != after else "already up to date")
    )
    console.print(f"store {summary['url']}: schema {verb} (revision {after})")
    if roles is not None:
        console.print(
            f"roles: {roles.owner} owns the schema, {roles.app} may use it "
            f"(created: {', '.join(roles.created) or 'none'}); connect the app as {roles.app}"
        )
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


@app.command("login")
def login(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Your casereview username."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin (for scripts)."
    ),
    hours: float = typer.Option(12, "--hours", min=0.1, max=24 * 7, help="How long it lasts."),
    token_out: Path = typer.Option(
        None,
        "--token-file",
        help="Where to keep the token (default CASEREVIEW_TOKEN_FILE or "
        "~/.config/casereview/token; created 0600).",
    ),
    print_token: bool = typer.Option(
        False, "--print-token", help="Print the token instead (for CASEREVIEW_TOKEN in a script)."
    ),
) -> None:
    """Sign in on this command line with your password: review commands then act as you."""
    from casereview.store.cli_tokens import sign_in, write_token_file
    from casereview.store.users import LoginPolicy

    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else typer.prompt("password", hide_input=True)
    )
    policy = LoginPolicy.from_settings(settings_for(ctx).web)
    with store_engine(ctx) as engine:
        result, issued = sign_in(engine, username, password, hours=hours, policy=policy)
    if issued is None:
        why = (
            "too many failed sign-ins: wait"
            if result.reason == "throttled"
            else ("unknown user or wrong password")
        )
        raise AccessDenied(f"sign-in refused: {why}")
    when = issued.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    if print_token:
        typer.echo(issued.token)
        return
    path = write_token_file(issued.token, token_out)
    console.print(f"signed in as {username} until {when} (token in {path}, mode 0600)")


@app.command("logout")
def logout(
    ctx: typer.Context,
    token_in: Path = typer.Option(None, "--token-file", help="The token file to end."),
) -> None:
    """End this command line's sign-in: the token is revoked and its file removed."""
    from casereview.store.cli_tokens import read_token, revoke_token, token_file
    from casereview.store.db import writing

    path = token_in or token_file()
    token = read_token(path)
    if token is None:
        console.print("not signed in")
        return
    with store_engine(ctx) as engine, writing(engine) as conn:
        revoke_token(conn, token)
    path.unlink(missing_ok=True)
    console.print("signed out")
