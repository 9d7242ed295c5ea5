"""Command-line actions that change review state are signed in (issue 22, item 8).

Before: `casereview assign ... --as sup` (or CASEREVIEW_USER=sup) acted as sup for anyone at
the keyboard. Now the acting user is the one signed in with `casereview login` (password
checked, token kept 0600 or given in CASEREVIEW_TOKEN), `--as` may only name that user, and
every entry records the OS user beside it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from casereview.cli import main
from casereview.model.codes import UserRole
from casereview.model.tables import audit_log, cli_tokens, review_items
from casereview.review.triage import queue
from casereview.settings import reset_settings
from casereview.store.cli_tokens import TOKEN_ENV, TOKEN_FILE_ENV, issue_token, os_user
from casereview.store.db import reading, writing
from casereview.store.users import set_password
from review.conftest import (  # type: ignore[import-not-found]  # the fixtures, and their own
    Staff,
    small_indicator_pg,  # noqa: F401
    small_indicator_store,  # noqa: F401
    workflow_store,  # noqa: F401
)

PASSWORD = "correct horse battery staple 7"
CLIENT = f"cli os-user={os_user()}"


@pytest.fixture
def world(
    workflow_store: Engine,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """A copy of the small indicator world (its queue built by the real pipeline) on each
    backend, with a reviewer and a supervisor of team north who have passwords."""
    engine = workflow_store
    w = Staff(engine)
    north = w.team("north")
    w.user("rev", UserRole.REVIEWER, north)
    w.user("sup", UserRole.SUPERVISOR, north)
    with writing(engine) as conn:
        for name in ("rev", "sup"):
            set_password(conn, name, PASSWORD)
    monkeypatch.setenv(TOKEN_FILE_ENV, str(tmp_path / "home" / "token"))
    return {"url": engine.url.render_as_string(hide_password=False), "engine": engine,
            "item": queue(engine)[0].item_id, "token_file": tmp_path / "home" / "token"}  # fmt: skip


def _run(
    w: dict[str, Any], capsys: pytest.CaptureFixture[str], *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    reset_settings()
    capsys.readouterr()
    old, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        code = main(["--database", w["url"], *args])
    finally:
        sys.stdin = old
    out = capsys.readouterr()
    return code, out.out, out.err


def _status(w: dict[str, Any]) -> str:
    with reading(w["engine"]) as conn:
        return str(
            conn.execute(
                select(review_items.c.status).where(review_items.c.id == w["item"])
            ).scalar_one()
        )


def _entries(w: dict[str, Any], since: int) -> list[tuple[Any, ...]]:
    with reading(w["engine"]) as conn:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.seq > since).order_by(audit_log.c.seq)
        ).all()
    return [
        (r.actor, r.action, r.object_id, r.client, json.loads(r.details).get("reason"))
        for r in rows
    ]


def _head(w: dict[str, Any]) -> int:
    with reading(w["engine"]) as conn:
        return int(
            conn.execute(select(audit_log.c.seq).order_by(audit_log.c.seq.desc())).scalar() or 0
        )


def _assign(w: dict[str, Any], *extra: str) -> list[str]:
    return ["assign", str(w["item"]), "--to", "rev", "--team", "north", *extra]


def test_a_name_alone_does_not_act(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEREVIEW_USER", "sup")
    code, out, err = _run(world, capsys, *_assign(world, "--as", "sup"))
    assert (code, out) == (2, "")
    assert err.startswith("error: `assign` changes review state: sign in first")
    assert _status(world) == "new"


def test_login_then_act_as_yourself_with_the_os_user_recorded(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(world, capsys, "login", "sup", "--password-stdin", stdin=PASSWORD + "\n")
    assert (code, err) == (0, ""), err
    path: Path = world["token_file"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    seq = _head(world)
    assert _run(world, capsys, *_assign(world))[0] == 0  # no --as: the signed-in user
    assert _status(world) == "assigned"
    assert _entries(world, seq) == [("sup", "alter", str(world["item"]), CLIENT, None)]
    with reading(world["engine"]) as conn:
        row = conn.execute(select(cli_tokens.c.os_user, cli_tokens.c.token_hash)).one()
    assert row.os_user == os_user() and path.read_text().strip() not in row.token_hash

    # Sign out: the token is revoked and the file goes; the same token no longer works.
    token = path.read_text().strip()
    assert _run(world, capsys, "logout")[0] == 0 and not path.exists()
    os.environ[TOKEN_ENV] = token
    try:
        code, _, err = _run(world, capsys, "start", str(world["item"]))
    finally:
        os.environ.pop(TOKEN_ENV)
    assert (code, err) == (
        1,
        "error: the command-line sign-in is not valid: sign in with `casereview login`\n",
    )


def test_another_name_is_refused_and_audited(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with writing(world["engine"]) as conn:
        rev = issue_token(conn, _user_id(conn, "rev")).token
    monkeypatch.setenv(TOKEN_ENV, rev)
    monkeypatch.setenv("CASEREVIEW_USER", "sup")  # plays no part
    seq = _head(world)
    code, _, err = _run(world, capsys, *_assign(world, "--as", "sup"))
    reason = "signed in as rev, not sup: `--as` cannot change that"
    assert (code, err) == (1, f"error: {reason}\n")
    assert _entries(world, seq) == [("rev", "denied", "assign", CLIENT, reason)]
    # Without --as, the CASEREVIEW_USER of sup still gives rev's rights only.
    code, _, err = _run(world, capsys, *_assign(world))
    assert (code, err) == (1, "error: reviewer may not do this (needs supervisor)\n")
    assert _status(world) == "new"


def test_expired_token_and_readable_token_file_are_refused(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with writing(world["engine"]) as conn:
        old = issue_token(
            conn, _user_id(conn, "sup"), now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
        )
    monkeypatch.setenv(TOKEN_ENV, old.token)
    code, _, err = _run(world, capsys, *_assign(world))
    assert (code, err) == (
        1,
        "error: the command-line sign-in has expired: sign in with `casereview login`\n",
    )
    monkeypatch.delenv(TOKEN_ENV)
    path: Path = world["token_file"]
    path.parent.mkdir(parents=True)
    path.write_text(old.token)
    path.chmod(0o644)
    code, _, err = _run(world, capsys, *_assign(world))
    assert code == 2 and "may be read by others" in err
    assert _status(world) == "new"


def test_wrong_password_issues_nothing_and_is_audited(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    seq = _head(world)
    code, _, err = _run(world, capsys, "login", "sup", "--password-stdin", stdin="wrong\n")
    assert (code, err) == (1, "error: sign-in refused: unknown user or wrong password\n")
    assert not world["token_file"].exists()
    assert _entries(world, seq) == [
        ("sup", "sign_in_failed", str(_uid(world, "sup")), CLIENT, "bad_credentials")
    ]
    with reading(world["engine"]) as conn:
        assert conn.execute(select(cli_tokens)).all() == []


def _user_id(conn: Any, name: str) -> int:
    from casereview.model.tables import users

    return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())


def _uid(w: dict[str, Any], name: str) -> int:
    with reading(w["engine"]) as conn:
        return _user_id(conn, name)


def test_disabled_after_sign_in_is_refused(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from casereview.model.tables import users

    with writing(world["engine"]) as conn:
        monkeypatch.setenv(TOKEN_ENV, issue_token(conn, _user_id(conn, "sup")).token)
        conn.execute(update(users).where(users.c.username == "sup").values(disabled=True))
    code, _, err = _run(world, capsys, *_assign(world))
    assert (code, err) == (1, "error: user sup is disabled\n")
