"""The store: database connection, migrations, audit log and stage runs."""

from casereview.store.db import connect, make_engine, reading, require_schema, writing

__all__ = ["connect", "make_engine", "reading", "require_schema", "writing"]
