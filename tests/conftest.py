"""Shared fixtures: fresh stores on SQLite (always) and PostgreSQL (when configured).

A test that takes `fresh_store` runs once per backend. The PostgreSQL variant needs
CASEREVIEW_TEST_DATABASE_URL (CI sets it); without it that variant is skipped with a reason.
Each PostgreSQL test gets its own database, cloned from a migrated template.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from casereview.settings import reset_settings
from casereview.store.db import make_engine
from casereview.store.migrate import upgrade

# No timings in tests: Hypothesis's per-example deadline is a timing, and fails on a loaded
# machine. Speed is measured in benchmarks/, never asserted here.
hypothesis_settings.register_profile("casereview", deadline=None)
hypothesis_settings.load_profile("casereview")

PG_ENV = "CASEREVIEW_TEST_DATABASE_URL"
BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


def _pg_admin_url() -> str:
    url = os.environ[PG_ENV]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def pg_commits_unflushed(conn: Connection, name: str) -> None:
    """A test database's commits return before their WAL reaches the disk
    (`synchronous_commit = off` for every connection to it, the tests' own and those of the
    `casereview` processes they start). What a commit makes visible, and when, is the same;
    only a crash of the PostgreSQL server itself could lose the last commits, and no test
    crashes the server. Each commit otherwise waits for an fsync (about 5 ms on the CI disk),
    and the suite's PostgreSQL variants commit tens of thousands of times (8,000 audit
    entries in `test_concurrent_writers_give_a_gapless_verified_chain` alone). A clone made
    with `CREATE DATABASE ... TEMPLATE` does not inherit the setting: set it on each."""
    conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))


# The slowest units of the suite, in seconds on one worker of `pytest -n 2 --dist loadgroup`
# (a test id or a module's path; a group is found by its module's path): sent to the workers
# first, longest first. Only the order depends on these figures, never a result; a test marked
# `slow` that is not listed here is sent after the listed ones and before every quick test.
# Measured on 2 cores at load 7-12 (benchmarks/RESULTS.md, branch ci8, 2026-12-07), with two
# Spark clusters at once then; the drawn worlds, stage crashes and audit writers were not
# reached by that run: their figures are the 2026-12-06 run's (load 15-22, "Suite time").
LONGEST_FIRST: dict[str, float] = {
    # One unit (`SPARK_UNIT`): test_spark.py 1114 s + test_spark_cluster.py 980 s then, and
    # the modules taking a local `spark` session (not measured then; a few minutes).
    "tests/link/test_spark.py": 2300,
    "tests/test_worlds.py::test_every_drawn_world_runs_end_to_end_and_again_the_same": 318,
    "tests/ingest/test_ingest_crash.py": 323,
    "tests/test_crash_stages.py": 237,
    "tests/store/test_audit.py::test_concurrent_writers_give_a_gapless_verified_chain": 176,
}
# Every test that starts a JVM runs on one worker, as one unit (named by its first module, as
# `LONGEST_FIRST` lists it): the modules below, and any module with a test that takes a fixture
# named `spark` (a local Spark session, e.g. tests/link/test_spark_components.py). A process
# keeps its local Spark session (one driver JVM) for its life, so the unit starts one local
# JVM, not one per worker and module, and the later tests find it warm; and the standalone
# cluster (three JVMs and their executors) never runs beside a local session of the other
# worker: two JVM-heavy tests at once on two cores only slowed each other (ci8's run).
SPARK_UNIT = "tests/link/test_spark.py"
SHARED_UNITS: dict[str, str] = {
    "tests/link/test_spark.py": SPARK_UNIT,  # local Spark sessions, opened by predict_persons
    "tests/link/test_spark_cluster.py": SPARK_UNIT,  # the loopback standalone cluster
}
# The quickest module of the JVM unit (seconds a test), run at its end. xdist hands a worker
# its next unit once two of its tests are left, and that unit waits behind them: behind these,
# seconds; behind a link run on the cluster or a Spark training, minutes while the other
# worker may have nothing left to do.
UNIT_ENDS_WITH = ("tests/link/test_spark_components.py",)


# Where the workers tell the controller which tests form one unit (pytest_xdist_make_scheduler).
UNITS_ENV = "TESTS_XDIST_UNITS"


def pytest_configure(config: pytest.Config) -> None:
    """Under `--dist loadgroup`, on the controller: xdist hands the workers their units in the
    order of the collection (not ordered by tests per unit), which `pytest_collection_modifyitems`
    sorts slow units first, so that no long unit starts when the other worker is about to
    finish; and the workers write the units they collected to a file of this run."""
    if getattr(config.option, "dist", "no") != "loadgroup" or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    config.option.loadscopereorder = False
    handle, path = tempfile.mkstemp(prefix="casereview-xdist-units-")
    os.close(handle)
    os.environ[UNITS_ENV] = path  # the workers, started after this, inherit it


def pytest_unconfigure(config: pytest.Config) -> None:
    path = os.environ.get(UNITS_ENV)
    if path and not os.environ.get("PYTEST_XDIST_WORKER"):
        for written in Path(path).parent.glob(Path(path).name + "*"):
            written.unlink(missing_ok=True)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's loadgroup, with the groups read from what the workers collected. xdist 3.8
    groups a test by renaming it (`item._nodeid`, suffixed `@group`), which pytest 9 no longer
    reads (a node's id is `item._id`): under pytest 9 no test was ever grouped, and each worker
    that ran one test of a module built the module's fixtures again (two Spark clusters, the
    100,000-row crash input twice)."""
    if getattr(config.option, "dist", "no") != "loadgroup" or not os.environ.get(UNITS_ENV):
        return None
    from xdist.scheduler import LoadGroupScheduling

    written = Path(os.environ[UNITS_ENV])

    class UnitScheduling(LoadGroupScheduling):  # type: ignore[misc]
        units: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.units is None:
                # Called once every worker has collected (each wrote the same units).
                files = sorted(written.parent.glob(written.name + ".gw*"))
                self.units = json.loads(files[0].read_text()) if files else {}
            return self.units.get(nodeid) or super()._split_scope(nodeid)

    return UnitScheduling(config, log)


