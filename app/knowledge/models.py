"""The knowledge centre: documents, links and notes, tagged and visible to the public, a community's circles or its
core; a document's bytes in a table of their own, so that lists never load them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, one_of
from app.knowledge.rules import ItemKind, Language, Visibility


class KnowledgeItem(Base):
    """A document, a link or a note: its titles, description and tags (field, role, community, meeting, language),
    who sees it, and `search_text`, its words in the one normal form of search (`rules.search_text`). A meeting's
    minutes are filed as one note of that meeting (`is_minutes`), kept in step with them."""

    __tablename__ = "knowledge_items"
    __table_args__ = (
        CheckConstraint(one_of("kind", ItemKind), name="kind"),
        CheckConstraint(one_of("visibility", Visibility), name="visibility"),
        CheckConstraint(one_of("language", Language), name="language"),
        CheckConstraint(f"visibility = '{Visibility.PUBLIC}' OR community_id IS NOT NULL", name="circle_has_community"),
        CheckConstraint("meeting_id IS NULL OR community_id IS NOT NULL", name="meeting_has_community"),
        CheckConstraint(f"kind <> '{ItemKind.LINK}' OR url IS NOT NULL", name="link_has_url"),
        CheckConstraint(f"kind <> '{ItemKind.NOTE}' OR body IS NOT NULL", name="note_has_body"),
        CheckConstraint(f"kind <> '{ItemKind.DOCUMENT}' OR file_name IS NOT NULL", name="document_has_file"),
        # One note of minutes per meeting.
        Index(
            "uq_knowledge_items_minutes",
            "meeting_id",
            unique=True,
            sqlite_where=text("is_minutes"),
            postgresql_where=text("is_minutes"),
        ),
        Index("ix_knowledge_items_community", "community_id", "created_at"),
        Index("ix_knowledge_items_meeting", "meeting_id"),
        Index("ix_knowledge_items_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title_he: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    field: Mapped[str | None] = mapped_column(String(200))
    role_code: Mapped[str | None] = mapped_column(ForeignKey("roles.code", ondelete="RESTRICT"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("community_meetings.id", ondelete="RESTRICT"))
    visibility: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(2000))
    body: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(Integer)
    is_minutes: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KnowledgeFile(Base):
    """The bytes of a document, read only to download it."""

    __tablename__ = "knowledge_files"

    item_id: Mapped[int] = mapped_column(ForeignKey("knowledge_items.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
