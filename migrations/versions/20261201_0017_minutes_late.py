"""minutes late on a late arrival: it then counts for the time attended instead of the cohort's late share

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attendance_records") as batch:
        batch.add_column(sa.Column("minutes_late", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_attendance_records_minutes_late"),
            "minutes_late IS NULL OR (status = 'late' AND minutes_late >= 1)",
        )


def downgrade() -> None:
    with op.batch_alter_table("attendance_records") as batch:
        batch.drop_constraint(op.f("ck_attendance_records_minutes_late"), type_="check")
        batch.drop_column("minutes_late")
