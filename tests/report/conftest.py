"""Fixtures of the report tests: the reviewed world (see `reviewed_world.py`: a world the real
pipeline built, a review team's work done through the workflow), a private copy on each backend.

The fixture world of `report_world.py`, written by hand, is what test_releases.py still builds
itself."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from reviewed_world import build_reviewed_world, work_the_queue
from sqlalchemy import Engine

from casereview.store.db import make_engine
from review.indicator_world import PG_ENV, World, pg_create, pg_drop, pg_url

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def reviewed_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The reviewed world in SQLite, built once; never changed (tests copy it)."""
    return build_reviewed_world(tmp_path_factory.mktemp("reviewed"))


@pytest.fixture(scope="session")
def reviewed_pg(reviewed_world: World) -> Iterator[str | None]:
    """The name of a PostgreSQL database the reviewed world was built into (the same exports
    through the real ingest and every stage, the same work through the workflow), once per
    session; tests clone it. None without CASEREVIEW_TEST_DATABASE_URL."""
    if not os.environ.get(PG_ENV):
        yield None
        return
    name = f"cr_reviewed_{uuid.uuid4().hex[:8]}"
    pg_create(name)
    try:
        engine = make_engine(pg_url(name))
        try:
            reviewed_world.build_on(engine)
            work_the_queue(engine)
        finally:
            engine.dispose()  # a database with a connection open cannot be cloned
        yield name
    finally:
        pg_drop(name)


def _copy(request: pytest.FixtureRequest, folder: Path, world: World) -> Iterator[Engine]:
    """A private copy of the reviewed world on the backend `request.param`."""
    if request.param == "sqlite":
        engine = world.copy(folder / "store.db")
        yield engine
        engine.dispose()
        return
    built = request.getfixturevalue("reviewed_pg")  # built only if a test needs it
    if built is None:
        pytest.skip(f"PostgreSQL variant: set {PG_ENV} to run it (CI does)")
    name = f"cr_test_{uuid.uuid4().hex[:12]}"
    pg_create(name, template=built)
    engine = make_engine(pg_url(name))
    try:
        yield engine
    finally:
        engine.dispose()
        pg_drop(name)


@pytest.fixture(params=BACKENDS)
def reviewed_store(
    request: pytest.FixtureRequest, tmp_path: Path, reviewed_world: World
) -> Iterator[Engine]:
    """A private copy of the reviewed world on each backend: the SQLite store copied, or on
    PostgreSQL a clone of `reviewed_pg` (skipped without CASEREVIEW_TEST_DATABASE_URL)."""
    yield from _copy(request, tmp_path, reviewed_world)


@pytest.fixture(scope="module", params=BACKENDS)
def module_reviewed_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    reviewed_world: World,
) -> Iterator[Engine]:
    """`reviewed_store`, shared by the tests of one module (for what they all read and make
    once, e.g. a PDF report; they then run on one xdist worker)."""
    yield from _copy(request, tmp_path_factory.mktemp("reviewed-module"), reviewed_world)
