"""PostgreSQL roles for a team server: an owner that holds the schema, an application login
that can use the data but cannot alter the tables, disable the audit log's triggers, or
update, delete or truncate audit entries.

`casereview init --create-roles` runs this as a login that may create roles (the database
owner or a superuser): it creates both roles if they do not exist, migrates the schema, makes
the owner role own every table, sequence and the audit trigger's function, and grants the
application role exactly what casereview needs. Running it again (e.g. after an upgrade of
casereview, which is how upgrades are applied on such a server) changes nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from casereview.errors import ConfigError
from casereview.store.db import is_sqlite
from casereview.store.migrate import upgrade

__all__ = ["RoleSetup", "create_roles"]

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# The application may append to the audit log and read it, nothing more (its head row is
# updated under a lock by store.audit, and `audit verify --expect-head` detects a rewound head).
_APPEND_ONLY = ("audit_log",)
# Written once by migrations; read by the application.
_READ_ONLY = ("alembic_version", "disclosure_keys")


@dataclass(frozen=True)
class RoleSetup:
    owner: str
    app: str
    created: tuple[str, ...]
    tables: int
    revision: tuple[str | None, str]


def _role_exists(conn: Connection, name: str) -> bool:
    query = text("SELECT 1 FROM pg_roles WHERE rolname = :name")
    return conn.execute(query, {"name": name}).first() is not None


def create_roles(engine: Engine, owner: str, app: str) -> RoleSetup:
    """Create (if needed) the owner and application roles, migrate, hand over, grant."""
    if is_sqlite(engine):
        raise ConfigError("--create-roles is for PostgreSQL; a SQLite store is a file (mode 0600)")
    for name in (owner, app):
        if not _NAME.match(name):
            raise ConfigError(f"role name {name!r}: use lower-case letters, digits and _")
    if owner == app:
        raise ConfigError("the owner and the application role must be two different roles")
    created: list[str] = []
    with engine.begin() as conn:
        for name, login in ((owner, False), (app, True)):
            if not _role_exists(conn, name):
                conn.execute(text(f'CREATE ROLE "{name}" {"LOGIN" if login else "NOLOGIN"}'))
                created.append(name)
        # NOSUPERUSER etc. are the defaults; said again in case the role existed already.
        conn.execute(text(f'ALTER ROLE "{app}" NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS'))
        # The login running this must be a member of the owner role to hand tables to it.
        conn.execute(text(f'GRANT "{owner}" TO CURRENT_USER'))
    revision = upgrade(engine)
    with engine.begin() as conn:
        tables = [
            str(r[0])
            for r in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
        ]
        sequences = [
            str(r[0])
            for r in conn.execute(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            )
        ]
        for table in tables:
            conn.execute(text(f'ALTER TABLE public."{table}" OWNER TO "{owner}"'))
        for sequence in sequences:
            conn.execute(text(f'ALTER SEQUENCE public."{sequence}" OWNER TO "{owner}"'))
        conn.execute(text(f'ALTER FUNCTION casereview_audit_append_only() OWNER TO "{owner}"'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{app}"'))
        conn.execute(text(f'REVOKE CREATE ON SCHEMA public FROM "{app}"'))
        conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{app}"'))
        conn.execute(
            text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{app}"')
        )
        for table in _APPEND_ONLY:
            conn.execute(text(f'REVOKE UPDATE, DELETE, TRUNCATE ON public."{table}" FROM "{app}"'))
        for table in _READ_ONLY:
            conn.execute(
                text(f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public."{table}" FROM "{app}"')
            )
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{app}"'))
        # Tables of later migrations (run again by this command) get the same grants.
        conn.execute(
            text(
                f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{app}"'
            )
        )
        conn.execute(
            text(
                f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
                f'GRANT USAGE, SELECT ON SEQUENCES TO "{app}"'
            )
        )
    return RoleSetup(owner, app, tuple(created), len(tables), revision)
