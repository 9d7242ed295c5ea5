"""Issue 22 item 15, the minors: username probing through assignment, driver text in answers,
judgements on another person's mentions, the trailing-slash redirect, the API schema without
sign-in, and an admin's new password hashed outside the write transaction."""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, select

from casereview.link.views import person_view
from casereview.model.tables import audit_log, match_judgements, review_items, users
from casereview.settings import WebSettings
from casereview.store import audit
from casereview.store import users as accounts
from casereview.store.db import make_engine, reading, writing
from casereview.store.views import team_id_by_name
from casereview.web.app import create_app
from casereview.web.auth import COOKIE, CSRF_HEADER
from conftest import Picks  # type: ignore[import-not-found]

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

# Words of SQLAlchemy, sqlite3 and psycopg error messages, none of which a user may read.
DRIVER_WORDS = re.compile(
    r"sqlite|sqlalchemy|psycopg|readonly|read-only|OperationalError|IntegrityError|"
    r"attempt to write|SQL:|\[parameters|Background on this error",
    re.IGNORECASE,
)


def _answer(response: Any, username: str) -> tuple[int, str]:
    """Status and body, with the name sent and the request's correlation id blanked."""
    body = response.text.replace(username, "USER")
    return response.status_code, body.replace(response.headers["x-correlation-id"], "CID")


def test_assignment_refusals_do_not_tell_unknown_users_from_other_teams(
    world: Any, picks: Picks, client_for: Callable[..., TestClient]
) -> None:
    """A supervisor naming an unknown user, a reviewer of another team, an analyst or an
    admin gets one refusal (status and body), on the item and on bulk allocation; nothing is
    assigned."""
    sup = client_for("sup_n")
    with reading(world.engine) as conn:
        north = team_id_by_name(conn, "North")
        before = conn.execute(select(review_items)).all()
    names = ["no_such_user", "rev_s", "ana", "adm"]
    item = [
        _answer(sup.post(f"/api/items/{picks.north_item}/assign", json={"assignee": n}), n)
        for n in names
    ]
    assert item[0][0] in (404, 409)
    assert item.count(item[0]) == len(names), item
    allocation = [
        _answer(sup.post(f"/api/queue/allocate?assignee={n}&to_team={north}"), n) for n in names
    ]
    assert allocation.count(allocation[0]) == len(names), allocation
    form = [
        _answer(
            sup.post(
                f"/items/{picks.north_item}/assign",
                data={"assignee": n, "csrf_token": sup.headers[CSRF_HEADER]},
                follow_redirects=False,
            ),
            n,
        )
        for n in names
    ]
    assert form.count(form[0]) == len(names), form
    with reading(world.engine) as conn:
        assert conn.execute(select(review_items)).all() == before
    # A reviewer of the supervisor's own team can still be given the item.
    response = sup.post(f"/api/items/{picks.north_item}/assign", json={"assignee": "rev_n2"})
    assert response.status_code == 200, response.text


def _failing_writes(world: Any) -> Any:
    """An engine on the same store on which every write fails inside the sqlite3 driver."""
    engine = make_engine(str(world.engine.url))

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")

    return engine


def test_driver_error_text_never_reaches_an_answer(
    world: Any, picks: Picks, client_for: Callable[..., TestClient]
) -> None:
    """A write the database driver refuses gives a generic answer with a correlation id on a
    page and in JSON: no SQLAlchemy, sqlite or psycopg words, no SQL."""
    signed = client_for("rev_n")
    engine = _failing_writes(world)
    try:
        app = create_app(engine, settings=WebSettings(), clock=world.clock)
        client = TestClient(app, raise_server_exceptions=False)  # no lifespan: nothing queued
        client.cookies.set(COOKIE, signed.cookies.get(COOKIE))
        client.headers[CSRF_HEADER] = signed.headers[CSRF_HEADER]
        answers = [
            client.post(f"/api/items/{picks.north_item}/start", json={}),
            client.post(
                f"/items/{picks.north_item}/start",
                data={"csrf_token": signed.headers[CSRF_HEADER]},
                follow_redirects=False,
            ),
        ]
        for response in answers:
            assert response.status_code >= 400, response.text
            assert not DRIVER_WORDS.search(response.text), response.text
            assert response.headers["x-correlation-id"] in response.text
    finally:
        engine.dispose()


