"""Fixtures of the link tests: a store holding a tiny world of people with truth."""

from __future__ import annotations

from typing import Any

import pytest
from linkworld import add_mentions, tiny_people
from sqlalchemy import Engine


@pytest.fixture
def people_store(fresh_store: Engine) -> tuple[Engine, list[dict[str, Any]], dict[str, int]]:
    """A store holding 60 tiny people (about 180 mentions) and their truth."""
    rows = tiny_people(7, 60)
    ids = add_mentions(fresh_store, rows)
    return fresh_store, rows, ids
