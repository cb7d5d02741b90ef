"""The messages of events, queued in the transaction of the change that causes them, once each, in the recipient's
language: enrolment, the waitlist's promotion, withdrawal, completion with the certificate's link, decisions on
requests, a cohort opening for officials who owe its programme, and sessions (a week and a day before, moved,
cancelled) with their calendar files."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy.orm import Session

from app.attendance.service import cancel_session
from app.auth import operator
from app.clock import today
from app.cohorts.models import Cohort, CohortSession
from app.cohorts.schemas import CohortCreate, CohortUpdate, SessionCreate, SessionMove
from app.cohorts.service import (
    add_session,
    create_cohort,
    enrol_official,
    move_session,
    update_cohort,
    withdraw_enrolment,
)
from app.compliance.service import decide_request, request_extension
from app.hebrew_dates import gregorian_date_he
from app.notifications.models import OutboxMessage
from app.programmes.models import Programme
from app.reminders.service import run_reminders
from tests.factories import headers, make_certified, make_official, make_user, sign_in
from tests.reminders.conftest import outbox, owe, prefer_english

ACTOR = operator("test")


def _cohort(db: Session, programme: Programme, *, code: str = "TREAS-A", capacity: int = 10, **kw: object) -> Cohort:
    start = today() + timedelta(days=20)
    data = CohortCreate(
        programme_code=programme.code,
        code=code,
        start_date=start,
        end_date=start + timedelta(days=30),
        capacity=capacity,
        location="בית הספר, ירושלים",
        **kw,  # type: ignore[arg-type]
    )
    return create_cohort(db, data=data, actor=ACTOR)


def _calendar(message: OutboxMessage) -> Calendar:
    (attachment,) = message.attachments
    assert attachment["filename"].endswith(".ics") and attachment["content_type"].startswith("text/calendar")
    return Calendar.from_ical(attachment["content"])


def test_enrolment_waitlist_promotion_and_withdrawal(db: Session, programme: Programme) -> None:
    cohort = _cohort(db, programme, capacity=1)
    first = owe(db, programme, start=date(2025, 1, 1), email="first@example.org")
    second = owe(db, programme, start=date(2025, 1, 1), email="second@example.org")
    prefer_english(db, "second@example.org")
    seat = enrol_official(db, cohort_id=cohort.id, official_id=first.official.id, actor=ACTOR)
    enrol_official(db, cohort_id=cohort.id, official_id=second.official.id, actor=ACTOR)
    enrolled, waitlisted = sorted(outbox(db, "enrolment"), key=lambda m: m.recipient_email)
    assert enrolled.subject == "נרשמת להכשרת גזברים" and "TREAS-A" in enrolled.body_text
    assert (
        waitlisted.language == "en" and waitlisted.subject == "You are on the waiting list: Treasurers' entry training"
    )
    withdraw_enrolment(db, enrolment_id=seat.id, actor=ACTOR)
    (withdrawal,) = outbox(db, "withdrawal")
    assert withdrawal.recipient_email == "first@example.org" and "בוטלה" in withdrawal.subject
    (promotion,) = outbox(db, "promotion")
    assert promotion.recipient_email == "second@example.org" and promotion.language == "en"
    assert promotion.subject == "A seat is yours: Treasurers' entry training"
    assert len(outbox(db)) == 4


def test_completion_carries_the_certificates_verification_link(db: Session) -> None:
    official = make_official(db, email="done@example.org")
    certified = make_certified(db, official, start=today() - timedelta(days=60))
    (message,) = outbox(db, "completion")
    assert message.recipient_email == "done@example.org"
    assert certified.serial in message.body_text
    assert "/verify/" in message.body_text and message.body_text.count("http") >= 1
    assert message.key.startswith("completion:")


def test_a_decision_on_an_extension_gives_the_new_due_date(db: Session, programme: Programme) -> None:
    owing = owe(db, programme, start=today() - timedelta(days=400))
    new_due = owing.requirement.due_date + timedelta(days=60)
    request = request_extension(
        db, requirement_id=owing.requirement.id, requested_due_date=new_due, reason="illness", actor=ACTOR
    )
    decide_request(db, request_id=request.id, approve=True, note="בהצלחה", decided_on=None, actor=operator("a"))
    (message,) = outbox(db, "decision")
    assert message.subject == "בקשת ההארכה אושרה: הכשרת גזברים"
    assert message.key == f"decision:{request.id}" and "בהצלחה" in message.body_text
    assert gregorian_date_he(new_due) in message.body_text


def test_a_refused_decision_says_the_due_date_stays(db: Session, programme: Programme) -> None:
    owing = owe(db, programme, start=today() - timedelta(days=400), email="x@example.org")
    prefer_english(db, "x@example.org")
    request = request_extension(
        db,
        requirement_id=owing.requirement.id,
        requested_due_date=owing.requirement.due_date + timedelta(days=30),
        reason="busy",
        actor=ACTOR,
    )
    decide_request(db, request_id=request.id, approve=False, note="", decided_on=None, actor=operator("a"))
    (message,) = outbox(db, "decision")
    assert message.subject == "Extension refused: Treasurers' entry training"
    assert "still due on" in message.body_text


def test_a_cohort_opening_tells_those_who_owe_it_and_hold_no_place(
    db: Session, client: TestClient, programme: Programme
) -> None:
    waiting = owe(db, programme, start=date(2025, 1, 1), email="waiting@example.org")
    placed = owe(db, programme, start=date(2025, 1, 1), email="placed@example.org")
    other = _cohort(db, programme, code="TREAS-OTHER")
    enrol_official(db, cohort_id=other.id, official_id=placed.official.id, actor=ACTOR)
    planned = _cohort(db, programme, code="TREAS-B", state="planned")
    assert outbox(db, "cohort_open") == []  # planned: not open yet
    admin = headers(make_user(db, "admin"))
    r = client.patch(f"/api/v1/cohorts/{planned.id}", json={"state": "open"}, headers=admin)
    assert r.status_code == 200, r.text
    (message,) = [m for m in outbox(db, "cohort_open") if "TREAS-B" in m.key or "TREAS-B" in m.body_text]
    assert message.recipient_email == "waiting@example.org" and message.optional
    assert message.key == f"cohort_open:{planned.id}:{waiting.official.id}"
    # Back to planned and open again: nobody is told twice.
    client.patch(f"/api/v1/cohorts/{planned.id}", json={"state": "planned"}, headers=admin)
    client.patch(f"/api/v1/cohorts/{planned.id}", json={"state": "open"}, headers=admin)
    assert len([m for m in outbox(db, "cohort_open") if m.key.startswith(f"cohort_open:{planned.id}:")]) == 1


def test_sessions_a_week_and_a_day_before_then_moved_then_cancelled(db: Session, programme: Programme) -> None:
    cohort = _cohort(db, programme)
    owing = owe(db, programme, start=date(2025, 1, 1), email="s@example.org")
    owe(db, programme, start=date(2025, 1, 1), email="not-enrolled@example.org")
    enrol_official(db, cohort_id=cohort.id, official_id=owing.official.id, actor=ACTOR)
    on = cohort.start_date + timedelta(days=2)
    meeting = add_session(db, cohort_id=cohort.id, data=SessionCreate(date=on, hours=5, location="אולם 3"), actor=ACTOR)
    assert run_reminders(db, as_of=on - timedelta(days=8)).queued["session_reminder"] == 0
    assert run_reminders(db, as_of=on - timedelta(days=7)).queued["session_reminder"] == 1
    assert run_reminders(db, as_of=on - timedelta(days=6)).queued["session_reminder"] == 0  # once
    assert run_reminders(db, as_of=on - timedelta(days=1)).queued["session_reminder"] == 1
    week, day = sorted(outbox(db, "session_reminder"), key=lambda m: m.key, reverse=True)
    assert ":before-7d:" in week.key and ":before-1d:" in day.key and day.optional
    assert week.recipient_email == "s@example.org" and "אולם 3" in week.body_text
    invite = _calendar(week)
    assert str(invite["METHOD"]) == "REQUEST"
    (event,) = invite.walk("VEVENT")
    uid = str(event["UID"])
    assert uid.startswith(f"session-{meeting.id}@") and int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == on and str(event["LOCATION"]) == "אולם 3"

    moved_to = on + timedelta(days=3)
    move_session(db, session_id=meeting.id, data=SessionMove(date=moved_to), actor=ACTOR)
    (moved,) = outbox(db, "session_changed")
    update = _calendar(moved)
    (event,) = update.walk("VEVENT")
    assert str(update["METHOD"]) == "REQUEST" and str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == moved_to
    assert "הוזז" in moved.subject and not moved.optional

    cancel_session(db, session_id=meeting.id, actor=ACTOR)
    cancelled = [m for m in outbox(db, "session_changed") if m.id != moved.id]
    (cancellation,) = cancelled
    calendar = _calendar(cancellation)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2
    assert "בוטל" in cancellation.subject
    assert db.get(CohortSession, meeting.id) is None


def test_a_cancelled_cohort_cancels_its_sessions_in_calendars_and_tells_each_place(
    db: Session, programme: Programme
) -> None:
    cohort = _cohort(db, programme)
    owing = owe(db, programme, start=date(2025, 1, 1), email="c@example.org")
    enrol_official(db, cohort_id=cohort.id, official_id=owing.official.id, actor=ACTOR)
    meeting = add_session(db, cohort_id=cohort.id, data=SessionCreate(date=cohort.start_date, hours=4), actor=ACTOR)
    update_cohort(db, cohort_id=cohort.id, data=CohortUpdate(state="cancelled"), actor=ACTOR)
    (cancellation,) = outbox(db, "session_changed")
    calendar = _calendar(cancellation)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["UID"]).startswith(f"session-{meeting.id}@")
    assert int(event["SEQUENCE"]) == 1
    (withdrawal,) = outbox(db, "withdrawal")
    assert "בוטל, ואיתו הרשמתך" in withdrawal.body_text and "אפשר להירשם למחזור אחר" in withdrawal.body_text


def test_opening_a_cohort_on_its_page_tells_those_who_owe_it(
    db: Session, client: TestClient, programme: Programme
) -> None:
    owing = owe(db, programme, start=date(2025, 1, 1), email="page@example.org")
    planned = _cohort(db, programme, code="TREAS-P", state="planned")
    csrf = sign_in(db, client, make_user(db, "admin")).csrf_token
    fields = {
        "csrf_token": csrf,
        "start_date": planned.start_date.isoformat(),
        "end_date": planned.end_date.isoformat(),
        "capacity": "10",
        "state": "open",
    }
    r = client.post(
        f"/admin/cohorts/{planned.id}/edit",
        data=fields,
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    (message,) = outbox(db, "cohort_open")
    assert message.key == f"cohort_open:{planned.id}:{owing.official.id}" and "TREAS-P" in message.body_text
