"""Explanations stored compactly: each scored pair's comparison levels
(`match_pairs.levels`), each mention's compared values once (`mention_person.compared`),
the labels and weights once per run (run artifact `explanation_legend`). The whole JSON of
pairs stored before (`match_pairs.comparison`) stays readable until the next link run
replaces them, so the column becomes nullable rather than going.

Revision ID: 0009_explanation_levels
Revises: 0008_chart_layouts
Create Date: 2026-12-06 20:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_explanation_levels"
down_revision: str | None = "0008_chart_layouts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends (no rebuild of mention_person, whose rebuild on
    # SQLite would check every foreign key again).
    op.add_column("match_pairs", sa.Column("levels", sa.Text(), nullable=True))
    op.add_column("mention_person", sa.Column("compared", sa.Text(), nullable=True))
    # SQLite cannot drop NOT NULL in place: match_pairs (which no table refers to) is
    # rebuilt there; PostgreSQL alters the column.
    with op.batch_alter_table("match_pairs", schema=None) as batch_op:
        batch_op.alter_column("comparison", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    # Pairs stored with levels only have no JSON to fall back to: they are explained again
    # by the next link run of the older software.
    op.execute("DELETE FROM match_pairs WHERE comparison IS NULL")
    with op.batch_alter_table("match_pairs", schema=None) as batch_op:
        batch_op.alter_column("comparison", existing_type=sa.Text(), nullable=False)
    op.execute("ALTER TABLE match_pairs DROP COLUMN levels")
    op.execute("ALTER TABLE mention_person DROP COLUMN compared")
