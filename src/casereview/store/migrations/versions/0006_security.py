"""security: the cell-key secret of disclosure control (made once, here) and command-line
sign-in tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    keys = op.create_table(
        "disclosure_keys",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_disclosure_keys")),
    )
    op.bulk_insert(
        keys,
        [
            {
                "name": "cell_key",
                "secret": secrets.token_hex(32),
                "created_at": dt.datetime.now(dt.UTC),
            }
        ],
    )
    op.create_table(
        "cli_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column(
            "user_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("users.id", name=op.f("fk_cli_tokens_user_id_users"), ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("os_user", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_cli_tokens")),
    )
    op.create_index(op.f("ix_cli_tokens_user_id"), "cli_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cli_tokens_user_id"), table_name="cli_tokens")
    op.drop_table("cli_tokens")
    op.drop_table("disclosure_keys")
