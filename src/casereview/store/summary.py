"""A short description of a store: schema revision and row counts of every table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from casereview.model.tables import metadata
from casereview.store.db import reading
from casereview.store.migrate import current_revision

__all__ = ["store_summary"]


def store_summary(engine: Engine) -> dict[str, Any]:
    """{'url', 'revision', 'tables': {name: rows}} for every canonical table."""
    with reading(engine) as conn:
        counts = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }
    return {
        "url": engine.url.render_as_string(hide_password=True),
        "revision": current_revision(engine),
        "tables": counts,
    }
