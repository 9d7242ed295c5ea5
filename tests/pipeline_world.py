"""A store built by the real pipeline from a synthetic world (synth, ingest, link, classify,
network, review), copied for each test that changes it.

For tests that must read what the stages wrote: erasure (tests/store/test_erasure.py), the
metamorphic test of protected characteristics (tests/test_protected_characteristics.py), the
analyst's, read-side, web and CLI tests.

Each world is built once per test run, not once per module or per xdist worker: the builders
keep what they built in the folder named by the environment variable `TESTS_BUILT_WORLDS`
(tests/conftest.py sets it to a folder every xdist worker of the run sees; a lock file makes
the second worker wait for the first), and give every caller its own copy in the caller's
folder. Without the variable (benchmarks) every call builds. The ingested world is one build shared by the
ingested, pipeline and review stores of the same size and seed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from casereview.ingest import ingest_directory
from casereview.pipeline import run_pipeline
from casereview.store.db import make_engine
from casereview.store.migrate import upgrade
from casereview.synth import SynthConfig, generate_world

__all__ = [
    "BUILT_WORLDS_ENV",
    "MAPPINGS",
    "PASSWORD",
    "REVIEW_USERS",
    "build_ingested_store",
    "build_pipeline_store",
    "build_review_store",
    "build_review_store_on",
    "built_once",
    "copy_store",
    "shared_review_store",
]

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"

BUILT_WORLDS_ENV = "TESTS_BUILT_WORLDS"


def built_once(name: str, build: Callable[[Path], Path]) -> Path | None:
    """What `build(folder)` makes (a store, a synthetic world's folder), built once per run
    under the shared folder (None when builds are not shared). Two processes asking at once:
    one builds, the other waits on the lock. Callers must not change it: copy it first."""
    if not os.environ.get(BUILT_WORLDS_ENV):
        return None
    root = Path(os.environ[BUILT_WORLDS_ENV])
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        folder, done = root / name, root / f"{name}.done"
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            done.write_text(str(build(folder).relative_to(folder)))
        return folder / done.read_text()


def _copy_world(source: Path, folder: Path) -> Path:
    """A copy of a built store, with the folder it was built in (its data, its report)."""
    for part in source.parent.iterdir():
        if part.is_dir():
            shutil.copytree(part, folder / part.name, dirs_exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    return target


def build_ingested_store(folder: Path, *, cases: int = 300, seed: int = 7) -> Path:
    """Synthesise a world of `cases` police crimes into `folder` and import it (no more)."""
    built = built_once(f"ingested-{cases}-{seed}", lambda f: _ingest(f, cases, seed))
    return _ingest(folder, cases, seed) if built is None else _copy_world(built, folder)


def _ingest(folder: Path, cases: int, seed: int) -> Path:
    data = folder / "data"
    generate_world(SynthConfig(cases=cases, seed=seed), data, workers=1)
    path = folder / "ingested.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        ingest_directory(engine, MAPPINGS, data, "pipeline")
    finally:
        engine.dispose()
    return path


def build_pipeline_store(folder: Path, *, cases: int = 300, seed: int = 7) -> Path:
    """`build_ingested_store`, then every later stage (link, classify, network, review)."""
    built = built_once(f"pipeline-{cases}-{seed}", lambda f: _pipeline(f, cases, seed))
    return _pipeline(folder, cases, seed) if built is None else _copy_world(built, folder)


def _pipeline(folder: Path, cases: int, seed: int) -> Path:
    return _ingested_then(folder, cases, seed, lambda e: run_pipeline(e, actor="pipeline"))


def _ingested_then(folder: Path, cases: int, seed: int, work: Callable[[Engine], None]) -> Path:
    """`build_ingested_store`, then `work` on it (its engine disposed of after)."""
    path = build_ingested_store(folder, cases=cases, seed=seed)
    engine = make_engine(f"sqlite:///{path}")
    try:
        work(engine)
    finally:
        engine.dispose()
    return path


def copy_store(source: Path, target: Path) -> Engine:
    """A private copy of a built store (no connection is open on the source)."""
    shutil.copyfile(source, target)
    return make_engine(f"sqlite:///{target}")


# ------------------------------------------------------------------ a store a review team works in

PASSWORD = "lantern-harbour-violet-42"
# username -> (role, team): two teams, one user of every role.
REVIEW_USERS = {
    "rev_n": ("reviewer", "North"),
    "rev_n2": ("reviewer", "North"),
    "sup_n": ("supervisor", "North"),
    "sup_n2": ("supervisor", "North"),
    "rev_s": ("reviewer", "South"),
    "sup_s": ("supervisor", "South"),
    "ana": ("analyst", None),
    "aud": ("auditor", None),
    "adm": ("admin", None),
}
# How the supervisors allocated the queue the review stage built (through the workflow):
# North takes the group items and the top record items, South the next ones; the rest stay
# with no team, as every item starts with the default settings.
NORTH_ITEMS, SOUTH_ITEMS = 12, 8

_SHARED: dict[tuple[int, int], Path] = {}


def build_review_store(folder: Path, *, cases: int = 300, seed: int = 7) -> Path:
    """`build_pipeline_store` with the report published into `folder/report`, the users of
    `REVIEW_USERS` and part of the queue allocated by the supervisors through the workflow."""
    built = built_once(f"review-{cases}-{seed}", lambda f: _review(f, cases, seed))
    return _review(folder, cases, seed) if built is None else _copy_world(built, folder)


def _review(folder: Path, cases: int, seed: int) -> Path:
    return _ingested_then(folder, cases, seed, lambda e: _review_team_at_work(e, folder / "report"))


def build_review_store_on(engine: Engine, data: Path, report_dir: Path) -> None:
    """`build_review_store` into the empty database of `engine` (PostgreSQL), from the
    synthetic world already written in `data` (the shared store's, so both hold one world)."""
    upgrade(engine)
    ingest_directory(engine, MAPPINGS, data, "pipeline")
    _review_team_at_work(engine, report_dir)


def _review_team_at_work(engine: Engine, report_dir: Path) -> None:
    """Every stage after ingest with the report published into `report_dir`, then the users of
    `REVIEW_USERS` and the supervisors' allocation of the queue, through the workflow."""
    from argon2 import PasswordHasher

    from casereview.review.queue import QueueFilters, allocate
    from casereview.store import users as accounts
    from casereview.store.access import load_actor
    from casereview.store.db import reading, writing
    from casereview.store.views import team_id_by_name, user_id_by_name

    real_hasher = accounts._hasher
    # Argon2id still, at test cost, so that the many sign-ins of the tests stay fast.
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        run_pipeline(engine, actor="pipeline", report_dir=report_dir)
        with writing(engine) as conn:
            for team in ("North", "South"):
                accounts.create_team(conn, team)
            for name, (role, team) in REVIEW_USERS.items():
                accounts.create_user(conn, name, name.replace("_", " ").title(), role, PASSWORD)
                if team:
                    accounts.add_member(conn, team, name)
        with reading(engine) as conn:
            sup_n, sup_s = load_actor(conn, "sup_n"), load_actor(conn, "sup_s")
            north, south = team_id_by_name(conn, "North"), team_id_by_name(conn, "South")
            rev_n, rev_s = user_id_by_name(conn, "rev_n"), user_id_by_name(conn, "rev_s")
        groups_first = QueueFilters(sort="priority")
        allocate(engine, sup_n, groups_first, assignee_id=rev_n, team_id=north, limit=NORTH_ITEMS)
        allocate(engine, sup_s, groups_first, assignee_id=rev_s, team_id=south, limit=SOUTH_ITEMS)
    finally:
        accounts._hasher = real_hasher


def shared_review_store(root: Path) -> Path:
    """One `build_review_store` per test session (web and CLI tests share it): copy it with
    `copy_store` before changing it."""
    key = (300, 7)
    if key not in _SHARED:
        folder = root / "review-world"
        folder.mkdir(parents=True, exist_ok=True)
        _SHARED[key] = build_review_store(folder)
    return _SHARED[key]
