"""preferred language: the language a user chose for the web pages (he or en), remembered across browsers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("preferred_language", sa.String(length=2), nullable=True))
        batch.create_check_constraint(op.f("ck_users_preferred_language"), "preferred_language IN ('he', 'en')")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_preferred_language"), type_="check")
        batch.drop_column("preferred_language")
