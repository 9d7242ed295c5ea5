"""SIGKILL of link, network, review build and the pipeline, on both backends: a stage killed
at any moment leaves the store exactly as it was (its output commits whole or not at all),
its run is shown abandoned, the audit chain verifies, and the stage then runs to the end.

Each stage is killed at a random moment after its run has started working (its `runs` row is
`running`), in a real `casereview` process.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from casereview.cli import main
from casereview.ingest import ingest_directory
from casereview.model.codes import RunStatus
from casereview.model.tables import runs
from casereview.pipeline import run_pipeline
from casereview.store import audit
from casereview.store.db import make_engine, reading
from casereview.store.runs import list_runs
from casereview.synth import SynthConfig, generate_world
from drawn_worlds import snapshot

pytestmark = pytest.mark.slow

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
CASEREVIEW = str(Path(sys.executable).parent / "casereview")
STAGES = {
    "link": ["link"],
    "network": ["network"],
    "review": ["review", "build"],
    "pipeline": ["pipeline"],
}


def _running_since(url: str, after: int) -> bool:
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            return (
                conn.execute(
                    select(runs.c.id).where(
                        runs.c.id > after, runs.c.status == RunStatus.RUNNING.value
                    )
                ).first()
                is not None
            )
    finally:
        engine.dispose()


def _last_run_id(url: str) -> int:
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            return int(conn.execute(select(runs.c.id).order_by(runs.c.id.desc())).scalar() or 0)
    finally:
        engine.dispose()


def _kill_while_working(url: str, args: list[str], delay: float) -> int:
    """Start `casereview ARGS`, wait until its run is working, wait `delay` s, SIGKILL it.
    Returns the process's exit status (negative: killed; 0: it finished first)."""
    before = _last_run_id(url)
    proc = subprocess.Popen(
        [CASEREVIEW, "--database", url, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(12000):
            if proc.poll() is not None or _running_since(url, before):
                break
            time.sleep(0.005)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_stage_killed_at_any_moment_leaves_the_store_as_it_was(
    store_url: str, tmp_path: Path
) -> None:
    world = tmp_path / "world"
    generate_world(SynthConfig(cases=300, seed=13), world)
    engine = make_engine(store_url)
    try:
        ingest_directory(engine, MAPPINGS, world, "test")
        run_pipeline(engine, actor="test")
        before = snapshot(engine)
    finally:
        engine.dispose()
    chance = random.Random(store_url.split(":")[0] + "13")
    killed = []
    for name, args in STAGES.items():
        # A stage's run exists while it writes (the work before it only reads), which at this
        # size takes tens of milliseconds: a stage that committed before its moment came is
        # tried again at a quarter of the delay (the moments stay random).
        delay = chance.uniform(0.0, 0.1)
        for _attempt in range(4):
            status = _kill_while_working(store_url, args, delay)
            engine = make_engine(store_url)
            try:
                assert snapshot(engine) == before, f"{name} killed: the store changed"
                assert audit.verify(engine).ok
                last = list_runs(engine, limit=1)[0].status
                if status < 0:
                    # Killed while it worked (abandoned), or in the moment after its run had
                    # committed (succeeded): never left `running`.
                    assert last in {RunStatus.ABANDONED.value, RunStatus.SUCCEEDED.value}, name
            finally:
                engine.dispose()
            if status < 0 and last == RunStatus.ABANDONED.value:
                killed.append(name)
                break
            delay /= 4
        # The stage then runs to the end, and records its killed run as abandoned.
        assert main(["--database", store_url, *args]) == 0, name
    assert killed, "no stage was killed while it worked"
    engine = make_engine(store_url)
    try:
        with reading(engine) as conn:
            statuses = {str(s) for s in conn.execute(select(runs.c.status)).scalars()}
        assert RunStatus.RUNNING.value not in statuses
        assert audit.verify(engine).ok
    finally:
        engine.dispose()
