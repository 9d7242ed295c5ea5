"""ingest: withdrawn records and mentions, an import identified by its file and its mapping,
nested items in quarantine

- records.withdrawn_at, records.withdrawn_import_id: a record a later full export no longer has
  (kept, not deleted);
- mentions.import_id (the import that last wrote it), mentions.withdrawn_at;
- imports.mapping_digest (what derives the file's rows; "" for earlier imports),
  imports.rows_withdrawn, imports.notes; the unique key of imports becomes (source_id, sha256,
  mapping_digest), so that the same bytes under a changed mapping are a new import;
- quarantine.scope: "row" (every earlier entry) or "item".

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_IMPORT_COLUMNS = (
    "id, source_id, file_name, file_role, sha256, mapping_name, mapping_sha256, rows_read, "
    "rows_loaded, rows_quarantined, imported_by, started_at, finished_at"
)


def _create_imports_table(name: str, unique: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("source_id", _ID, nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_role", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mapping_name", sa.String(length=200), nullable=False),
        sa.Column("mapping_sha256", sa.String(length=64), nullable=False),
        sa.Column("mapping_digest", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("rows_withdrawn", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("notes", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name="fk_imports_source_id_sources"),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
        sa.UniqueConstraint(*unique, name="uq_imports_" + "_".join(unique)),
    )


def _rebuild_sqlite_imports(unique: tuple[str, ...], columns: str) -> None:
    """SQLite cannot drop a table's unique constraint: the table is rebuilt inside the
    migration's transaction. Foreign keys stay on (the pragma cannot change inside a
    transaction), so the checks of records.import_id are deferred until the rows are back
    (the ids are kept), and quarantine's ON DELETE CASCADE, which the DROP fires, is undone by
    putting its rows back. The new table is created under its own name: the rows inserted
    into it settle the deferred checks."""
    bind = op.get_bind()
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    bind.exec_driver_sql("CREATE TEMP TABLE _quarantine_kept AS SELECT * FROM quarantine")
    bind.exec_driver_sql(f"CREATE TEMP TABLE _imports_kept AS SELECT {columns} FROM imports")  # nosec B608
    bind.exec_driver_sql("DROP TABLE imports")
    _create_imports_table("imports", unique)
    bind.exec_driver_sql(
        f"INSERT INTO imports ({columns}) SELECT {columns} FROM _imports_kept"  # nosec B608
    )
    bind.exec_driver_sql("INSERT INTO quarantine SELECT * FROM _quarantine_kept")
    bind.exec_driver_sql("DROP TABLE _quarantine_kept")
    bind.exec_driver_sql("DROP TABLE _imports_kept")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # quarantine first: on SQLite its rows are copied aside (with the new column) while the
    # imports table is rebuilt.
    op.add_column(
        "quarantine", sa.Column("scope", sa.String(length=8), nullable=False, server_default="row")
    )
    if sqlite:
        _rebuild_sqlite_imports(("source_id", "sha256", "mapping_digest"), _IMPORT_COLUMNS)
        # ADD COLUMN ... REFERENCES is allowed when the default is NULL: no table rebuild
        # (which on SQLite would cascade-delete the rows' attachments).
        for sql in (
            "ALTER TABLE records ADD COLUMN withdrawn_at DATETIME",
            "ALTER TABLE records ADD COLUMN withdrawn_import_id INTEGER "
            "CONSTRAINT fk_records_withdrawn_import_id_imports REFERENCES imports (id)",
            "ALTER TABLE mentions ADD COLUMN import_id INTEGER "
            "CONSTRAINT fk_mentions_import_id_imports REFERENCES imports (id)",
            "ALTER TABLE mentions ADD COLUMN withdrawn_at DATETIME",
        ):
            op.execute(sql)
        return
    op.add_column(
        "imports",
        sa.Column("mapping_digest", sa.String(length=64), nullable=False, server_default=""),
    )
    op.add_column(
        "imports", sa.Column("rows_withdrawn", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("imports", sa.Column("notes", sa.Text(), nullable=False, server_default="{}"))
    op.drop_constraint("uq_imports_source_id_sha256", "imports", type_="unique")
    op.create_unique_constraint(
        "uq_imports_source_id_sha256_mapping_digest",
        "imports",
        ["source_id", "sha256", "mapping_digest"],
    )
    op.add_column("records", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("records", sa.Column("withdrawn_import_id", _ID, nullable=True))
    op.create_foreign_key(
        "fk_records_withdrawn_import_id_imports", "records", "imports",
        ["withdrawn_import_id"], ["id"],
    )  # fmt: skip
    op.add_column("mentions", sa.Column("import_id", _ID, nullable=True))
    op.add_column("mentions", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        "fk_mentions_import_id_imports", "mentions", "imports", ["import_id"], ["id"]
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in (
        ("mentions", "withdrawn_at"),
        ("mentions", "import_id"),
        ("records", "withdrawn_import_id"),
        ("records", "withdrawn_at"),
    ):
        if not sqlite and column.endswith("import_id"):
            op.drop_constraint(f"fk_{table}_{column}_imports", table, type_="foreignkey")
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    # Re-derived imports share their file's bytes with an earlier import: only the first of
    # each (source, bytes) can stay under the old unique key.
    op.execute(
        "DELETE FROM imports WHERE id NOT IN (SELECT min(id) FROM imports GROUP BY source_id, "
        "sha256) AND id NOT IN (SELECT import_id FROM records) "
        "AND id NOT IN (SELECT import_id FROM quarantine)"
    )
    if sqlite:
        _rebuild_sqlite_imports(("source_id", "sha256"), _IMPORT_COLUMNS)
        bind = op.get_bind()
        for column in ("notes", "rows_withdrawn", "mapping_digest"):
            bind.exec_driver_sql(f"ALTER TABLE imports DROP COLUMN {column}")
    else:
        op.drop_constraint("uq_imports_source_id_sha256_mapping_digest", "imports", type_="unique")
        for column in ("notes", "rows_withdrawn", "mapping_digest"):
            op.drop_column("imports", column)
        op.create_unique_constraint(
            "uq_imports_source_id_sha256", "imports", ["source_id", "sha256"]
        )
    op.execute("ALTER TABLE quarantine DROP COLUMN scope")
