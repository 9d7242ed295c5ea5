"""Small synthetic worlds shared by the synth tests (generated once per run, read only: every
xdist worker reads the same files, `pipeline_world.built_once`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthworld import World

from casereview.synth import SynthConfig, generate_world
from pipeline_world import built_once


def _world(tmp_path_factory: pytest.TempPathFactory, cases: int, seed: int) -> World:
    def build(folder: Path) -> Path:
        generate_world(SynthConfig(cases=cases, seed=seed), folder, workers=1)
        return folder

    root = built_once(f"synth-{cases}-{seed}", build)
    return World(root if root is not None else build(tmp_path_factory.mktemp(f"synth-{cases}")))


@pytest.fixture(scope="session")
def world_1500(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Two chunks (1,000 + 500 crimes), seed 7, default rates."""
    return _world(tmp_path_factory, 1500, 7)


@pytest.fixture(scope="session")
def world_4000(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Four chunks, for rate checks that need more records."""
    return _world(tmp_path_factory, 4000, 11)
