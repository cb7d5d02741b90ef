"""The catalogue of programmes: mandatory entry trainings of roles, and advanced trainings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, one_of
from app.programmes.rules import ProgrammeKind


class Programme(Base):
    """A training the school runs in cohorts."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint(one_of("kind", ProgrammeKind), name="kind"),
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint("min_attendance_pct BETWEEN 1 AND 100", name="min_attendance_pct"),
        CheckConstraint("validity_years IS NULL OR validity_years > 0", name="validity_positive"),
        CheckConstraint("late_credit_pct BETWEEN 0 AND 100", name="late_credit_pct"),
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
    late_credit_pct: Mapped[int] = mapped_column(Integer, default=50, server_default="50")
    certificate_text_he: Mapped[str | None] = mapped_column(Text)
    certificate_text_en: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Retired from the catalogue: no new cohort of it is opened; those already opened run on. None: offered.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProgrammeRole(Base):
    """A role a programme is for; for a mandatory programme, a role that owes it."""

    __tablename__ = "programme_roles"

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True)
    role_code: Mapped[str] = mapped_column(ForeignKey("roles.code", ondelete="RESTRICT"), primary_key=True)


class ProgrammeModule(Base):
    """A module of a programme, in order, with its hours."""

    __tablename__ = "programme_modules"
    __table_args__ = (CheckConstraint("hours > 0", name="hours_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title_he: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    hours: Mapped[float] = mapped_column(Float)


class ProgrammeAssessment(Base):
    """An assessment of a programme (e.g. a final project); a required one must be passed to complete."""

    __tablename__ = "programme_assessments"
    __table_args__ = (Index("uq_programme_assessments_code", "programme_id", "code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    title_he: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
