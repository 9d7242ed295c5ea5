"""runs.owner: the process running a stage (host, pid, process start time), so that runs whose
process died are recognised as abandoned

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("owner", sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE runs DROP COLUMN owner")
