"""mentions.identifiers: a person's identifiers as a JSON object (scheme -> value), "{}" for
the mentions that exist already

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both backends (SQLite allows it with a constant default): no
    # table rebuild, which on SQLite would cascade-delete the mentions' attachments.
    op.add_column(
        "mentions", sa.Column("identifiers", sa.Text(), nullable=False, server_default="{}")
    )


def downgrade() -> None:
    # DROP COLUMN natively (SQLite 3.35+, PostgreSQL), for the same reason.
    op.execute("ALTER TABLE mentions DROP COLUMN identifiers")
