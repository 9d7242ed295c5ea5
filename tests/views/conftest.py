"""Read-side tests run on the pipeline-built review store of the session (see
`tests/conftest.py::review_store`): a read-only engine on it, or a private copy to change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from casereview.store.db import make_engine
from pipeline_world import copy_store


@pytest.fixture(scope="session")
def built(review_store: Path) -> Iterator[Engine]:
    """The shared store, for tests that only read (the read side never writes)."""
    engine = make_engine(f"sqlite:///{review_store}")
    yield engine
    engine.dispose()


@pytest.fixture
def private(review_store: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the shared store, for a test that changes it."""
    engine = copy_store(review_store, tmp_path / "store.db")
    yield engine
    engine.dispose()
