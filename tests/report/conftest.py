"""Fixtures of the report tests: the fixture world (see `report_world.py`) in a fresh store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from report_world import ReportWorld, build_world
from sqlalchemy import Engine


@pytest.fixture
def report_world(fresh_store: Engine) -> Iterator[ReportWorld]:
    """The fixture world in a fresh store (SQLite, and PostgreSQL when configured)."""
    yield build_world(fresh_store)
