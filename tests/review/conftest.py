"""Worlds for the review stage, all built by the real pipeline (nothing derived written here).

`indicator_store`: tests/review/indicator_world.py in a 300-case synthetic world, which the
indicator and review-build tests read. `small_indicator_store`: the same planted cases in a
10-case synthetic world (about twenty review items), built once per session; `workflow_store`
gives each test its own copy of it on each backend (on PostgreSQL, a clone of a database the
same exports were ingested into and every stage run on, once per session), for the tests that
move its items through the workflow (tests/review/test_workflow*.py,
tests/cli/test_review_cli.py). `Staff` adds the teams and users who do the work: inputs, as
the records are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from casereview.model.codes import UserRole
from casereview.model.tables import team_members, teams, users
from casereview.store.access import Actor, load_actor
from casereview.store.db import reading, writing
from review.indicator_world import (
    SMALL_CASES,
    World,
    build_indicator_world,
    pg_built,
    private_copy,
)

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class Staff:
    """Teams and users of a store, with direct inserts (they are inputs, not derived)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def team(self, name: str) -> int:
        with writing(self.engine) as conn:
            return int(
                conn.execute(
                    insert(teams).values(name=name, created_at=NOW).returning(teams.c.id)
                ).scalar_one()
            )

    def user(self, username: str, role: UserRole, *team_ids: int) -> Actor:
        with writing(self.engine) as conn:
            uid = conn.execute(
                insert(users)
                .values(username=username, display_name=username, role=role.value, created_at=NOW)
                .returning(users.c.id)
            ).scalar_one()
            for tid in team_ids:
                conn.execute(insert(team_members).values(team_id=tid, user_id=uid, added_at=NOW))
        with reading(self.engine) as conn:
            return load_actor(conn, username)


@pytest.fixture(scope="session")
def indicator_store(tmp_path_factory: pytest.TempPathFactory) -> World:
    """tests/review/indicator_world.py, built once by the real pipeline; never changed (tests
    that change the store or its exports work on `indicator_store.copy(path)`)."""
    return build_indicator_world(tmp_path_factory.mktemp("indicators"))


@pytest.fixture(scope="session")
def small_indicator_store(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The indicator world's planted cases in a small synthetic world, built once by the real
    pipeline; never changed (`workflow_store` gives each test a copy)."""
    return build_indicator_world(tmp_path_factory.mktemp("small-indicators"), cases=SMALL_CASES)


@pytest.fixture(scope="session")
def small_indicator_pg(small_indicator_store: World) -> Iterator[str | None]:
    """The name of a PostgreSQL database the small indicator world was built into (the same
    exports, the real ingest and every stage), once per session; tests clone it, never change
    it. None without CASEREVIEW_TEST_DATABASE_URL."""
    yield from pg_built("cr_small_indicators", small_indicator_store.build_on)


@pytest.fixture(params=BACKENDS)
def workflow_store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    small_indicator_store: World,
) -> Iterator[Engine]:
    """A private copy of the small indicator world, on each backend: the SQLite store copied,
    or on PostgreSQL a clone of `small_indicator_pg` (skipped without
    CASEREVIEW_TEST_DATABASE_URL). Its queue is the one the review stage built."""
    yield from private_copy(request, tmp_path, small_indicator_store, "small_indicator_pg")
