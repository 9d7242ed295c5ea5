"""PostgreSQL: the application login cannot switch off or rewrite the audit log (issue 22,
item 9). Before: with the recipe of docs/deployment.md the application's login owned
`audit_log` and could `ALTER TABLE audit_log DISABLE TRIGGER USER`, then update or delete
entries. `casereview init --create-roles` makes an owner role hold the schema and an
application login that can do casereview's work and nothing more to the audit log.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from casereview.cli import main
from casereview.model.codes import AuditAction
from casereview.store import audit
from casereview.store.db import make_engine, writing


@pytest.fixture
def roles(pg_store_url: str) -> Iterator[tuple[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"cr_owner_{suffix}", f"cr_app_{suffix}"
    yield owner, app
    admin = create_engine(make_engine(pg_store_url).url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for role in (owner, app):
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                conn.execute(text(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER'))
                conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :a"),
            {"a": app},
        )
        for role in (app, owner):
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


@pytest.mark.postgres
def test_app_role_cannot_disable_triggers_or_change_audit_entries(
    pg_store_url: str, roles: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    owner, app = roles
    code = main(["--database", pg_store_url, "init", "--create-roles", "--owner-role", owner,
                 "--app-role", app, "--json"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out
    assert json.loads(out.out)["roles"] == {"owner": owner, "app": app, "created": [owner, app]}
    app_url = make_url(make_engine(pg_store_url).url).set(username=app, password=None)
    engine = make_engine(app_url.render_as_string(hide_password=False))
    try:
        # casereview's own work goes on: entries are appended and the chain verifies.
        entry = audit.append_alone(engine, actor="app", action=AuditAction.VERIFY, details={})
        assert audit.verify(engine).ok and entry.seq >= 1
        with writing(engine) as conn:
            conn.execute(text("INSERT INTO teams (name, created_at) VALUES ('north', now())"))
        # What the issue did, and its variants: each refused by the database itself.
        attempts = [
            "ALTER TABLE audit_log DISABLE TRIGGER USER",
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "DROP TRIGGER audit_log_no_change ON audit_log",
            "UPDATE audit_log SET actor = 'someone else'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
            "UPDATE disclosure_keys SET secret = 'x'",
            "CREATE TABLE mine (id int)",
            "SET session_replication_role = replica",
        ]
        refused = []
        for sql in attempts:
            with engine.connect() as conn:
                try:
                    conn.execute(text(sql))
                    conn.commit()
                except ProgrammingError as e:
                    refused.append((sql, type(e.orig).__name__))
        assert refused == [(sql, "InsufficientPrivilege") for sql in attempts]
        assert audit.verify(engine).ok
    finally:
        engine.dispose()
    # Running it again (as an upgrade would) creates nothing and keeps the grants.
    assert main(["--database", pg_store_url, "init", "--create-roles", "--owner-role", owner,
                 "--app-role", app, "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["roles"]["created"] == []


def test_create_roles_on_sqlite_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--database", f"sqlite:///{tmp_path / 's.db'}", "init", "--create-roles"])
    assert (code, capsys.readouterr().err) == (
        2, "error: --create-roles is for PostgreSQL; a SQLite store is a file (mode 0600)\n"
    )  # fmt: skip
