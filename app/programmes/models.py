"""The catalogue of programmes: mandatory entry trainings of roles, and advanced trainings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class Programme(Base):
    """A training the school runs in cohorts."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("kind IN ('mandatory', 'advanced')", name="kind"),
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint("min_attendance_pct BETWEEN 1 AND 100", name="min_attendance_pct"),
        CheckConstraint("validity_years IS NULL OR validity_years > 0", name="validity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    title_he: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    description_he: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    hours: Mapped[float] = mapped_column(Float)
    min_attendance_pct: Mapped[int] = mapped_column(Integer, default=80)
    validity_years: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProgrammeRole(Base):
    """A role a programme is for; for a mandatory programme, a role that owes it."""

    __tablename__ = "programme_roles"

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True)
    role_code: Mapped[str] = mapped_column(ForeignKey("roles.code", ondelete="RESTRICT"), primary_key=True)
