"""Completions of programmes: from a cohort (rule 5), or recorded by an admin's decision."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.completions.rules import CompletionSource
from app.db import Base, UTCDateTime, one_of


class Completion(Base):
    """An official's completion of a programme: from a cohort, or recorded by an admin's decision."""

    __tablename__ = "completions"
    __table_args__ = (
        CheckConstraint(one_of("source", CompletionSource), name="source"),
        Index("ix_completions_official_programme", "official_id", "programme_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="RESTRICT"))
    completed_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolments.id", ondelete="RESTRICT"), unique=True)
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
