"""account lifecycle: a temporary password to change at first sign-in, a one-time password-reset link

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("password_reset_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("password_reset_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_users_password_reset_hash", ["password_reset_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_password_reset_hash")
        batch_op.drop_column("password_reset_expires_at")
        batch_op.drop_column("password_reset_hash")
        batch_op.drop_column("must_change_password")