def test_a_judgement_on_mentions_of_other_persons_is_refused(
    world: Any, picks: Picks, client_for: Callable[..., TestClient]
) -> None:
    """On a person's page only that person's mentions can be judged: naming a mention of
    another person (visible or not) is refused, nothing is recorded and no entry names it."""
    client = client_for("rev_n")
    with reading(world.engine) as conn:
        rev_n = world.actor("rev_n")
        own = [m.mention_id for m in person_view(conn, rev_n, picks.north_person).mentions]
        seq_before = conn.execute(select(audit_log.c.seq).order_by(audit_log.c.seq.desc())).scalar()
    others = _mentions_of_other_persons(world, picks)
    for other in others:
        body = {
            "mention_a": own[0],
            "mention_b": other,
            "judgement": "not_same",
            "reason": "probe",
        }
        response = client.post(f"/api/persons/{picks.north_person}/judgements", json=body)
        assert response.status_code == 404, response.text
        form = client.post(
            f"/persons/{picks.north_person}/judgements",
            data={**body, "csrf_token": client.headers[CSRF_HEADER]},
            follow_redirects=False,
        )
        assert form.status_code == 404, form.text
    with reading(world.engine) as conn:
        assert conn.execute(select(match_judgements.c.id)).all() == []
        entries = conn.execute(
            select(audit_log.c.action, audit_log.c.object_type, audit_log.c.details).where(
                audit_log.c.seq > seq_before
            )
        ).all()
    assert not [e for e in entries if e.object_type in ("match_judgement", "mention_pair")]
    assert not [e for e in entries if e.action == "combine"]


def _mentions_of_other_persons(world: Any, picks: Picks) -> list[int]:
    """One mention of another person in a record rev_n sees, one in a South record."""
    from casereview.ingest.views import record_view
    from casereview.model.tables import mentions

    with reading(world.engine) as conn:
        record = record_view(conn, world.actor("rev_n"), picks.north_record)
        visible_other = next(
            m.mention_id
            for m in record.persons
            if m.person_id is not None and m.person_id != picks.north_person
        )
        hidden = conn.execute(
            select(mentions.c.id).where(mentions.c.record_id == picks.south_record).limit(1)
        ).scalar_one()
    return [visible_other, int(hidden)]


@pytest.mark.parametrize("path", ["/queue/", "/api/me/", "/persons/1/", "/records/1/"])
def test_trailing_slash_redirect_is_relative_and_ignores_the_host(
    path: str, client_for: Callable[..., TestClient]
) -> None:
    """The redirect from a trailing slash never names a host, whatever Host header was sent."""
    client = client_for("rev_n")
    response = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.is_redirect, response.status_code
    assert response.headers["location"] == "/" + path.strip("/")


def test_api_schema_needs_a_sign_in(client_for: Callable[..., TestClient]) -> None:
    """`/api/openapi.json` is 401 without a session and the schema with one, for every role
    and team (it maps the routes, it holds no case data)."""
    anonymous = client_for()
    response = anonymous.get("/api/openapi.json")
    assert response.status_code == 401
    assert "paths" not in response.text
    for username in ("rev_n", "rev_s", "sup_n", "ana", "aud", "adm"):
        schema = client_for(username).get("/api/openapi.json")
        assert schema.status_code == 200, username
        assert "/api/me" in schema.json()["paths"]


def test_an_admins_new_user_password_is_hashed_outside_the_write(
    world: Any, client_for: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While Argon2 hashes an admin's new user's password, another writer commits: the write
    lock is not held during the hashing (before: the writer waited out the busy timeout)."""
    committed: list[bool] = []
    real = accounts._hasher
    probe_engine = make_engine(str(world.engine.url), busy_timeout_s=0.5)

    class Probing(type(real)):  # type: ignore[misc]
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            def write() -> None:
                try:
                    with writing(probe_engine) as conn:
                        audit.append(conn, actor="probe", action="verify")
                except Exception:
                    return
                committed.append(True)

            writer = threading.Thread(target=write)
            writer.start()
            writer.join(10)
            return real.hash(password)

    monkeypatch.setattr(accounts, "_hasher", Probing(time_cost=1, memory_cost=1024, parallelism=1))
    admin = client_for("adm")
    try:
        response = admin.post(
            "/admin/users",
            data={
                "username": "newrev",
                "role": "reviewer",
                "csrf_token": admin.headers[CSRF_HEADER],
            },
        )
        assert response.status_code == 200, response.text
        assert committed == [True]
        # The command line's reset-password does the same: hash first, then the write.
        hashed = accounts.hash_password("a-brand-new-passphrase-9", "newrev")
        with writing(world.engine) as conn:
            accounts.set_password(conn, "newrev", hashed)
    finally:
        probe_engine.dispose()
    assert committed == [True, True]
    with reading(world.engine) as conn:
        hashed = conn.execute(select(users.c.password_hash).where(users.c.username == "newrev"))
        assert hashed.scalar_one().startswith("$argon2id$")
