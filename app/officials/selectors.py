"""Reading officials, their appointments and the requirements those create."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.officials.models import Appointment, Requirement


def latest_requirement_id(session: Session, *, official_id: int, programme_id: int) -> int | None:
    """The requirement of the programme from the official's latest appointment that owes it, if any."""
    stmt = (
        select(Requirement.id)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .where(Appointment.official_id == official_id, Requirement.programme_id == programme_id)
        .order_by(Appointment.start_date.desc(), Requirement.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)