def _unit(item: pytest.Item) -> str:
    """The unit of work xdist's loadgroup gives a worker whole: the test's group, or the test."""
    mark = item.get_closest_marker("xdist_group")
    return f"group:{mark.args[0]}" if mark is not None and mark.args else item.nodeid


def _expected_seconds(unit: str) -> float:
    path = unit.removeprefix("group:")
    return max(
        (s for name, s in LONGEST_FIRST.items() if path == name or path.startswith(name)),
        default=0.0,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests of a module with a module-scoped fixture (a world built for the module, a Spark
    cluster) run on one xdist worker, so that the fixture is made once, not once per worker:
    they form one `xdist_group`, which `--dist loadgroup` (`make test`) keeps together. Every
    other test is spread over the workers one by one. The controller learns the groups from
    the file each worker writes here (`pytest_xdist_make_scheduler`); `tryfirst` so that the
    groups are marked before xdist's own hook reads them (pytest 8, where its renaming works).

    Then the order the workers are given their units (`pytest_configure`): the slow ones first
    (marked `slow`, or in `LONGEST_FIRST`), longest first; then the groups with the most tests;
    then the rest as collected. Two workers then finish together: what is left at the end is
    quick tests, not a chain of long ones on one worker while the other waits."""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        module = item.nodeid.split("::", 1)[0]
        if module in SHARED_UNITS or "spark" in info.name2fixturedefs:
            item.add_marker(pytest.mark.xdist_group(SHARED_UNITS.get(module, SPARK_UNIT)))
        elif any(d.scope == "module" for defs in info.name2fixturedefs.values() for d in defs):
            item.add_marker(pytest.mark.xdist_group(module))
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(_unit(item), []).append(item)
    for tests in units.values():  # stable: each module's tests stay together and in order
        tests.sort(key=lambda t: t.nodeid.split("::", 1)[0] in UNIT_ENDS_WITH)

    def weight(entry: tuple[int, tuple[str, list[pytest.Item]]]) -> tuple[int, float, int, int]:
        first, (unit, tests) = entry
        expected = _expected_seconds(unit) or max(
            (_expected_seconds(t.nodeid) for t in tests), default=0.0
        )
        slow = expected > 0 or any(t.get_closest_marker("slow") for t in tests)
        return (0 if slow else 1, -expected, -len(tests), first)

    ordered = sorted(enumerate(units.items()), key=weight)
    items[:] = [item for _, (_, tests) in ordered for item in tests]
    worker, path = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get(UNITS_ENV)
    if worker and path:
        # For the controller's scheduler (`pytest_xdist_make_scheduler`): each grouped test's unit.
        grouped = {t.nodeid: u for u, tests in units.items() if u.startswith("group:") for t in tests}
        draft = Path(f"{path}.draft-{worker}")
        draft.write_text(json.dumps(grouped))
        draft.replace(f"{path}.{worker}")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test starts from default settings in its own working folder."""
    for name in list(os.environ):
        if name.startswith("CASEREVIEW_") and name != PG_ENV:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    reset_settings()
    yield
    reset_settings()


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords are hashed with Argon2id still, at test cost (the default costs up to a second
    a hash on a loaded machine, and the suite creates and signs in hundreds of users). What a
    hash is made of is tested (`$argon2id$`); how long it takes is not a test's business."""
    from argon2 import PasswordHasher

    from casereview.store import users

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", cheap)
    # An unknown user's password is checked against the dummy hash: at the same cost too.
    monkeypatch.setattr(users, "_DUMMY_HASH", cheap.hash("casereview-dummy-password-for-timing"))


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str | None]:
    if not os.environ.get(PG_ENV):
        yield None
        return
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"cr_template_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        pg_commits_unflushed(conn, name)
    url = make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store migrated once per worker, with default settings (as every test
    starts, `_isolated_settings`): each SQLite test gets a copy of the file, as each
    PostgreSQL test gets a database cloned from `_pg_template`. The copy is the file
    `upgrade` wrote, its write-ahead log checkpointed into it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "store.db"
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CASEREVIEW_") and name != PG_ENV:
                patch.delenv(name)
        reset_settings()
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
    reset_settings()
    return path


