"""the knowledge centre: documents, links and notes with their tags and visibility, a searchable normal form of
their words, and documents' bytes in a table of their own

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title_he", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("role_code", sa.String(length=60), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_type", sa.String(length=100), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("is_minutes", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind <> 'document' OR file_name IS NOT NULL", name=op.f("ck_knowledge_items_document_has_file")
        ),
        sa.CheckConstraint("kind <> 'link' OR url IS NOT NULL", name=op.f("ck_knowledge_items_link_has_url")),
        sa.CheckConstraint("kind <> 'note' OR body IS NOT NULL", name=op.f("ck_knowledge_items_note_has_body")),
        sa.CheckConstraint("kind IN ('document', 'link', 'note')", name=op.f("ck_knowledge_items_kind")),
        sa.CheckConstraint("language IN ('he', 'en')", name=op.f("ck_knowledge_items_language")),
        sa.CheckConstraint(
            "visibility = 'public' OR community_id IS NOT NULL", name=op.f("ck_knowledge_items_circle_has_community")
        ),
        sa.CheckConstraint("visibility IN ('public', 'wider', 'core')", name=op.f("ck_knowledge_items_visibility")),
        sa.CheckConstraint(
            "meeting_id IS NULL OR community_id IS NOT NULL", name=op.f("ck_knowledge_items_meeting_has_community")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_knowledge_items_community_id_communities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_knowledge_items_created_by_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["community_meetings.id"],
            name=op.f("fk_knowledge_items_meeting_id_community_meetings"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["role_code"], ["roles.code"], name=op.f("fk_knowledge_items_role_code_roles"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_items")),
    )
    with op.batch_alter_table("knowledge_items", schema=None) as batch_op:
        batch_op.create_index("ix_knowledge_items_community", ["community_id", "created_at"], unique=False)
        batch_op.create_index("ix_knowledge_items_created", ["created_at"], unique=False)
        batch_op.create_index("ix_knowledge_items_meeting", ["meeting_id"], unique=False)
        batch_op.create_index(
            "uq_knowledge_items_minutes",
            ["meeting_id"],
            unique=True,
            sqlite_where=sa.text("is_minutes"),
            postgresql_where=sa.text("is_minutes"),
        )

    op.create_table(
        "knowledge_files",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["knowledge_items.id"],
            name=op.f("fk_knowledge_files_item_id_knowledge_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_knowledge_files")),
    )


def downgrade() -> None:
    op.drop_table("knowledge_files")
    with op.batch_alter_table("knowledge_items", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_knowledge_items_minutes", sqlite_where=sa.text("is_minutes"), postgresql_where=sa.text("is_minutes")
        )
        batch_op.drop_index("ix_knowledge_items_meeting")
        batch_op.drop_index("ix_knowledge_items_created")
        batch_op.drop_index("ix_knowledge_items_community")

    op.drop_table("knowledge_items")
