"""What the reminders' tests share: an official with an email address who owes a programme, and reading the
outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import now_utc
from app.notifications.models import MailPreference, OutboxMessage
from app.officials.models import Appointment, Official, Requirement
from app.programmes.models import Programme
from tests.factories import make_appointment, make_official, make_programme


@dataclass(frozen=True)
class Owing:
    """An official who owes a programme through one appointment."""

    official: Official
    programme: Programme
    appointment: Appointment
    requirement: Requirement


def owe(
    db: Session, programme: Programme, *, start: date, email: str | None = "dana@example.org", **kw: object
) -> Owing:
    """An official (with the address given) appointed treasurer of Ofakim from `start`, owing the programme."""
    official = make_official(db, email=email, **kw)
    appointment = make_appointment(db, official, start=start)
    requirement = db.scalar(select(Requirement).where(Requirement.appointment_id == appointment.id))
    assert requirement is not None
    return Owing(official, programme, appointment, requirement)


@pytest.fixture
def programme(db: Session) -> Programme:
    return make_programme(db, code="TREAS")


def outbox(db: Session, kind: str | None = None) -> list[OutboxMessage]:
    """The messages queued (of a kind), by key."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.key)
    if kind is not None:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return list(db.scalars(stmt))


def prefer_english(db: Session, email: str) -> None:
    """The owner of the address chose English mail."""
    db.add(MailPreference(email=email.lower(), language="en", optional_mail=True, updated_at=now_utc()))
    db.flush()
