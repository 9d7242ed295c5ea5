"""indexes for access checks and the queue: review_items(team_id, subject_type, subject_id),
indicators(subject_type, subject_id)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_review_items_team_id_subject_type_subject_id"),
        "review_items",
        ["team_id", "subject_type", "subject_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_indicators_subject_type_subject_id"),
        "indicators",
        ["subject_type", "subject_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_indicators_subject_type_subject_id"), table_name="indicators")
    op.drop_index(
        op.f("ix_review_items_team_id_subject_type_subject_id"), table_name="review_items"
    )
