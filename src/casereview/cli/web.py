"""`casereview serve`, `casereview users ...` and `casereview teams ...`: the web app and its accounts.

Commands that change users or teams act as the admin signed in with `casereview login`; the
first admin of a store is created without one (bootstrap)."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from casereview.cli.app import app
from casereview.cli.common import (
    console,
    print_json,
    settings_for,
    signed_in_actor,
    store_engine,
)
from casereview.model.codes import UserRole

if TYPE_CHECKING:
    from sqlalchemy import Engine

users_app = typer.Typer(help="Manage web users (every change is audited).", no_args_is_help=True)
teams_app = typer.Typer(help="Manage teams and their members (audited).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(teams_app, name="teams")


BOOTSTRAP_ACTOR = "bootstrap"
T = TypeVar("T")


def _admin(engine: Engine, command: str, *, creating: UserRole | None = None) -> tuple[str, str]:
    """(actor, client) of an administration command: the admin signed in with `casereview
    login` (anyone else is refused, audited). Bootstrap: while the store has no enabled admin,
    `users add NAME --role admin` runs without a sign-in, recorded as "bootstrap" with the OS
    user."""
    from casereview.store.cli_tokens import os_user, read_token
    from casereview.store.db import reading
    from casereview.store.users import admin_exists

    if creating is UserRole.ADMIN and read_token() is None:
        with reading(engine) as conn:
            if not admin_exists(conn):
                return BOOTSTRAP_ACTOR, f"cli os-user={os_user()}"
    actor = signed_in_actor(engine, None, command, roles=(UserRole.ADMIN,))
    return actor.username, actor.client or f"cli os-user={os_user()}"


def _as_admin(
    ctx: typer.Context,
    command: str,
    change: Callable[..., T],
    *args: Any,
    creating: UserRole | None = None,
) -> T:
    """`change(conn, *args, actor=, client=)` in one write transaction, as the signed-in admin
    (`_admin`): the one path of every administration command."""
    from casereview.store.db import writing

    with store_engine(ctx) as engine:
        actor, client = _admin(engine, command, creating=creating)
        with writing(engine) as conn:
            return change(conn, *args, actor=actor, client=client)


def _new_password(from_stdin: bool) -> str:
    """A password read from stdin, or a strong one generated (printed once by the caller)."""
    return sys.stdin.readline().rstrip("\n") if from_stdin else secrets.token_urlsafe(18)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: str = typer.Option(None, "--host", help="Address to listen on (default: web.host)."),
    port: int = typer.Option(None, "--port", help="Port to listen on (default: web.port)."),
    forwarded_allow_ips: str = typer.Option(
        None,
        "--forwarded-allow-ips",
        help="Comma-separated proxy addresses or networks ('*': any) whose X-Forwarded-For "
        "names the client (default: web.forwarded_allow_ips, empty: none is believed).",
    ),
    reports: Path = typer.Option(
        None,
        "--reports",
        help="Folder `casereview report` published into: its files are listed and served on "
        "the Reports page.",
    ),
) -> None:
    """Serve the review web app with uvicorn (put TLS in front and set web.secure_cookies).

    Forwarded headers are believed only from the proxies given (default: none); uvicorn's
    access log, which prints query strings, is off (web.access_log writes one without)."""
    import uvicorn

    from casereview.web.app import create_app

    settings = settings_for(ctx)
    web = settings.web
    if forwarded_allow_ips is not None:
        proxies = [p.strip() for p in forwarded_allow_ips.split(",") if p.strip()]
        web = web.model_copy(update={"forwarded_allow_ips": proxies})
    # A web request waits at most web.write_wait_s for the write lock, then answers 503.
    with store_engine(ctx, busy_timeout_s=web.write_wait_s) as engine:
        uvicorn.run(
            create_app(engine, settings=web, report_dir=reports),
            host=host or web.host,
            port=port or web.port,
            server_header=False,
            # The app reads X-Forwarded-* itself, from web.forwarded_allow_ips only.
            proxy_headers=False,
            forwarded_allow_ips="",
            access_log=False,
            log_level="info",
        )


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Login name."),
    role: UserRole = typer.Option(
        ..., "--role", help="reviewer, supervisor, analyst, auditor or admin."
    ),
    display_name: str = typer.Option("", "--display-name", help="Name shown in the app."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin."
    ),
) -> None:
    """Create a user; without --password-stdin a strong password is generated and printed once."""
    from casereview.store.users import create_user, hash_password

    password = _new_password(password_stdin)
    hashed = hash_password(password, username)  # Argon2 before the write transaction
    user_id = _as_admin(
        ctx, "users add", create_user, username, display_name or username, role, hashed,
        creating=role,
    )  # fmt: skip
    console.print(f"user {username} created (id {user_id}, {role.value})")
    if not password_stdin:
        console.print(f"password (shown once): {password}", highlight=False)


@users_app.command("disable")
def users_disable(
    ctx: typer.Context, username: str = typer.Argument(..., help="Login name.")
) -> None:
    """Disable a user and end all their web sessions at once."""
    from casereview.store.users import disable_user

    _as_admin(ctx, "users disable", disable_user, username)
    console.print(f"user {username} disabled")


@users_app.command("reset-password")
def users_reset_password(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Login name."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from stdin."
    ),
) -> None:
    """Give a user a new password and end all their web sessions (audited).

    Without --password-stdin a strong password is generated and printed once; hand it to the
    user by a secure route. The password policy applies to one read from stdin."""
    from casereview.store.users import hash_password, set_password

    password = _new_password(password_stdin)
    hashed = hash_password(password, username)  # Argon2 before the write transaction
    _as_admin(ctx, "users reset-password", set_password, username, hashed)
    console.print(f"password of {username} reset; their web sessions were ended")
    if not password_stdin:
        console.print(f"new password (shown once): {password}", highlight=False)


@users_app.command("unlock")
def users_unlock(
    ctx: typer.Context, username: str = typer.Argument(..., help="Login name.")
) -> None:
    """Clear a user's sign-in delays after failed attempts, from every address (audited)."""
    from casereview.store.users import unlock_user

    cleared = _as_admin(ctx, "users unlock", unlock_user, username)
    console.print(f"{username} unlocked ({cleared} failed sign-ins cleared)")


