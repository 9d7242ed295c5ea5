"""Robust on every world: drawn synthetic worlds run end to end through the command line.

A handful of small worlds on every test run (the long run is benchmarks/bench_worlds.py). Each
example builds a world with drawn options, runs every command a new team would, checks the
invariants of `tests/drawn_worlds.py` and that link and the pipeline run again give the same persons,
groups, findings, indicators and queue.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from drawn_worlds import WorldOptions, run_world, world_options

pytestmark = pytest.mark.slow


@settings(
    max_examples=3,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(options=world_options(min_cases=50, max_cases=250))
def test_every_drawn_world_runs_end_to_end_and_again_the_same(options: WorldOptions) -> None:
    with tempfile.TemporaryDirectory() as folder:
        run_world(options, Path(folder))


@pytest.mark.parametrize(
    "options",
    [
        WorldOptions(cases=1, seed=3),
        WorldOptions(cases=60, seed=7, noise="none", failures="none"),
        WorldOptions(cases=120, seed=11, noise="typo=1.0,missing_dob=1.0,missing_address=1.0"),
    ],
    ids=["one-case", "clean", "all-noise"],
)
def test_edge_worlds(options: WorldOptions, tmp_path: Path) -> None:
    run_world(options, tmp_path)


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_the_whole_job_on_postgresql(store_url: str, tmp_path: Path) -> None:
    """synth, init, ingest, pipeline, report, every export, audit verify, then link and the
    pipeline again giving the same persons, groups, findings, indicators and queue, on
    PostgreSQL."""
    run_world(WorldOptions(cases=150, seed=4), tmp_path, url=store_url)
