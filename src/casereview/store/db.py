"""Engines and transactions for SQLite (embedded default) and PostgreSQL (team deployment).

SQLite is opened safely: a new file made mode 0600, foreign keys on, WAL journal, a busy
timeout, and explicit
transactions (the driver's implicit ones are switched off). Writers use `writing()`, which
starts SQLite transactions with BEGIN IMMEDIATE so that two writers queue instead of failing
half-way; readers use `reading()` and never block writers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from casereview.errors import ConfigError, SchemaNotReady, StoreBusy, StoreError
from casereview.store.files import create_private

__all__ = [
    "connect",
    "id_batches",
    "is_sqlite",
    "make_engine",
    "reading",
    "require_schema",
    "writing",
    "writing_briefly",
]

_WRITE_OPTION = "casereview_write"


def id_batches(ids: Iterable[int], size: int = 500) -> Iterator[list[int]]:
    """The ids sorted, in lists of at most `size`: one `IN (...)` each, within every
    backend's limit on bound parameters."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def is_sqlite(engine_or_conn: Engine | Connection) -> bool:
    """True when the store is a SQLite database."""
    return engine_or_conn.dialect.name == "sqlite"


def _normalise_url(url: str) -> str:
    # Plain postgresql:// URLs would pick psycopg2, which is not a dependency.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(
    url: str | None = None,
    *,
    busy_timeout_s: float | None = None,
    pool: dict[str, Any] | None = None,
) -> Engine:
    """An engine for `url` (default: the settings' database URL), configured for safe use.

    `pool` passes SQLAlchemy's pool arguments (pool_size, max_overflow, pool_timeout)."""
    from casereview.settings import get_settings

    settings = get_settings()
    url = _normalise_url(url or settings.database_url)
    timeout = busy_timeout_s if busy_timeout_s is not None else settings.store.sqlite_busy_timeout_s
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(f"invalid database URL {url!r}: {e}") from e
    kwargs: dict[str, Any] = {"future": True, **(pool or {})}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            folder = os.path.dirname(os.path.abspath(database))
            if not os.path.isdir(folder):
                raise ConfigError(f"folder of the SQLite database does not exist: {folder}")
            # A new store is made 0600 before SQLite opens it; its -wal and -shm files follow.
            create_private(Path(database))
        kwargs["connect_args"] = {"timeout": timeout, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as e:
        raise ConfigError(f"cannot use database URL {parsed!r}: {e}") from e
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, timeout, settings.store.sqlite_page_size)
    return engine


def _configure_sqlite(engine: Engine, timeout: float, page_size: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module; SQLAlchemy emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        # Takes effect only on a database with nothing written yet (a new store), and must
        # come before WAL mode is set; an existing store keeps its page size.
        cursor.execute(f"PRAGMA page_size = {int(page_size)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _lock_timed_out(error: OperationalError) -> bool:
    """SQLite's busy timeout ran out, or PostgreSQL's lock_timeout did (SQLSTATE 55P03)."""
    return "database is locked" in str(error.orig) or getattr(error.orig, "sqlstate", "") == "55P03"


def _write_failed(error: OperationalError) -> StoreError:
    if _lock_timed_out(error):
        return StoreBusy(f"the store is busy with another write: {error.orig}")
    return StoreError(f"database write failed: {error.orig}")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on success, rolled back on any exception.

    StoreBusy when another writer held the lock past the busy timeout."""
    try:
        with engine.connect().execution_options(**{_WRITE_OPTION: True}) as conn:
            with conn.begin():
                yield conn
    except OperationalError as e:
        raise _write_failed(e) from e


@contextmanager
def writing_briefly(engine: Engine, wait_s: float) -> Iterator[Connection]:
    """`writing`, waiting at most `wait_s` for the write lock (StoreBusy after that).

    For short writes that must not queue behind a long one (a web request's audit entry):
    SQLite's busy timeout is lowered on this connection only, PostgreSQL's lock_timeout is
    set for this transaction only."""
    wait_ms = max(1, int(wait_s * 1000))
    try:
        with engine.connect().execution_options(**{_WRITE_OPTION: True}) as conn:
            raw = conn.connection.driver_connection if is_sqlite(conn) else None
            if raw is not None:
                before = raw.execute("PRAGMA busy_timeout").fetchone()[0]
                raw.execute(f"PRAGMA busy_timeout = {wait_ms}")
            try:
                with conn.begin():
                    if raw is None:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
                    yield conn
            finally:
                if raw is not None:
                    raw.execute(f"PRAGMA busy_timeout = {int(before)}")
    except OperationalError as e:
        raise _write_failed(e) from e


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only unit of work (its transaction is rolled back at the end)."""
    with engine.connect() as conn:
        with conn.begin() as tx:
            yield conn
            tx.rollback()


@contextmanager
def reading_on(bind: Engine | Connection) -> Iterator[Connection]:
    """`reading(engine)`, or the caller's own connection when it already holds one: a read
    made inside another must never take a second connection from the pool, where a full pool
    would have every request wait for itself (tests/web/test_one_connection.py)."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with reading(bind) as conn:
            yield conn


@contextmanager
def connect(url: str | None = None) -> Iterator[Engine]:
    """An engine that is disposed of at the end (for commands and tests)."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def require_schema(engine: Engine) -> None:
    """Raise SchemaNotReady unless the store is migrated to the newest revision."""
    from casereview.store.migrate import current_revision, head_revision

    try:
        if "alembic_version" not in inspect(engine).get_table_names():
            raise SchemaNotReady(
                f"the store at {engine.url.render_as_string(hide_password=True)} has no schema: "
                "run `casereview init` first"
            )
        current = current_revision(engine)
    except SQLAlchemyError as e:
        raise StoreError(f"cannot open the store: {e}") from e
    if current != head_revision():
        raise SchemaNotReady(
            f"the store is at schema revision {current}, this casereview needs {head_revision()}: "
            "run `casereview init` to upgrade"
        )