@users_app.command("list")
def users_list(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """List users with role, teams and state."""
    from casereview.store.db import reading
    from casereview.store.users import list_users

    with store_engine(ctx) as engine, reading(engine) as conn:
        users = list_users(conn)
    if as_json:
        print_json(
            [
                {
                    "id": u.id,
                    "username": u.username,
                    "display_name": u.display_name,
                    "role": u.role,
                    "disabled": u.disabled,
                    "teams": list(u.teams),
                }
                for u in users
            ]
        )
        return
    for u in users:
        console.print(
            f"{u.username:<20} {u.role:<11} {'disabled' if u.disabled else 'active':<9} {', '.join(u.teams)}",
            highlight=False,
        )


@teams_app.command("add")
def teams_add(ctx: typer.Context, name: str = typer.Argument(..., help="Team name.")) -> None:
    """Create a team."""
    from casereview.store.users import create_team

    team_id = _as_admin(ctx, "teams add", create_team, name)
    console.print(f"team {name} created (id {team_id})")


@teams_app.command("add-member")
def teams_add_member(
    ctx: typer.Context,
    team: str = typer.Argument(..., help="Team name."),
    user: str = typer.Argument(..., help="Login name."),
) -> None:
    """Put a user in a team: they see that team's work from their next request."""
    from casereview.store.users import add_member

    _as_admin(ctx, "teams add-member", add_member, team, user)
    console.print(f"{user} added to {team}")


@teams_app.command("remove-member")
def teams_remove_member(
    ctx: typer.Context,
    team: str = typer.Argument(..., help="Team name."),
    user: str = typer.Argument(..., help="Login name."),
) -> None:
    """Take a user out of a team: their next request no longer sees that team's work."""
    from casereview.store.users import remove_member

    _as_admin(ctx, "teams remove-member", remove_member, team, user)
    console.print(f"{user} removed from {team}")


@teams_app.command("list")
def teams_list(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """List teams and their members."""
    from casereview.store.db import reading
    from casereview.store.users import list_teams

    with store_engine(ctx) as engine, reading(engine) as conn:
        teams = list_teams(conn)
    if as_json:
        print_json([{"id": t.id, "name": t.name, "members": list(t.members)} for t in teams])
        return
    for t in teams:
        console.print(f"{t.name:<24} {', '.join(t.members)}", highlight=False)
