"""The web tests' world: the store the real pipeline built from a synthetic world
(`pipeline_world.build_review_store`: report published, users of every role in two teams,
part of the queue allocated by the supervisors through the workflow), built once per session
and copied for each test; and signed-in TestClients on it."""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from casereview.settings import WebSettings
from casereview.store.access import Actor, load_actor
from casereview.store.db import reading
from casereview.store.views import user_id_by_name
from casereview.web.app import create_app
from pipeline_world import PASSWORD, REVIEW_USERS, build_review_store_on, copy_store

with warnings.catch_warnings():
    # Starlette's TestClient warns that it prefers httpx2; httpx is what this project pins.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

__all__ = ["PASSWORD", "FrozenClock", "Picks", "World", "sign_in"]

T0 = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)


@dataclass
class FrozenClock:
    """A clock the tests move by hand."""

    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class World:
    """A private copy of the pipeline-built review store."""

    engine: Engine
    clock: FrozenClock
    report_dir: Path
    user_ids: dict[str, int] = field(default_factory=dict)

    def actor(self, username: str) -> Actor:
        with reading(self.engine) as conn:
            return load_actor(conn, username)


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id still, with test-sized cost, so that the many sign-ins stay fast."""
    from argon2 import PasswordHasher

    from casereview.store import users

    monkeypatch.setattr(
        users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def world(review_store: Path, tmp_path: Path) -> Iterator[World]:
    engine = copy_store(review_store, tmp_path / "store.db")
    with reading(engine) as conn:
        ids = {name: user_id_by_name(conn, name) for name in REVIEW_USERS}
    yield World(engine, FrozenClock(), review_store.parent / "report", ids)
    engine.dispose()


PG_ENV = "CASEREVIEW_TEST_DATABASE_URL"


@pytest.fixture
def pg_world(review_store: Path, tmp_path: Path) -> Iterator[World]:
    """The review world on PostgreSQL: the shared store's synthetic world imported by the real
    ingest into a database of its own (made on the test server, dropped after), every stage
    run, the same users and allocation. Skipped without CASEREVIEW_TEST_DATABASE_URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from casereview.store.db import make_engine

    if not os.environ.get(PG_ENV):
        pytest.skip(f"needs PostgreSQL: set {PG_ENV} to run it (CI does)")
    server = make_url(os.environ[PG_ENV]).set(drivername="postgresql+psycopg")
    name = f"cr_web_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # As every test database: commits do not wait for the disk (tests/conftest.py,
        # `pg_commits_unflushed`).
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
    try:
        report_dir = tmp_path / "report"
        build_review_store_on(engine, review_store.parent / "data", report_dir)
        with reading(engine) as conn:
            ids = {user: user_id_by_name(conn, user) for user in REVIEW_USERS}
        yield World(engine, FrozenClock(), report_dir, ids)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sign_in_response(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Fill in the sign-in form as a browser does (its CSRF token included) and send it."""
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    return client.post("/login", data=data, follow_redirects=False)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the CSRF token of the new session."""
    response = sign_in_response(client, username, password)
    assert response.status_code == 303, response.text
    return str(client.get("/api/me").json()["csrf_token"])


@pytest.fixture
def client_for(world: World) -> Iterator[Callable[..., TestClient]]:
    """Signed-in TestClients on the world, sharing its frozen clock."""
    app = create_app(
        world.engine, settings=WebSettings(), clock=world.clock, report_dir=world.report_dir
    )
    opened: list[TestClient] = []

    def make(username: str | None = None, **kwargs: object) -> TestClient:
        client = TestClient(app, **kwargs)  # type: ignore[arg-type]
        client.__enter__()
        opened.append(client)
        if username:
            client.headers["X-CSRF-Token"] = sign_in(client, username)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@dataclass(frozen=True)
class Picks:
    """Objects of the world that the tests name: found through the read side, never assumed."""

    north_item: int  # a record item assigned to rev_n in North (status assigned)
    north_record: int
    south_record: int  # a South record no North item reaches
    unallocated_record: int  # a record whose item no team holds
    group: int  # a group whose item North holds
    north_person: int  # a person mentioned in north_record


@pytest.fixture
def picks(world: World) -> Picks:
    from sqlalchemy import select

    from casereview.ingest.views import record_view
    from casereview.model.tables import review_items
    from casereview.review.queue import QueueFilters, queue_page
    from casereview.store.access import check_record

    with reading(world.engine) as conn:
        north = queue_page(conn, world.actor("rev_n"), QueueFilters(scope="mine"), 1, 200).items
        south = queue_page(conn, world.actor("rev_s"), QueueFilters(scope="mine"), 1, 200).items
        item = next(i for i in north if i.subject_type == "record" and i.status == "assigned")
        group = next(i.subject_id for i in north if i.subject_type == "group")
        rev_n = world.actor("rev_n")
        south_record = next(
            i.subject_id
            for i in south
            if i.subject_type == "record" and not _visible(conn, rev_n, i.subject_id, check_record)
        )
        unallocated = conn.execute(
            select(review_items.c.subject_id)
            .where(review_items.c.team_id.is_(None), review_items.c.subject_type == "record")
            .order_by(review_items.c.priority.desc())
        ).scalars()
        none_record = next(r for r in unallocated if not _visible(conn, rev_n, r, check_record))
        record = record_view(conn, rev_n, item.subject_id)
        person = next(m.person_id for m in record.persons if m.person_id is not None)
    return Picks(item.id, item.subject_id, south_record, none_record, group, person)


def _visible(conn: object, actor: Actor, record_id: int, check: Callable[..., None]) -> bool:
    try:
        check(conn, actor, record_id)
    except Exception:
        return False
    return True
