"""The graduates directory: a profile per graduate who joined it (or left it), and what they chose to show."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class GraduateProfile(Base):
    """A graduate's place in the directory: whether they are in it (since when, or when they left), the contact
    details they chose to show (an email entered, or else the one on their record; a phone entered), and a short line
    about themselves. A graduate with no row, or `opted_in` false, appears nowhere."""

    __tablename__ = "graduate_profiles"
    __table_args__ = (
        CheckConstraint("NOT opted_in OR opted_in_on IS NOT NULL", name="joined_on_date"),
        CheckConstraint("NOT show_phone OR phone IS NOT NULL", name="shown_phone_given"),
        Index("ix_graduate_profiles_opted_in", "opted_in"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"), unique=True)
    opted_in: Mapped[bool]
    opted_in_on: Mapped[date | None]
    opted_out_on: Mapped[date | None]
    show_email: Mapped[bool]
    email: Mapped[str | None] = mapped_column(String(254))
    show_phone: Mapped[bool]
    phone: Mapped[str | None] = mapped_column(String(20))
    about: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
