"""Sessions, CSRF, headers, errors, mass assignment, exports and the audit trail of the web app."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi import APIRouter
from sqlalchemy import select

from casereview.model.tables import audit_log, review_items, web_sessions
from casereview.store.db import reading, writing
from casereview.store.users import disable_user
from casereview.web.auth import COOKIE
from conftest import PASSWORD, sign_in, sign_in_response  # type: ignore[import-not-found]


def _entries(world, actor: str) -> list[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        rows = conn.execute(
            select(audit_log.c.action, audit_log.c.object_type, audit_log.c.object_id)
            .where(audit_log.c.actor == actor)
            .order_by(audit_log.c.seq)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_session_rotates_at_sign_in_and_is_refused_after_sign_out(
    world, client_for: Callable
) -> None:  # type: ignore[no-untyped-def]
    client = client_for()
    sign_in(client, "rev_n")
    first = client.cookies.get(COOKIE)
    sign_in(client, "rev_n")
    second = client.cookies.get(COOKIE)
    assert second != first
    with reading(world.engine) as conn:
        assert len(conn.execute(select(web_sessions.c.token_hash)).all()) == 1
        assert second not in {
            r[0] for r in conn.execute(select(web_sessions.c.token_hash))
        }  # only the hash is stored
    csrf = client.get("/api/me").json()["csrf_token"]
    assert (
        client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    )
    replay = client_for()
    replay.cookies.set(COOKIE, second)
    assert replay.get("/api/me").status_code == 401
    assert replay.get("/queue", follow_redirects=False).headers["location"] == "/login"


def test_cookie_flags(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for()
    response = sign_in_response(client, "rev_n")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    https = client_for(base_url="https://testserver")
    response = sign_in_response(https, "rev_n")
    assert "secure" in response.headers["set-cookie"].lower()


def test_idle_and_absolute_timeouts(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for("rev_n")
    world.clock.advance(minutes=29)
    assert client.get("/api/me").status_code == 200
    world.clock.advance(minutes=29)
    assert client.get("/api/me").status_code == 200
    world.clock.advance(minutes=31)
    assert client.get("/api/me").status_code == 401
    client = client_for("rev_n")
    for _ in range(30):  # active every 25 minutes: never idle, yet ended after 10 hours
        world.clock.advance(minutes=25)
        status = client.get("/api/me").status_code
        if status == 401:
            break
    assert status == 401 and _ == 24


def test_disabled_users_sessions_end(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for("rev_n")
    with writing(world.engine) as conn:
        disable_user(conn, "rev_n", actor="adm")
    assert client.get("/api/me").status_code == 401


def test_login_same_answer_and_throttle(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for()
    wrong = sign_in_response(client, "rev_n", "not-the-password")
    unknown = sign_in_response(client, "nobody", "not-the-password")
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert (
        wrong.text.replace("rev_n", "").count("did not work")
        == unknown.text.count("did not work")
        == 1
    )
    for _ in range(4):
        sign_in_response(client, "rev_n", "not-the-password")
    # Five failures from this address: the next attempt must wait (the clock is frozen).
    throttled = sign_in_response(client, "rev_n", PASSWORD)
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "1")
    assert [a for a, _, _ in _entries(world, "rev_n")].count("sign_in_failed") == 5


def test_csrf_required_and_no_state_change_over_get(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for("rev_n")
    del client.headers["X-CSRF-Token"]
    assert client.post("/items/1/start").status_code == 403
    assert (
        client.post("/api/items/1/start", json={}, headers={"X-CSRF-Token": "wrong"}).status_code
        == 403
    )
    assert client.get("/items/1/start").status_code in (404, 405)
    with reading(world.engine) as conn:
        assert (
            conn.execute(select(review_items.c.status).where(review_items.c.id == 1)).scalar()
            == "assigned"
        )


def test_mass_assignment_refused(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for("rev_n")
    assert client.post("/api/items/1/start", json={}).status_code == 200
    body = {
        "outcome": "further_investigation",
        "rationale": "new line",
        "team_id": 2,
        "assigned_to": 1,
        "status": "closed",
    }
    assert client.post("/api/items/1/decision", json=body).status_code == 422
    with reading(world.engine) as conn:
        row = conn.execute(
            select(review_items.c.status, review_items.c.team_id, review_items.c.assigned_to).where(
                review_items.c.id == 1
            )
        ).one()
    assert tuple(row) == ("in_review", 1, world.user_ids["rev_n"])
    # The form ignores fields it does not declare.
    csrf = client.headers["X-CSRF-Token"]
    response = client.post(
        "/items/1/decision",
        data={
            "csrf_token": csrf,
            "outcome": "no_further_action",
            "rationale": "ok",
            "team_id": "2",
            "status": "closed",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    with reading(world.engine) as conn:
        row = conn.execute(
            select(review_items.c.status, review_items.c.team_id).where(review_items.c.id == 1)
        ).one()
    assert tuple(row) == ("awaiting_sign_off", 1)


def test_security_headers_on_every_response(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for("rev_n")
    for path in [
        "/login",
        "/queue",
        "/records/1",
        "/api/records/1",
        "/api/records/2",
        "/static/app.css",
    ]:
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == (
            "public, max-age=3600" if path.startswith("/static") else "no-store"
        )


def test_internal_error_is_generic_with_correlation_id(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for("rev_n")
    boom = APIRouter()

    @boom.get("/boom")
    def _boom() -> None:
        raise RuntimeError("SELECT secret FROM users -- Traceback")

    @boom.get("/api/boom")
    def _api_boom() -> None:
        raise RuntimeError("SELECT secret FROM users")

    client.app.include_router(boom)  # type: ignore[attr-defined]
    page = client.get("/boom")
    api = client.get("/api/boom")
    assert (page.status_code, api.status_code) == (500, 500)
    cid = page.headers["x-correlation-id"]
    assert cid in page.text and "SELECT" not in page.text and "Traceback" not in page.text
    assert api.json() == {
        "detail": "internal error",
        "correlation_id": api.headers["x-correlation-id"],
    }
    assert page.headers["content-security-policy"]


def test_views_searches_and_exports_are_audited(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for("ana")
    client.get("/records/1")
    client.get("/api/persons/2")
    client.get("/groups/1")
    client.get("/api/search?q=smith&kind=name")
    response = client.post(
        "/api/exports", json={"purpose": "annual statistics", "recipient": "Home Office"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "record_id",
        "record_type",
        "year",
        "borough",
        "cse_flag",
        "outcome",
        "typology",
    ]
    assert rows[1] == ["1", "crime", "2014", "Northtown", "False", "16", "group_based"]
    assert _entries(world, "ana")[1:] == [
        ("consult", "record", "1"),
        ("consult", "person", "2"),
        ("consult", "group", "1"),
        ("search", "records", None),
        ("disclose", "export", "records_deidentified"),
    ]
    assert client.post("/api/exports", json={"purpose": "x"}).status_code == 422


def test_search_finds_fuzzy_names_and_objects_within_visible_records(
    world, client_for: Callable
) -> None:  # type: ignore[no-untyped-def]
    north, south = client_for("rev_n"), client_for("rev_s")

    def ids(c, q, k):
        return [
            h["record_id"] for h in c.get("/api/search", params={"q": q, "kind": k}).json()["hits"]
        ]

    assert ids(north, "Smithe", "name") == [1]
    assert ids(south, "smith", "name") == [2]
    assert ids(north, "ab12 cde", "vehicle") == [3, 1]
    assert ids(north, "CR/2002/15", "ref") == []
    assert ids(south, "CR/2002/15", "ref") == [2]
