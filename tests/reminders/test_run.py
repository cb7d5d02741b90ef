"""A run of the reminders as of a date (what the daily job and `lms reminders run` do): the deadline reminders of
open requirements, once each whatever the reruns; what stops them; the copy of the overdue ones to the liaisons."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.auth import operator
from app.clock import today
from app.compliance.service import decide_request, request_exemption, request_extension
from app.officials.rules import add_months
from app.officials.schemas import AppointmentUpdate
from app.officials.service import update_appointment
from app.programmes.models import Programme
from app.reminders.service import queue_deadline_reminders, run_reminders
from tests.factories import make_completion, make_user
from tests.reminders.conftest import outbox, owe, prefer_english

ACTOR = operator("test")
START = date(2024, 1, 1)  # due on 1 January 2026 (rule 1)
DUE = date(2026, 1, 1)


def test_a_run_queues_the_due_reminder_in_hebrew_once(db: Session, programme: Programme) -> None:
    owing = owe(db, programme, start=START)
    report = run_reminders(db, as_of=date(2025, 10, 3))  # "3 months before" fell on 1 October
    assert report.queued["deadline"] == 1
    (message,) = outbox(db, "deadline")
    assert message.key == f"deadline:{owing.requirement.id}:before-3m:2026-01-01"
    assert message.recipient_email == "dana@example.org" and message.official_id == owing.official.id
    assert message.language == "he" and message.subject == "תזכורת: הכשרת גזברים עד 1 בינואר 2026"
    assert "https://" in message.body_text or "http://" in message.body_text
    assert not message.optional  # the deadline reminders cannot be opted out of
    again = run_reminders(db, as_of=date(2025, 10, 3))
    assert again.due["deadline"] == 1 and again.queued["deadline"] == 0
    assert len(outbox(db, "deadline")) == 1


def test_english_for_who_chose_it(db: Session, programme: Programme) -> None:
    owe(db, programme, start=START, email="John@Example.org")
    prefer_english(db, "john@example.org")
    run_reminders(db, as_of=date(2026, 1, 2))
    (message,) = outbox(db, "deadline")
    assert message.language == "en"
    assert message.subject == "Treasurers' entry training is overdue"
    assert "1 January 2026" in message.body_text


def test_a_clock_jump_sends_the_missed_reminder_once_and_never_a_superseded_one(
    db: Session, programme: Programme
) -> None:
    owe(db, programme, start=START)
    assert sum(queue_deadline_reminders(db, as_of=date(2025, 9, 28)).queued.values()) == 0
    jumped = queue_deadline_reminders(db, as_of=date(2025, 10, 5))  # the worker was down a week
    assert jumped.queued["deadline"] == 1
    assert sum(queue_deadline_reminders(db, as_of=date(2025, 10, 6)).queued.values()) == 0
    assert [m.key.split(":")[2] for m in outbox(db, "deadline")] == ["before-3m"]


def test_the_6_months_reminder_of_a_requirement_2_months_from_due_is_not_sent(
    db: Session, programme: Programme
) -> None:
    owe(db, programme, start=START)
    report = run_reminders(db, as_of=date(2025, 11, 1))
    assert report.due["deadline"] == 0 and outbox(db) == []


def test_an_official_without_an_email_gets_nothing_and_is_counted(db: Session, programme: Programme) -> None:
    owe(db, programme, start=START, email=None)
    report = run_reminders(db, as_of=date(2025, 10, 1))
    assert report.without_email == 1 and outbox(db) == []


def test_the_overdue_ones_are_copied_to_the_authoritys_liaisons(db: Session, programme: Programme) -> None:
    owing = owe(db, programme, start=START)
    liaison = make_user(db, "liaison", authority="0031", email="liaison@ofakim.example")
    make_user(db, "liaison", authority="3000", email="liaison@elsewhere.example")
    assert run_reminders(db, as_of=date(2025, 12, 1)).queued["deadline_liaison"] == 0  # not overdue: no copy
    report = run_reminders(db, as_of=date(2026, 1, 2))
    assert report.queued == {"deadline": 1, "deadline_liaison": 1}
    (copy,) = outbox(db, "deadline_liaison")
    assert copy.recipient_email == liaison.email
    assert copy.key == f"deadline:{owing.requirement.id}:overdue:2026-01-01:liaison:{liaison.id}"
    assert owing.official.first_name_he in copy.subject and "/compliance/authorities/0031" in copy.body_text
    # A month later, still overdue: again, to both.
    assert run_reminders(db, as_of=date(2026, 2, 2)).queued == {"deadline": 1, "deadline_liaison": 1}


def _overdue_today(db: Session, programme: Programme):  # type: ignore[no-untyped-def]
    """An official whose requirement became overdue today (the day after its due date)."""
    start = add_months(today() - timedelta(days=1), -24)
    owing = owe(db, programme, start=start)
    return owing


def test_an_exemption_stops_the_reminders(db: Session, programme: Programme) -> None:
    owing = _overdue_today(db, programme)
    request = request_exemption(
        db, requirement_id=owing.requirement.id, reason_code="other", reason="acting", actor=ACTOR
    )
    decide_request(db, request_id=request.id, approve=True, note="", decided_on=None, actor=operator("auditor"))
    assert run_reminders(db, as_of=today()).due["deadline"] == 0


def test_a_completion_stops_the_reminders(db: Session, programme: Programme) -> None:
    owing = _overdue_today(db, programme)
    make_completion(db, owing.official, programme, on=today())
    assert run_reminders(db, as_of=today()).due["deadline"] == 0


def test_an_ended_appointment_stops_the_reminders(db: Session, programme: Programme) -> None:
    owing = _overdue_today(db, programme)
    update_appointment(
        db,
        appointment_id=owing.appointment.id,
        data=AppointmentUpdate(end_date=today() - timedelta(days=1)),
        actor=ACTOR,
    )
    assert run_reminders(db, as_of=today()).due["deadline"] == 0


def test_an_extension_starts_the_reminders_afresh(db: Session, programme: Programme) -> None:
    owing = _overdue_today(db, programme)
    assert run_reminders(db, as_of=today()).queued["deadline"] == 1  # overdue today
    new_due = today() + timedelta(days=40)
    request = request_extension(
        db, requirement_id=owing.requirement.id, requested_due_date=new_due, reason="illness", actor=ACTOR
    )
    decide_request(db, request_id=request.id, approve=True, note="", decided_on=None, actor=operator("auditor"))
    assert run_reminders(db, as_of=today() + timedelta(days=1)).due["deadline"] == 0  # no longer overdue
    month_before = add_months(new_due, -1)
    report = run_reminders(db, as_of=month_before)
    assert report.queued["deadline"] == 1
    keys = [m.key for m in outbox(db, "deadline")]
    assert f"deadline:{owing.requirement.id}:before-1m:{new_due.isoformat()}" in keys
