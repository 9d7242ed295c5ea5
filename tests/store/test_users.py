"""Users and teams: Argon2id hashes, the password policy, throttled and audited sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, insert, select

from casereview.errors import NotFound
from casereview.model.tables import login_attempts, users, web_sessions
from casereview.store import audit
from casereview.store.db import reading, writing
from casereview.store.users import (
    AccountError,
    LoginResult,
    PasswordRejected,
    TeamInfo,
    add_member,
    check_password_policy,
    create_team,
    create_user,
    disable_user,
    list_teams,
    list_users,
    remove_member,
    set_password,
    verify_login,
)

GOOD = "violet-harbour-lantern-42"
NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "at least 12"),
        ("password1234", "too common"),
        ("Password1234", "too common"),
        ("casereview123", "too common"),
        ("alice.smith1", "username"),
        ("aaaaabbbbbbbbb", "different characters"),
        ("x" * 1025, "at most"),
    ],
)
def test_password_policy_refuses(password: str, reason: str) -> None:
    with pytest.raises(PasswordRejected, match=reason):
        check_password_policy(password, "alice.smith")


def test_long_passphrases_are_accepted() -> None:
    check_password_policy("correct horse battery staple and a very long tail " * 2, "alice")
    check_password_policy(GOOD, "alice")


def test_create_user_hashes_with_argon2id_and_audits(fresh_store: Engine) -> None:
    with writing(fresh_store) as conn:
        uid = create_user(conn, "alice", "Alice A", "reviewer", GOOD, actor="root", client="cli")
        with pytest.raises(AccountError, match="already exists"):
            create_user(conn, "alice", "Alice", "reviewer", GOOD)
        with pytest.raises(AccountError, match="username"):
            create_user(conn, "a b", "x", "reviewer", GOOD)
    with reading(fresh_store) as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.id == uid)).scalar_one()
        entries = [
            (e.actor, e.action, e.object_type, e.object_id, e.client, e.details_dict)
            for e in audit.iter_entries(conn)
        ]
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert entries == [
        ("root", "admin", "user", str(uid), "cli", {"operation": "create_user", "role": "reviewer"})
    ]


def test_teams_and_membership(fresh_store: Engine) -> None:
    with writing(fresh_store) as conn:
        create_user(conn, "bob", "Bob", "supervisor", GOOD)
        create_user(conn, "cat", "Cat", "reviewer", GOOD)
        t1 = create_team(conn, "North", "north team")
        t2 = create_team(conn, "South")
        add_member(conn, "North", "bob")
        add_member(conn, t1, "cat")
        add_member(conn, t1, "cat")  # no-op
        add_member(conn, "South", "cat")
        remove_member(conn, "South", "cat")
        with pytest.raises(NotFound):
            remove_member(conn, "South", "cat")
        with pytest.raises(NotFound):
            add_member(conn, "West", "cat")
    with reading(fresh_store) as conn:
        assert list_teams(conn) == [
            TeamInfo(t1, "North", "north team", ("bob", "cat")),
            TeamInfo(t2, "South", None, ()),
        ]
        assert [(u.username, u.role, u.teams, u.disabled) for u in list_users(conn)] == [
            ("bob", "supervisor", ("North",), False),
            ("cat", "reviewer", ("North",), False),
        ]
        ops = [e.details_dict["operation"] for e in audit.iter_entries(conn)]
    assert ops == [
        "create_user",
        "create_user",
        "create_team",
        "create_team",
        "add_member",
        "add_member",
        "add_member",
        "remove_member",
    ]


def _login(engine: Engine, username: str, password: str, **kw: object) -> LoginResult:
    return verify_login(engine, username, password, **kw)[0]  # type: ignore[arg-type]


def test_login_same_answer_for_unknown_user_and_wrong_password(fresh_store: Engine) -> None:
    with writing(fresh_store) as conn:
        uid = create_user(conn, "dora", "Dora", "reviewer", GOOD)
    assert _login(fresh_store, "dora", GOOD, client="c1", now=NOW) == LoginResult(True, uid, "ok")
    assert _login(fresh_store, "dora", "wrong-password-here", client="c1", now=NOW) == (
        LoginResult(False, None, "bad_credentials")
    )
    assert _login(fresh_store, "nobody", GOOD, client="c1", now=NOW) == LoginResult(
        False, None, "bad_credentials"
    )
    with reading(fresh_store) as conn:
        attempts = conn.execute(
            select(
                login_attempts.c.username, login_attempts.c.client, login_attempts.c.success
            ).order_by(login_attempts.c.id)
        ).all()
        entries = [(e.actor, e.action, e.details_dict) for e in audit.iter_entries(conn)][1:]
    assert [tuple(a) for a in attempts[:2]] == [("dora", "c1", True), ("dora", "c1", False)]
    # The name typed for no account is not kept: a keyed hash, audited in aggregate only.
    assert attempts[2].username.startswith("?") and "nobody" not in attempts[2].username
    assert entries == [
        ("dora", "sign_in", {"reason": "ok"}),
        ("dora", "sign_in_failed", {"reason": "bad_credentials"}),
    ]


def test_disabled_user_cannot_sign_in_and_loses_sessions(fresh_store: Engine) -> None:
    with writing(fresh_store) as conn:
        uid = create_user(conn, "fay", "Fay", "reviewer", GOOD)
        conn.execute(
            insert(web_sessions).values(
                token_hash="a" * 64, user_id=uid, csrf_token="c", created_at=NOW, last_seen_at=NOW
            )
        )
        disable_user(conn, "fay", actor="adm")
    assert _login(fresh_store, "fay", GOOD, now=NOW).reason == "bad_credentials"
    with reading(fresh_store) as conn:
        assert conn.execute(select(web_sessions.c.token_hash)).all() == []
        assert [e.details_dict for e in audit.iter_entries(conn)][1] == {
            "operation": "disable_user",
            "sessions_ended": 1,
        }


def test_set_password_applies_policy_and_ends_sessions(fresh_store: Engine) -> None:
    with writing(fresh_store) as conn:
        create_user(conn, "gus", "Gus", "reviewer", GOOD)
        with pytest.raises(PasswordRejected):
            set_password(conn, "gus", "short")
        set_password(conn, "gus", "another-good-passphrase-7")
    assert _login(fresh_store, "gus", GOOD, now=NOW).ok is False
    assert _login(fresh_store, "gus", "another-good-passphrase-7", now=NOW).ok is True
