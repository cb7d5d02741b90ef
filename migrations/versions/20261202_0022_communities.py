"""communities of practice and networks of authorities: their members (with history), the authorities of a network,
requests to join, meetings and their attendance

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_he", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('community', 'network')", name=op.f("ck_communities_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communities")),
        sa.UniqueConstraint("code", name=op.f("uq_communities_code")),
    )
    op.create_table(
        "community_authorities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("authority_code", sa.String(length=8), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= joined_on", name=op.f("ck_community_authorities_left_after_joined")
        ),
        sa.ForeignKeyConstraint(
            ["authority_code"],
            ["authorities.code"],
            name=op.f("fk_community_authorities_authority_code_authorities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_community_authorities_community_id_communities"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_authorities")),
    )
    with op.batch_alter_table("community_authorities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_authorities_community_id"), ["community_id"], unique=False)
        batch_op.create_index(
            "uq_community_authorities_current",
            ["community_id", "authority_code"],
            unique=True,
            sqlite_where=sa.text("left_on IS NULL"),
            postgresql_where=sa.text("left_on IS NULL"),
        )

    op.create_table(
        "community_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("starts_at", sa.Time(), nullable=True),
        sa.Column("ends_at", sa.Time(), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("agenda", sa.Text(), nullable=True),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("products", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('in_person', 'online', 'seminar', 'field_tour')", name=op.f("ck_community_meetings_kind")
        ),
        sa.CheckConstraint("end_date IS NULL OR end_date >= date", name=op.f("ck_community_meetings_end_after_start")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_community_meetings_community_id_communities"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_meetings")),
    )
    with op.batch_alter_table("community_meetings", schema=None) as batch_op:
        batch_op.create_index("ix_community_meetings_community_date", ["community_id", "date"], unique=False)
        batch_op.create_index("ix_community_meetings_date", ["date"], unique=False)

    op.create_table(
        "community_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("circle", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("authority_code", sa.String(length=8), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("circle IN ('core', 'wider')", name=op.f("ck_community_members_circle")),
        sa.CheckConstraint("role IN ('member', 'leading_team', 'coordinator')", name=op.f("ck_community_members_role")),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= joined_on", name=op.f("ck_community_members_left_after_joined")
        ),
        sa.ForeignKeyConstraint(
            ["authority_code"],
            ["authorities.code"],
            name=op.f("fk_community_members_authority_code_authorities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_community_members_community_id_communities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_community_members_official_id_officials"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_members")),
    )
    with op.batch_alter_table("community_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_members_community_id"), ["community_id"], unique=False)
        batch_op.create_index("ix_community_members_official", ["official_id"], unique=False)
        batch_op.create_index(
            "uq_community_members_current",
            ["community_id", "official_id"],
            unique=True,
            sqlite_where=sa.text("left_on IS NULL"),
            postgresql_where=sa.text("left_on IS NULL"),
        )

    op.create_table(
        "community_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('present', 'late', 'excused', 'absent')", name=op.f("ck_community_attendance_status")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["community_meetings.id"],
            name=op.f("fk_community_attendance_meeting_id_community_meetings"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_community_attendance_official_id_officials"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_community_attendance_recorded_by_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_attendance")),
    )
    with op.batch_alter_table("community_attendance", schema=None) as batch_op:
        batch_op.create_index("ix_community_attendance_official", ["official_id"], unique=False)
        batch_op.create_index("uq_community_attendance_meeting_official", ["meeting_id", "official_id"], unique=True)

    op.create_table(
        "community_join_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state <> 'refused' OR decision_reason IS NOT NULL",
            name=op.f("ck_community_join_requests_refusal_has_reason"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'accepted', 'refused')", name=op.f("ck_community_join_requests_state")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_community_join_requests_community_id_communities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_community_join_requests_decided_by_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_community_join_requests_official_id_officials"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_join_requests")),
    )
    with op.batch_alter_table("community_join_requests", schema=None) as batch_op:
        batch_op.create_index("ix_community_join_requests_community_state", ["community_id", "state"], unique=False)
        batch_op.create_index("ix_community_join_requests_official", ["official_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("community_join_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_community_join_requests_official")
        batch_op.drop_index("ix_community_join_requests_community_state")

    op.drop_table("community_join_requests")
    with op.batch_alter_table("community_attendance", schema=None) as batch_op:
        batch_op.drop_index("uq_community_attendance_meeting_official")
        batch_op.drop_index("ix_community_attendance_official")

    op.drop_table("community_attendance")
    with op.batch_alter_table("community_members", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_community_members_current",
            sqlite_where=sa.text("left_on IS NULL"),
            postgresql_where=sa.text("left_on IS NULL"),
        )
        batch_op.drop_index("ix_community_members_official")
        batch_op.drop_index(batch_op.f("ix_community_members_community_id"))

    op.drop_table("community_members")
    with op.batch_alter_table("community_meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_community_meetings_date")
        batch_op.drop_index("ix_community_meetings_community_date")

    op.drop_table("community_meetings")
    with op.batch_alter_table("community_authorities", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_community_authorities_current",
            sqlite_where=sa.text("left_on IS NULL"),
            postgresql_where=sa.text("left_on IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_community_authorities_community_id"))

    op.drop_table("community_authorities")
    op.drop_table("communities")
