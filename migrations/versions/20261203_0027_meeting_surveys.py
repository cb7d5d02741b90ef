"""the short survey after each meeting: a community's choice, and the meeting a survey asks about

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 00:27:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "after_meeting_surveys",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("enabled_on", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_after_meeting_surveys_community_id_communities"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_after_meeting_surveys")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_surveys_meeting_id"), ["meeting_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_surveys_meeting_id_community_meetings"),
            "community_meetings",
            ["meeting_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_surveys_meeting_id_community_meetings"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_surveys_meeting_id"), type_="unique")
        batch_op.drop_column("meeting_id")
    op.drop_table("after_meeting_surveys")
