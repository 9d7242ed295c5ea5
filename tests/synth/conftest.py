"""Small synthetic worlds shared by the synth tests (generated once per session)."""

from __future__ import annotations

import pytest
from synthworld import World

from casereview.synth import SynthConfig, generate_world


@pytest.fixture(scope="session")
def world_1500(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Two chunks (1,000 + 500 crimes), seed 7, default rates."""
    root = tmp_path_factory.mktemp("synth-1500")
    generate_world(SynthConfig(cases=1500, seed=7), root, workers=1)
    return World(root)


@pytest.fixture(scope="session")
def world_4000(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Four chunks, for rate checks that need more records."""
    root = tmp_path_factory.mktemp("synth-4000")
    generate_world(SynthConfig(cases=4000, seed=11), root, workers=1)
    return World(root)
