"""the graduates network: a community of kind `graduates`, and the directory's profiles

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = "kind IN ('community', 'network')"
KINDS_AFTER = "kind IN ('community', 'network', 'graduates')"


def upgrade() -> None:
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_communities_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_communities_kind"), KINDS_AFTER)
    op.create_table(
        "graduate_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("opted_in_on", sa.Date(), nullable=True),
        sa.Column("opted_out_on", sa.Date(), nullable=True),
        sa.Column("show_email", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("show_phone", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("about", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("NOT opted_in OR opted_in_on IS NOT NULL", name=op.f("ck_graduate_profiles_joined_on_date")),
        sa.CheckConstraint("NOT show_phone OR phone IS NOT NULL", name=op.f("ck_graduate_profiles_shown_phone_given")),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_graduate_profiles_official_id_officials"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graduate_profiles")),
        sa.UniqueConstraint("official_id", name=op.f("uq_graduate_profiles_official_id")),
    )
    with op.batch_alter_table("graduate_profiles", schema=None) as batch_op:
        batch_op.create_index("ix_graduate_profiles_opted_in", ["opted_in"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("graduate_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_graduate_profiles_opted_in")
    op.drop_table("graduate_profiles")
    op.execute("DELETE FROM communities WHERE kind = 'graduates'")
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_communities_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_communities_kind"), KINDS_BEFORE)
