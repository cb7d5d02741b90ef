"""Extension and exemption requests of requirements, and the auditors' decisions on them (rule 4)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.compliance.rules import ReasonCode, RequestKind, RequestState
from app.db import Base, UTCDateTime, one_of


class RequirementRequest(Base):
    """A request to extend a requirement's due date or exempt it, and the auditor's decision on it.

    A decision takes effect on its decision date (`decided_on`), which may be in the past, so a report
    as of a date gives the same answer whenever it is run.
    """

    __tablename__ = "requirement_requests"
    __table_args__ = (
        CheckConstraint(one_of("kind", RequestKind), name="kind"),
        CheckConstraint(one_of("state", RequestState), name="state"),
        CheckConstraint("reason_code IS NULL OR " + one_of("reason_code", ReasonCode), name="reason_code"),
        CheckConstraint(
            f"kind <> '{RequestKind.EXTENSION}' OR requested_due_date IS NOT NULL", name="extension_has_date"
        ),
        CheckConstraint(f"kind <> '{RequestKind.EXEMPTION}' OR reason_code IS NOT NULL", name="exemption_has_code"),
        CheckConstraint(f"(state = '{RequestState.PENDING}') = (decided_on IS NULL)", name="decided_when_not_pending"),
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
