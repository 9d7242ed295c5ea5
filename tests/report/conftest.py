"""Fixtures of the report tests: the reviewed world (see `reviewed_world.py`: a world the real
pipeline built, a review team's work done through the workflow), a private copy on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from reviewed_world import build_reviewed_world, work_the_queue
from sqlalchemy import Engine

from review.indicator_world import World, pg_built, private_copy

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

    def build(engine: Engine) -> None:
        reviewed_world.build_on(engine)
        work_the_queue(engine)

    yield from pg_built("cr_reviewed", build)


@pytest.fixture(params=BACKENDS)
def reviewed_store(
    request: pytest.FixtureRequest, tmp_path: Path, reviewed_world: World
) -> Iterator[Engine]:
    """A private copy of the reviewed world on each backend: the SQLite store copied, or on
    PostgreSQL a clone of `reviewed_pg` (skipped without CASEREVIEW_TEST_DATABASE_URL)."""
    yield from private_copy(request, tmp_path, reviewed_world, "reviewed_pg")


@pytest.fixture(scope="module", params=BACKENDS)
def module_reviewed_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    reviewed_world: World,
) -> Iterator[Engine]:
    """`reviewed_store`, shared by the tests of one module (for what they all read and make
    once, e.g. a PDF report; they then run on one xdist worker)."""
    yield from private_copy(
        request, tmp_path_factory.mktemp("reviewed-module"), reviewed_world, "reviewed_pg"
    )
