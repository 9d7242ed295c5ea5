"""chart_layouts: the positions of each link chart's nodes, kept so that a chart is drawn
alike on every load and after re-runs of the stages (issue 18).

Revision ID: 0008_chart_layouts
Revises: 0007
Create Date: 2026-12-06 09:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_chart_layouts"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chart_layouts",
        sa.Column("chart_key", sa.String(length=64), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chart_key", "node_id", name="pk_chart_layouts"),
    )


def downgrade() -> None:
    op.drop_table("chart_layouts")
