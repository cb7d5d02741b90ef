"""Requirements that appointments create, and the completions that satisfy them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class Requirement(Base):
    """What an appointment obliges: the mandatory programme of its role, due 24 months after its start."""

    __tablename__ = "requirements"
    __table_args__ = (Index("uq_requirements_appointment_programme", "appointment_id", "programme_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="RESTRICT"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="RESTRICT"), index=True)
    due_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Completion(Base):
    """An official's completion of a programme: from a cohort, or recorded by an admin's decision."""

    __tablename__ = "completions"
    __table_args__ = (
        CheckConstraint("source IN ('cohort', 'decision', 'import')", name="source"),
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


class RequirementRequest(Base):
    """A request to extend a requirement's due date or exempt it, and the auditor's decision on it.

    A decision takes effect on its decision date (`decided_on`), which may be in the past, so a report
    as of a date gives the same answer whenever it is run.
    """

    __tablename__ = "requirement_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('extension', 'exemption')", name="kind"),
        CheckConstraint("state IN ('pending', 'approved', 'refused')", name="state"),
        CheckConstraint(
            "reason_code IS NULL OR reason_code IN "
            "('equivalent_prior_training', 'acting_appointment', 'short_tenure', 'other')",
            name="reason_code",
        ),
        CheckConstraint("kind <> 'extension' OR requested_due_date IS NOT NULL", name="extension_has_date"),
        CheckConstraint("kind <> 'exemption' OR reason_code IS NOT NULL", name="exemption_has_code"),
        CheckConstraint("(state = 'pending') = (decided_on IS NULL)", name="decided_when_not_pending"),
        Index("ix_requirement_requests_requirement_state", "requirement_id", "state"),
        Index("ix_requirement_requests_state_decided_on", "state", "decided_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    requested_due_date: Mapped[date | None]
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    requested_by_label: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_on: Mapped[date | None]
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decision_note: Mapped[str | None] = mapped_column(Text)
