"""Cohorts of a programme, their sessions, and the officials enrolled in them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.cohorts.rules import CohortState, EnrolmentStatus, SessionMode
from app.db import Base, UTCDateTime, one_of


class Cohort(Base):
    """One run of a programme; it keeps the completion rules it was opened under."""

    __tablename__ = "cohorts"
    __table_args__ = (
        CheckConstraint(one_of("state", CohortState), name="state"),
        CheckConstraint("end_date >= start_date", name="end_after_start"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        Index("ix_cohorts_programme_dates", "programme_id", "start_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    capacity: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    location: Mapped[str | None] = mapped_column(String(300))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    coordinator_name: Mapped[str | None] = mapped_column(String(200))
    coordinator_email: Mapped[str | None] = mapped_column(String(254))
    # The rules the cohort runs under, copied from the programme when it is created.
    min_attendance_pct: Mapped[int] = mapped_column(Integer)
    late_credit_pct: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CohortAssessment(Base):
    """A required assessment of a cohort, copied from its programme when the cohort was created."""

    __tablename__ = "cohort_assessments"
    __table_args__ = (Index("uq_cohort_assessments_code", "cohort_id", "code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    title_he: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))


class CohortSession(Base):
    """A dated meeting of a cohort."""

    __tablename__ = "cohort_sessions"
    __table_args__ = (
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint(one_of("mode", SessionMode), name="mode"),
        Index("ix_cohort_sessions_cohort_date", "cohort_id", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="RESTRICT"))
    date: Mapped[date]
    hours: Mapped[float] = mapped_column(Float)
    title: Mapped[str | None] = mapped_column(String(300))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("programme_modules.id", ondelete="SET NULL"))
    mode: Mapped[str] = mapped_column(String(20), default=SessionMode.IN_PERSON)
    location: Mapped[str | None] = mapped_column(String(300))
    # How many times the session was moved: the SEQUENCE of its calendar event (its .ics), so a calendar that
    # holds it takes the latest.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Enrolment(Base):
    """An official in a cohort: enrolled, waitlisted (in order), withdrawn, completed or not completed."""

    __tablename__ = "enrolments"
    __table_args__ = (
        CheckConstraint(one_of("status", EnrolmentStatus), name="status"),
        CheckConstraint(
            f"(status = '{EnrolmentStatus.WAITLISTED}') = (waitlist_position IS NOT NULL)", name="waitlist_position"
        ),
        Index("uq_enrolments_cohort_official", "cohort_id", "official_id", unique=True),
        Index("ix_enrolments_official", "official_id"),
        Index("ix_enrolments_cohort_status", "cohort_id", "status"),
        Index("ix_enrolments_official_seat", "official_id", "seated_on", "ended_on", "cohort_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="RESTRICT"))
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    requirement_id: Mapped[int | None] = mapped_column(ForeignKey("requirements.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    enrolled_on: Mapped[date]
    # The day the official got a seat (at once, or when promoted from the waitlist); never, for the waitlisted.
    seated_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    attended_hours: Mapped[float | None] = mapped_column(Float)
    completed_on: Mapped[date | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    moved_to_enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
