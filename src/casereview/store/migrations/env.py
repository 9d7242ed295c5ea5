"""Alembic environment: migrations run on the engine handed in by `casereview.store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from casereview.model.tables import metadata

config = context.config


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:  # plain `alembic` command line, for developers generating revisions
        from casereview.store.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect().execution_options(casereview_write=True) as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
