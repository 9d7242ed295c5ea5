"""Every page answers on an engine whose pool holds one connection.

A request that reads inside another read (a second connection taken from the pool while the
first is held) deadlocks once as many requests as the pool has connections arrive together:
each holds one and waits for another, until the pool's timeout (30 s) fails them all. That is
what 20 reviewers met on the 9,000-case store (`benchmarks/bench_web.py`: "QueuePool limit of
size 5 overflow 10 reached"). With a pool of one connection a nested checkout fails at once,
on one request, so every page and answer the tests walk here proves it takes one connection at
a time. The pipeline-built review store, as in the other web tests."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from casereview.settings import WebSettings
from casereview.store.db import make_engine
from casereview.web.app import create_app
from conftest import Picks, World, sign_in  # type: ignore[import-not-found]

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ONE_CONNECTION = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 3}


@pytest.fixture
def one_connection(world: World, tmp_path: Path) -> Iterator[Engine]:
    """The test's copy of the store, opened again through a pool of one connection."""
    world.engine.dispose()
    path = Path(str(world.engine.url.database))
    copy = tmp_path / "one.db"
    shutil.copyfile(path, copy)
    engine = make_engine(f"sqlite:///{copy}", pool=ONE_CONNECTION)
    yield engine
    engine.dispose()


def _client(engine: Engine, world: World, username: str) -> TestClient:
    app = create_app(engine, settings=WebSettings(), clock=world.clock, report_dir=world.report_dir)
    client = TestClient(app)
    client.__enter__()
    client.headers["X-CSRF-Token"] = sign_in(client, username)
    return client


def _pages(p: Picks) -> dict[str, list[str]]:
    case = [
        "/queue?scope=mine",
        "/api/queue?scope=mine",
        f"/records/{p.north_record}",
        f"/api/records/{p.north_record}",
        f"/persons/{p.north_person}",
        f"/api/persons/{p.north_person}",
        f"/persons/{p.north_person}/chronology",
        f"/charts/person/{p.north_person}",
        f"/groups/{p.group}",
        f"/api/groups/{p.group}",
        f"/charts/group/{p.group}",
        "/groups",
        "/search?kind=person&q=Smith",
        "/api/search?kind=person&q=Smith",
    ]
    return {
        "rev_n": [*case, "/matches", "/api/matches/counts"],
        "sup_n": [*case, "/supervisor", "/api/supervisor", "/matches"],
        "ana": [u for u in case if "queue" not in u] + ["/exports", "/reports", "/api/reports"],
        "aud": ["/audit", "/api/audit"],
        "adm": ["/admin", "/api/admin"],
    }


@pytest.mark.parametrize("username", ["rev_n", "sup_n", "ana", "aud", "adm"])
def test_every_page_takes_one_connection_at_a_time(
    one_connection: Engine, world: World, picks: Picks, username: str
) -> None:
    client = _client(one_connection, world, username)
    try:
        for url in _pages(picks)[username]:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.text[:300])
    finally:
        client.__exit__(None, None, None)


def test_a_refusal_is_audited_after_the_read_lets_go(
    one_connection: Engine, world: World, picks: Picks
) -> None:
    """The DENIED entry is written in its own transaction: the read's connection must be back
    in the pool by then (it was held while the refusal was audited)."""
    client = _client(one_connection, world, "rev_n")
    try:
        for url in (f"/records/{picks.south_record}", f"/api/records/{picks.south_record}"):
            assert client.get(url).status_code == 403, url
    finally:
        client.__exit__(None, None, None)
