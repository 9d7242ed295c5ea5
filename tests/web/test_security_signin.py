"""Issue 22 items 4 and 15: the sign-in form's CSRF token, generic refusals, no lock-out."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from casereview.model.tables import login_attempts, web_sessions
from casereview.store.db import reading, writing
from casereview.store.users import disable_user
from casereview.web.auth import COOKIE
from casereview.web.security import LOGIN_CSRF_COOKIE, new_login_csrf
from conftest import PASSWORD, sign_in_response  # type: ignore[import-not-found]


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the sign-in form carries a CSRF token"
    return found.group(1)


def test_sign_in_needs_the_forms_csrf_token(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    """Login CSRF: a cross-site form (no token, a made-up token, or a token of its own with a
    planted cookie) cannot sign the victim's browser in; nothing is recorded or opened."""
    client = client_for()
    data = {"username": "rev_n", "password": PASSWORD}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403
    form = client.get("/login")
    token = _form_token(form.text)
    assert form.cookies.get(LOGIN_CSRF_COOKIE) == token
    forged = {**data, "csrf_token": token[:-2] + "xx"}
    assert client.post("/login", data=forged, follow_redirects=False).status_code == 403
    # An attacker planting a cookie and a field of their own making (unsigned by the server).
    planted = client_for()
    planted.cookies.set(LOGIN_CSRF_COOKIE, "attacker.value", path="/login")
    response = planted.post(
        "/login", data={**data, "csrf_token": "attacker.value"}, follow_redirects=False
    )
    assert response.status_code == 403
    # A token of another browser (valid, but not this browser's cookie).
    other = client_for()
    response = other.post(
        "/login", data={**data, "csrf_token": new_login_csrf()}, follow_redirects=False
    )
    assert response.status_code == 403
    with reading(world.engine) as conn:
        assert conn.execute(select(login_attempts.c.id)).all() == []
        assert conn.execute(select(web_sessions.c.token_hash)).all() == []
    # Each refusal renders the form with a new token: the old one is spent.
    assert client.post("/login", data={**data, "csrf_token": token}).status_code == 403
    # With the current form's token (as a browser sends it) the sign-in works.
    assert sign_in_response(client, "rev_n").status_code == 303
    assert client.cookies.get(COOKIE)


def test_refusals_are_generic(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    """Unknown user, wrong password and an account without access (disabled): one status and
    one message, nothing that tells them apart."""
    with writing(world.engine) as conn:
        disable_user(conn, "sup_n2", actor="adm")
    answers = []
    for username, password in [
        ("no_such_user", PASSWORD),
        ("rev_n", "not-the-password"),
        ("sup_n2", PASSWORD),
    ]:
        response = sign_in_response(client_for(), username, password)
        body = re.sub(r'value="[^"]*"', "", response.text)  # the fresh CSRF token differs
        answers.append((response.status_code, body.replace(username, "USER")))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 401


def test_failures_from_elsewhere_do_not_lock_the_user_out(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    """20 failed attempts on rev_n from an attacker's address: rev_n, from their own, signs in."""
    attacker = client_for()
    statuses = {sign_in_response(attacker, "rev_n", f"guess-{i}").status_code for i in range(20)}
    assert statuses == {401, 429}
    assert sign_in_response(attacker, "rev_n", PASSWORD).status_code == 429
    user = client_for(client=("192.0.2.10", 50000))
    assert sign_in_response(user, "rev_n").status_code == 303
