"""a community meeting's invitations: its calendar sequence, and its cancellation (when and why)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 00:28:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("community_meetings") as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_community_meetings_cancellation_has_reason"), "cancelled_at IS NULL OR cancel_reason IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("community_meetings") as batch_op:
        batch_op.drop_constraint(op.f("ck_community_meetings_cancellation_has_reason"), type_="check")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("sequence")
