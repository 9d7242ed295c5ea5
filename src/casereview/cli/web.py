"""`casereview serve`, `casereview users ...` and `casereview teams ...`: the web app and its accounts."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json, settings_for, store_engine
from casereview.model.codes import UserRole

users_app = typer.Typer(help="Manage web users (every change is audited).", no_args_is_help=True)
teams_app = typer.Typer(help="Manage teams and their members (audited).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(teams_app, name="teams")


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: str = typer.Option(None, "--host", help="Address to listen on (default: web.host)."),
    port: int = typer.Option(None, "--port", help="Port to listen on (default: web.port)."),
    reports: Path = typer.Option(
        None,
        "--reports",
        help="Folder `casereview report` published into: its files are listed and served on "
        "the Reports page.",
    ),
) -> None:
    """Serve the review web app with uvicorn (put TLS in front and set web.secure_cookies)."""
    import uvicorn

    from casereview.web.app import create_app

    settings = settings_for(ctx)
    with store_engine(ctx) as engine:
        uvicorn.run(
            create_app(engine, settings=settings.web, report_dir=reports),
            host=host or settings.web.host,
            port=port or settings.web.port,
            server_header=False,
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
    from casereview.store.db import writing
    from casereview.store.users import create_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(18)
    with store_engine(ctx) as engine, writing(engine) as conn:
        user_id = create_user(
            conn,
            username,
            display_name or username,
            role,
            password,
            actor=settings_for(ctx).user,
            client="cli",
        )
    console.print(f"user {username} created (id {user_id}, {role.value})")
    if not password_stdin:
        console.print(f"password (shown once): {password}", highlight=False)


@users_app.command("disable")
def users_disable(
    ctx: typer.Context, username: str = typer.Argument(..., help="Login name.")
) -> None:
    """Disable a user and end all their web sessions at once."""
    from casereview.store.db import writing
    from casereview.store.users import disable_user

    with store_engine(ctx) as engine, writing(engine) as conn:
        disable_user(conn, username, actor=settings_for(ctx).user, client="cli")
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
    from casereview.store.db import writing
    from casereview.store.users import set_password

    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(18)
    with store_engine(ctx) as engine, writing(engine) as conn:
        set_password(conn, username, password, actor=settings_for(ctx).user, client="cli")
    console.print(f"password of {username} reset; their web sessions were ended")
    if not password_stdin:
        console.print(f"new password (shown once): {password}", highlight=False)


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
    from casereview.store.db import writing
    from casereview.store.users import create_team

    with store_engine(ctx) as engine, writing(engine) as conn:
        team_id = create_team(conn, name, actor=settings_for(ctx).user, client="cli")
    console.print(f"team {name} created (id {team_id})")


@teams_app.command("add-member")
def teams_add_member(
    ctx: typer.Context,
    team: str = typer.Argument(..., help="Team name."),
    user: str = typer.Argument(..., help="Login name."),
) -> None:
    """Put a user in a team: they see that team's work from their next request."""
    from casereview.store.db import writing
    from casereview.store.users import add_member

    with store_engine(ctx) as engine, writing(engine) as conn:
        add_member(conn, team, user, actor=settings_for(ctx).user, client="cli")
    console.print(f"{user} added to {team}")


@teams_app.command("remove-member")
def teams_remove_member(
    ctx: typer.Context,
    team: str = typer.Argument(..., help="Team name."),
    user: str = typer.Argument(..., help="Login name."),
) -> None:
    """Take a user out of a team: their next request no longer sees that team's work."""
    from casereview.store.db import writing
    from casereview.store.users import remove_member

    with store_engine(ctx) as engine, writing(engine) as conn:
        remove_member(conn, team, user, actor=settings_for(ctx).user, client="cli")
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