def _new_pg_database(template: str) -> tuple[str, str]:
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"cr_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        pg_commits_unflushed(conn, name)
    admin.dispose()
    url = make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    return name, url


def _drop_pg_database(name: str) -> None:
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_store(
    backend: str, folder: Path, pg_template: str | None, sqlite_template: Path
) -> Iterator[str]:
    """Yield the URL of an empty, migrated store on `backend` (a copy of the SQLite file
    migrated once per worker, or a clone of the PostgreSQL template), removed afterwards."""
    if backend == "sqlite":
        shutil.copyfile(sqlite_template, folder / "store.db")
        yield f"sqlite:///{folder / 'store.db'}"
        return
    if pg_template is None:
        pytest.skip(f"PostgreSQL variant: set {PG_ENV} to run it (CI does)")
    name, url = _new_pg_database(pg_template)
    try:
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture(params=BACKENDS)
def store_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _pg_template: str | None,
    _sqlite_template: Path,
) -> Iterator[str]:
    """URL of an empty, migrated store on each backend."""
    yield from _empty_store(request.param, tmp_path, _pg_template, _sqlite_template)


@pytest.fixture(scope="module", params=BACKENDS)
def module_store_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _pg_template: str | None,
    _sqlite_template: Path,
) -> Iterator[str]:
    """URL of an empty, migrated store on each backend, shared by the tests of one module (for
    what they all read and build once, e.g. a report; they then run on one xdist worker)."""
    folder = tmp_path_factory.mktemp("module-store")
    yield from _empty_store(request.param, folder, _pg_template, _sqlite_template)


@pytest.fixture
def fresh_store(store_url: str) -> Iterator[Engine]:
    """An engine on an empty, migrated store (runs once per backend)."""
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    """An empty, migrated SQLite store (for tests that are about SQLite itself)."""
    shutil.copyfile(_sqlite_template, tmp_path / "store.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_store_url(_pg_template: str | None) -> Iterator[str]:
    """URL of an empty, migrated PostgreSQL store (for tests about PostgreSQL itself)."""
    if _pg_template is None:
        pytest.skip(f"needs PostgreSQL: set {PG_ENV} to run it (CI does)")
    name, url = _new_pg_database(_pg_template)
    try:
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture(scope="session", autouse=True)
def _built_worlds(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Worlds built by `pipeline_world` are built once per run and shared by every module and
    xdist worker (each caller gets a copy): the workers' temporary folders share a parent."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    os.environ["TESTS_BUILT_WORLDS"] = str(root / "built-worlds")  # pipeline_world.BUILT_WORLDS_ENV


@pytest.fixture(scope="session")
def review_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store the real pipeline built from a synthetic world, with its report, users of every
    role and part of the queue allocated (`pipeline_world.build_review_store`): built once per
    session, shared by the read-side, web and CLI tests, never changed (tests copy it)."""
    from pipeline_world import shared_review_store

    return shared_review_store(tmp_path_factory.getbasetemp())
