"""Attendance at sessions and results of assessments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.attendance.rules import AttendanceStatus
from app.db import Base, UTCDateTime, one_of

MINUTES_LATE_CHECK = f"minutes_late IS NULL OR (status = '{AttendanceStatus.LATE.value}' AND minutes_late >= 1)"


class AttendanceRecord(Base):
    """One official at one session; kept when the official moves to another cohort."""

    __tablename__ = "attendance_records"
    __table_args__ = (
        CheckConstraint(one_of("status", AttendanceStatus), name="status"),
        # Minutes late only on a late arrival, and at least one (their upper bound, the session's length, is the
        # service's: a CHECK cannot read the session).
        CheckConstraint(MINUTES_LATE_CHECK, name="minutes_late"),
        Index("uq_attendance_records_session_official", "session_id", "official_id", unique=True),
        Index("ix_attendance_records_enrolment", "enrolment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cohort_sessions.id", ondelete="RESTRICT"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="RESTRICT"))
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    # How late a late arrival was, when known: it then counts for the time attended, not the cohort's late share.
    minutes_late: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))


class AssessmentResult(Base):
    """Pass or fail (and an optional grade) of one required assessment for one enrolment."""

    __tablename__ = "assessment_results"
    __table_args__ = (
        Index("uq_assessment_results_enrolment_assessment", "enrolment_id", "assessment_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="RESTRICT"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("cohort_assessments.id", ondelete="RESTRICT"))
    passed: Mapped[bool] = mapped_column(Boolean)
    grade: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
