"""Issue 19 item 8, issue 22 item 4: the web app keeps answering while a long write runs.

Another connection holds SQLite's write lock (as a pipeline stage does for its whole run)
while signed-in users browse: every request answers, within the bounded wait, either 200 or
503 with Retry-After (never a hang, a 400 or a 500), and every page shown is in the audit
log once the lock is released.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from casereview.model.tables import audit_log, review_items
from casereview.settings import WebSettings
from casereview.store import audit
from casereview.store.db import make_engine, reading
from casereview.web.app import create_app
from conftest import TestClient, sign_in, sign_in_response  # type: ignore[import-not-found]

# Generous: a request that takes this long has hung (the bounded wait is well under a second).
HANG_S = 30.0
PAGES = ["/records/1", "/api/records/1", "/queue", "/api/me", "/persons/1", "/groups/1"]


class WriteLock:
    """A long write transaction on the store's file, held by another connection."""

    def __init__(self, engine: Engine) -> None:
        self.path = str(engine.url.database)
        self.conn: sqlite3.Connection | None = None

    def __enter__(self) -> WriteLock:
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE audit_head SET seq = seq WHERE id = 1")
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.conn is not None
        self.conn.execute("ROLLBACK")
        self.conn.close()


def _bounded(call: Callable[[], Any]) -> Any:
    """Run `call` in a thread; fail the test if it has not returned after HANG_S."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(HANG_S)
    assert not worker.is_alive(), "the request hung"
    return result[0]


@pytest.fixture
def busy_app(world) -> Iterator[Callable[..., TestClient]]:  # type: ignore[no-untyped-def]
    """The app on its own engine, as `casereview serve` opens it (busy timeout = write wait)."""
    settings = WebSettings(write_wait_s=0.3)
    engine = make_engine(str(world.engine.url), busy_timeout_s=settings.write_wait_s)
    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        app = create_app(engine, settings=settings.model_copy(update=overrides), clock=world.clock)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
    engine.dispose()


def _consultations(world) -> list[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        rows = conn.execute(
            select(audit_log.c.actor, audit_log.c.object_type, audit_log.c.object_id)
            .where(audit_log.c.action == "consult")
            .order_by(audit_log.c.seq)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_pages_answer_while_a_long_write_holds_the_lock(world, busy_app) -> None:  # type: ignore[no-untyped-def]
    client = busy_app()
    csrf = sign_in(client, "sup_n")
    # The same browse without a lock: what each page records.
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    expected = _consultations(world)
    assert expected  # the record, person and group pages are consultations
    with WriteLock(world.engine):
        world.clock.advance(minutes=1)  # the session's last-seen time is due a refresh
        statuses = [_bounded(lambda p=path: client.get(p)) for path in PAGES]
        # A state change cannot be queued: refused 503 with Retry-After, not 400 or 500.
        change = _bounded(
            lambda: client.post(
                "/api/items/2/assign", json={"assignee": "rev_n"}, headers={"X-CSRF-Token": csrf}
            )
        )
    assert [r.status_code for r in statuses] == [200] * len(PAGES)
    assert (change.status_code, change.headers.get("retry-after")) == (503, "5")
    assert "locked" not in change.text
    assert client.app.state.web.consultations.flush(timeout_s=HANG_S)  # type: ignore[attr-defined]
    # Every page shown under the lock is in the log, after the lock, in order.
    assert _consultations(world) == expected * 2
    assert audit.verify(world.engine).ok
    with reading(world.engine) as conn:
        status = conn.execute(select(review_items.c.status).where(review_items.c.id == 2))
        assert status.scalar() == "new"  # the refused change changed nothing


def test_views_are_refused_503_once_queued_entries_have_waited_too_long(world, busy_app) -> None:  # type: ignore[no-untyped-def]
    """Accountability bound: the app shows no more than `audit_queue_max_age_s` of
    unrecorded views; after that a page is a 503 with Retry-After until the queue drains."""
    client = busy_app(audit_queue_max_age_s=0.2)
    sign_in(client, "sup_n")
    queue = client.app.state.web.consultations  # type: ignore[attr-defined]
    with WriteLock(world.engine):
        first = _bounded(lambda: client.get("/records/1"))
        assert len(queue) == 1
        time.sleep(0.5)  # the queued entry is now older than the bound
        later = _bounded(lambda: client.get("/api/records/1"))
    assert first.status_code == 200
    assert (later.status_code, later.headers.get("retry-after")) == (503, "5")
    assert later.json()["detail"].startswith("the store is busy")
    assert queue.flush(timeout_s=HANG_S)
    assert client.get("/api/records/1").status_code == 200
    assert [e[2] for e in _consultations(world)] == ["1", "1"]


def test_sign_in_during_a_long_write_is_503_not_400(world, busy_app) -> None:  # type: ignore[no-untyped-def]
    """Sign-in writes (the attempt, the session): with the lock held it is a 503 within the
    bound, with Retry-After; the driver's "database is locked" never reaches the user."""
    client = busy_app()
    with WriteLock(world.engine):
        response = _bounded(lambda: sign_in_response(client, "sup_n"))
    assert (response.status_code, response.headers.get("retry-after")) == (503, "5")
    assert "locked" not in response.text
    assert sign_in_response(client, "sup_n").status_code == 303
