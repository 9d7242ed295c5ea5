"""What every command shares: the store URL from `--database`, output helpers, the console,
and who acts: commands that change review state act as the user signed in with
`casereview login` (its token), never merely as a name given on the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

    from casereview.settings import Settings

# Command modules import only what `--help` needs (typer and the code sets) at module level;
# rich, the store, the settings and every stage are imported inside the commands that use them,
# so that `casereview --help` starts fast (tests/cli/test_startup.py).

if TYPE_CHECKING:
    from casereview.model.codes import UserRole
    from casereview.store.access import Actor

__all__ = [
    "console",
    "err_console",
    "open_store",
    "print_json",
    "run_export",
    "settings_for",
    "signed_in_actor",
    "store_engine",
]


class _LazyConsole:
    """A rich Console made on first use: importing rich.console costs a third of the start-up
    of `casereview --help`, which prints nothing through it. Every attribute read or set goes
    to the one Console behind it."""

    def __init__(self, **options: Any) -> None:
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_console", None)

    def _made(self) -> Console:
        made = object.__getattribute__(self, "_console")
        if made is None:
            from rich.console import Console

            made = Console(**object.__getattribute__(self, "_options"))
            object.__setattr__(self, "_console", made)
        return made

    def __getattr__(self, name: str) -> Any:
        return getattr(self._made(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._made(), name, value)

    # Special methods are looked up on the type, not through __getattr__ (rich's Live and
    # Progress enter and leave their console as a context manager).
    def __enter__(self) -> Console:
        return self._made().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._made().__exit__(*exc)


console = cast("Console", _LazyConsole())
err_console = cast("Console", _LazyConsole(stderr=True))


def settings_for(ctx: typer.Context) -> Settings:
    """The settings, with the global `--database` option applied."""
    from casereview.settings import get_settings

    url = (ctx.find_root().obj or {}).get("database")
    return get_settings(database_url=url) if url else get_settings()


def open_store(
    ctx: typer.Context, *, need_schema: bool = True, busy_timeout_s: float | None = None
) -> Engine:
    """An engine on the store named by `--database` / CASEREVIEW_DATABASE_URL.

    The caller disposes of it; commands use `store_engine`, which does.
    """
    from casereview.store import db

    engine = db.make_engine(settings_for(ctx).database_url, busy_timeout_s=busy_timeout_s)
    if need_schema:
        try:
            db.require_schema(engine)
        except BaseException:
            engine.dispose()
            raise
    return engine


@contextmanager
def store_engine(
    ctx: typer.Context, *, need_schema: bool = True, busy_timeout_s: float | None = None
) -> Iterator[Engine]:
    """`open_store` for the length of a command: pooled connections are closed on the way out.

    PostgreSQL counts every pooled connection against the server's limit, so a command that
    returns (or fails) must not leave any open behind it.
    """
    engine = open_store(ctx, need_schema=need_schema, busy_timeout_s=busy_timeout_s)
    try:
        yield engine
    finally:
        engine.dispose()


def print_json(value: Any) -> None:
    """Data for machines: indented JSON on stdout."""
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def run_export(
    ctx: typer.Context,
    export: Callable[..., int],
    out: Path,
    purpose: str,
    recipient: str | None,
    as_json: bool,
) -> None:
    """Run an audited export function on the store and report how many rows it wrote."""
    settings = settings_for(ctx)
    with store_engine(ctx) as store:
        rows = export(store, out, purpose=purpose, recipient=recipient, actor=settings.user)
    if as_json:
        print_json({"rows": rows, "file": str(out)})
        return
    console.print(f"wrote {rows} rows to {out}")


def signed_in_actor(
    store: Engine, named: str | None, command: str, *, roles: tuple[UserRole, ...] = ()
) -> Actor:
    """The user signed in on this command line, for a command that changes review state.

    The token comes from CASEREVIEW_TOKEN or the 0600 token file (`casereview login`); `--as`,
    when given, must name that same user; CASEREVIEW_USER plays no part. The OS user is
    recorded as the actor's client in every audit entry. A refusal of access (bad or expired
    token, another name, a disabled user, a role not in `roles`) is audited as DENIED on the
    command.
    """
    from casereview.errors import AccessDenied, ConfigError
    from casereview.model.codes import AuditAction
    from casereview.store import audit
    from casereview.store.access import load_actor, require_role
    from casereview.store.cli_tokens import TOKEN_ENV, os_user, read_token, resolve_token
    from casereview.store.db import reading

    client = f"cli os-user={os_user()}"
    token = read_token()
    if token is None:
        raise ConfigError(
            f"`{command}` changes review state: sign in first with `casereview login USERNAME` "
            f"(or give a token in {TOKEN_ENV})"
        )
    who = named or "unknown"
    try:
        with reading(store) as conn:
            who = resolve_token(conn, token)
            if named is not None and named != who:
                raise AccessDenied(f"signed in as {who}, not {named}: `--as` cannot change that")
            actor = load_actor(conn, who, client=client)
        if roles:
            require_role(actor, *roles)
        return actor
    except AccessDenied as refused:
        denial = {"command": command, "reason": str(refused)}
        audit.append_alone(
            store,
            actor=who,
            action=AuditAction.DENIED,
            object_type="function",
            object_id=command,
            client=client,
            details=denial,
        )
        raise
