"""Issue 22 item 8: administration commands act as a signed-in admin, never as a name.

Before: `casereview users add/disable/reset-password` and `teams add/add-member/remove-member`
ran for anyone at the keyboard, recorded under CASEREVIEW_USER. Now they need the token of an
admin signed in with `casereview login`; the entry names that admin and the OS user. The first
admin of a store is made without a sign-in (bootstrap), and only while there is no admin.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casereview.cli import main
from casereview.model.tables import audit_log, team_members, users
from casereview.settings import reset_settings
from casereview.store import audit
from casereview.store.cli_tokens import TOKEN_FILE_ENV, os_user
from casereview.store.db import make_engine, reading

PASSWORD = "correct horse battery staple 7"
CLIENT = f"cli os-user={os_user()}"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    url = f"sqlite:///{tmp_path / 'cr.db'}"
    monkeypatch.setenv(TOKEN_FILE_ENV, str(tmp_path / "home" / "token"))
    monkeypatch.setenv("CASEREVIEW_USER", "someone-else")

    def run(*args: str, stdin: str = "") -> tuple[int, str]:
        reset_settings()
        capsys.readouterr()
        old, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            code = main(["--database", url, *args])
        finally:
            sys.stdin = old
        out = capsys.readouterr()
        return code, out.out + out.err

    assert run("init")[0] == 0
    run.url = url  # type: ignore[attr-defined]
    return run


def _entries(url: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            return [
                (e.actor, e.action, e.client, e.details_dict.get("operation"))
                for e in audit.iter_entries(conn)
                if e.action in ("admin", "denied")
            ]
    finally:
        engine.dispose()


def _usernames(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            return {r[0] for r in conn.execute(select(users.c.username))}
    finally:
        engine.dispose()


def test_admin_commands_need_a_signed_in_admin(cli: Any) -> None:
    url = cli.url
    # Bootstrap: the first admin, with no sign-in, recorded as such with the OS user.
    assert (
        cli("users", "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")[0]
        == 0
    )
    # Now nothing else runs without a sign-in: not a second admin, not a reviewer, not a team.
    for args in [
        ("users", "add", "boss2", "--role", "admin", "--password-stdin"),
        ("users", "add", "rev", "--role", "reviewer", "--password-stdin"),
        ("teams", "add", "north"),
    ]:
        code, out = cli(*args, stdin=PASSWORD + "\n")
        assert code == 2 and "casereview login" in out, args
    assert _usernames(url) == {"boss"}
    # An admin signed in: every command works and is recorded under boss with the OS user.
    assert cli("login", "boss", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    steps = [
        ("users", "add", "rev", "--role", "reviewer", "--password-stdin"),
        ("teams", "add", "north"),
        ("teams", "add-member", "north", "rev"),
        ("teams", "remove-member", "north", "rev"),
        ("users", "reset-password", "rev", "--password-stdin"),
        ("users", "unlock", "rev"),
        ("users", "disable", "rev"),
    ]
    for args in steps:
        assert cli(*args, stdin="another good passphrase 8\n")[0] == 0, args
    assert _entries(url) == [
        ("bootstrap", "admin", CLIENT, "create_user"),
        ("boss", "admin", CLIENT, "create_user"),
        ("boss", "admin", CLIENT, "create_team"),
        ("boss", "admin", CLIENT, "add_member"),
        ("boss", "admin", CLIENT, "remove_member"),
        ("boss", "admin", CLIENT, "set_password"),
        ("boss", "admin", CLIENT, "unlock_user"),
        ("boss", "admin", CLIENT, "disable_user"),
    ]


def test_a_signed_in_non_admin_is_refused_and_audited(cli: Any) -> None:
    url = cli.url
    assert (
        cli("users", "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")[0]
        == 0
    )
    assert cli("login", "boss", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    assert (
        cli(
            "users", "add", "sup", "--role", "supervisor", "--password-stdin", stdin=PASSWORD + "\n"
        )[0]
        == 0
    )
    assert cli("teams", "add", "north")[0] == 0
    assert cli("logout")[0] == 0
    assert cli("login", "sup", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    code, out = cli("teams", "add-member", "north", "sup")
    assert code != 0 and "admin" in out
    code, _ = cli(
        "users", "add", "mallory", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code != 0
    assert _usernames(url) == {"boss", "sup"}
    engine = make_engine(url)
    with reading(engine) as conn:
        assert conn.execute(select(team_members.c.user_id)).all() == []
        denied = conn.execute(
            select(audit_log.c.actor, audit_log.c.object_id, audit_log.c.client).where(
                audit_log.c.action == "denied"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in denied] == [
        ("sup", "teams add-member", CLIENT),
        ("sup", "users add", CLIENT),
    ]
