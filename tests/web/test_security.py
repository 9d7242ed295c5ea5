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
from conftest import PASSWORD, Picks, sign_in, sign_in_response  # type: ignore[import-not-found]


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


def test_csrf_required_and_no_state_change_over_get(
    world, picks: Picks, client_for: Callable
) -> None:  # type: ignore[no-untyped-def]
    item = picks.north_item
    client = client_for("rev_n")
    del client.headers["X-CSRF-Token"]
    assert client.post(f"/items/{item}/start").status_code == 403
    assert (
        client.post(
            f"/api/items/{item}/start", json={}, headers={"X-CSRF-Token": "wrong"}
        ).status_code
        == 403
    )
    assert client.get(f"/items/{item}/start").status_code in (404, 405)
    with reading(world.engine) as conn:
        assert (
            conn.execute(select(review_items.c.status).where(review_items.c.id == item)).scalar()
            == "assigned"
        )


def test_mass_assignment_refused(world, picks: Picks, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    item = picks.north_item
    client = client_for("rev_n")
    with reading(world.engine) as conn:
        team = conn.execute(
            select(review_items.c.team_id).where(review_items.c.id == item)
        ).scalar()
    assert client.post(f"/api/items/{item}/start", json={}).status_code == 200
    body = {
        "outcome": "further_investigation",
        "rationale": "new line",
        "team_id": 999,
        "assigned_to": 1,
        "status": "closed",
    }
    assert client.post(f"/api/items/{item}/decision", json=body).status_code == 422
    with reading(world.engine) as conn:
        row = conn.execute(
            select(review_items.c.status, review_items.c.team_id, review_items.c.assigned_to).where(
                review_items.c.id == item
            )
        ).one()
    assert tuple(row) == ("in_review", team, world.user_ids["rev_n"])
    # The form ignores fields it does not declare.
    csrf = client.headers["X-CSRF-Token"]
    response = client.post(
        f"/items/{item}/decision",
        data={
            "csrf_token": csrf,
            "outcome": "no_further_action",
            "rationale": "ok",
            "team_id": "999",
            "status": "closed",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/records/{picks.north_record}?saved=decision#review"
    with reading(world.engine) as conn:
        row = conn.execute(
            select(review_items.c.status, review_items.c.team_id).where(review_items.c.id == item)
        ).one()
    assert tuple(row) == ("awaiting_sign_off", team)


def test_a_decision_without_a_chosen_outcome_is_refused(
    world, picks: Picks, client_for: Callable
) -> None:  # type: ignore[no-untyped-def]
    """No outcome is chosen for the reviewer: the form has none checked, and a decision
    sent without one changes nothing."""
    item = picks.north_item
    client = client_for("rev_n")
    assert client.post(f"/api/items/{item}/start", json={}).status_code == 200
    page = client.get(f"/records/{picks.north_record}").text
    assert (
        'name="outcome"' in page
        and "checked" not in page.split('id="decision-form"')[1].split("</form>")[0]
    )
    assert "selected" not in page.split('id="decision-form"')[1].split("</form>")[0]
    response = client.post(
        f"/items/{item}/decision",
        data={"csrf_token": client.headers["X-CSRF-Token"], "rationale": "Refer"},
    )
    assert response.status_code == 422
    with reading(world.engine) as conn:
        assert (
            conn.execute(select(review_items.c.status).where(review_items.c.id == item)).scalar()
            == "in_review"
        )


def test_security_headers_on_every_response(world, picks: Picks, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for("rev_n")
    for path in [
        "/login",
        "/queue",
        f"/records/{picks.north_record}",
        f"/api/records/{picks.north_record}",
        f"/api/records/{picks.south_record}",
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


def test_views_searches_and_exports_are_audited(world, picks: Picks, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    from casereview.classify.views import deidentified_rows

    client = client_for("ana")
    client.get(f"/records/{picks.north_record}")
    client.get(f"/api/persons/{picks.north_person}")
    client.get(f"/groups/{picks.group}")
    client.get("/api/search?q=smith&kind=person")
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
    with reading(world.engine) as conn:
        expected = deidentified_rows(conn, world.actor("ana"))
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in expected]
    assert _entries(world, "ana")[-5:] == [
        ("consult", "record", str(picks.north_record)),
        ("consult", "person", str(picks.north_person)),
        ("consult", "group", str(picks.group)),
        ("search", "persons", None),
        ("disclose", "export", "records_deidentified"),
    ]
    assert client.post("/api/exports", json={"purpose": "x"}).status_code == 422


def test_search_finds_persons_and_records_only_within_what_each_user_sees(
    world, picks: Picks, client_for: Callable
) -> None:  # type: ignore[no-untyped-def]
    from casereview.ingest.views import record_view

    north, south = client_for("rev_n"), client_for("rev_s")
    with reading(world.engine) as conn:
        record = record_view(conn, world.actor("ana"), picks.north_record)
    mention = next(m for m in record.persons if m.person_id == picks.north_person)
    words = (mention.name or "").split()
    found = north.get("/api/search", params={"q": " ".join(reversed(words)), "kind": "person"})
    assert picks.north_person in [h["person_id"] for h in found.json()["persons"]["items"]]
    by_ref = {
        who: [
            h["record_id"]
            for h in c.get("/api/search", params={"q": record.source_ref, "kind": "ref"}).json()[
                "records"
            ]["items"]
        ]
        for who, c in (("north", north), ("south", south))
    }
    assert by_ref == {"north": [picks.north_record], "south": []}
