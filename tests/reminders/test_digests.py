"""The weekly digests: to each liaison, their authority's overdue requirements, those due within 90 days and the
requests pending; to each admin, sessions without attendance, cohorts to close and messages that failed. One each a
week, on Sunday's run."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.auth import operator
from app.clock import now_utc, today
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.compliance.service import request_extension
from app.notifications.models import OutboxMessage
from app.programmes.models import Programme
from app.reminders.service import DIGEST_WEEKDAY, queue_digests, run_reminders
from tests.factories import make_official, make_user
from tests.reminders.conftest import outbox, owe

ACTOR = operator("test")


def _sunday_on_or_after(day: date) -> date:
    return day + timedelta(days=(DIGEST_WEEKDAY - day.weekday()) % 7)


def test_a_liaison_gets_their_authoritys_week(db: Session, programme: Programme) -> None:
    sunday = _sunday_on_or_after(today())
    overdue = owe(db, programme, start=date(2024, 1, 1), first_name_he="אבי")
    due_soon = owe(db, programme, start=sunday - timedelta(days=700), first_name_he="בתיה")
    pending = owe(db, programme, start=today() - timedelta(days=400), first_name_he="גדי")
    request_extension(
        db,
        requirement_id=pending.requirement.id,
        requested_due_date=pending.requirement.due_date + timedelta(days=30),
        reason="busy",
        actor=ACTOR,
    )
    liaison = make_user(db, "liaison", authority="0031", email="liaison@ofakim.example")
    make_user(db, "liaison", authority="3000", email="liaison@elsewhere.example")
    report = run_reminders(db, as_of=sunday)
    assert report.queued["digest_liaison"] == 2
    (mine,) = [m for m in outbox(db, "digest_liaison") if m.recipient_email == liaison.email]
    assert "אופקים" in mine.subject and mine.optional
    text = mine.body_text
    overdue_part, rest = text.split("מועד ההשלמה בתוך 90 יום", 1)
    soon_part, pending_part = rest.split("בקשות הממתינות להחלטה", 1)
    assert "באיחור: " in overdue_part and overdue.official.first_name_he in overdue_part
    assert due_soon.official.first_name_he in soon_part and overdue.official.first_name_he not in soon_part
    assert pending.official.first_name_he in pending_part
    (elsewhere,) = [m for m in outbox(db, "digest_liaison") if m.recipient_email != liaison.email]
    assert "באיחור: 0" in elsewhere.body_text
    # Once a week: the same week again queues nothing; a weekday run queues no digest.
    assert queue_digests(db, as_of=sunday + timedelta(days=1)).queued["digest_liaison"] == 0
    assert run_reminders(db, as_of=sunday + timedelta(days=2)).due["digest_liaison"] == 0
    assert queue_digests(db, as_of=sunday + timedelta(days=7)).queued["digest_liaison"] == 2


def test_the_admins_get_what_needs_doing(db: Session, programme: Programme) -> None:
    sunday = _sunday_on_or_after(today())
    start = sunday - timedelta(days=3)
    cohort = create_cohort(
        db,
        data=CohortCreate(
            programme_code=programme.code,
            code="TREAS-D",
            start_date=start,
            end_date=start + timedelta(days=30),
            capacity=5,
        ),
        actor=ACTOR,
    )
    add_session(db, cohort_id=cohort.id, data=SessionCreate(date=start, hours=4), actor=ACTOR)
    enrol_official(db, cohort_id=cohort.id, official_id=make_official(db).id, actor=ACTOR)
    db.add(
        OutboxMessage(
            key="failed:1", kind="enrolment", created_at=now_utc(), recipient_email="x@example.org",
            recipient_name="x", language="he", subject="s", body_text="t", body_html="h", attachments=[],
            optional=False, state="failed", attempts=5, next_attempt_at=now_utc(),
        )
    )  # fmt: skip
    admin = make_user(db, "admin", email="admin@school.example")
    report = queue_digests(db, as_of=sunday)
    assert report.queued["digest_admin"] >= 1
    (digest,) = [m for m in outbox(db, "digest_admin") if m.recipient_email == admin.email]
    assert "מפגשים בלי נוכחות: 1" in digest.body_text and "TREAS-D" in digest.body_text
    assert "הודעות שלא נשלחו: 1" in digest.body_text
    assert "/admin" in digest.body_text
