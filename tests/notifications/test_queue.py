"""Queueing a message: written to the outbox in its recipient's language, once per key whatever the reruns;
kept as suppressed, never sent, when its kind is optional and its recipient opted out."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import now_utc
from app.notifications.models import MailPreference, OutboxMessage
from app.notifications.rules import KINDS, Kind
from app.notifications.service import NewMessage, Recipient, queue_message, queue_messages
from app.officials.selectors import recipients_of
from tests.factories import make_official

ENROLMENT = {"programme": "הכשרת גזברים", "cohort": "מחזור א׳", "starts_on": date(2027, 1, 10), "status": "enrolled"}


def _message(key: str, email: str = "dana@example.org", **context: object) -> NewMessage:
    return NewMessage(kind="enrolment", key=key, to=Recipient(email=email, name="דנה כהן"), context=ENROLMENT | context)


def test_a_message_is_queued_once_per_key(db: Session) -> None:
    assert queue_message(db, _message("enrolment:1")) is True
    assert queue_message(db, _message("enrolment:1")) is False
    assert queue_messages(db, [_message("enrolment:1"), _message("enrolment:2"), _message("enrolment:2")]) == 1
    rows = db.scalars(select(OutboxMessage).order_by(OutboxMessage.key)).all()
    assert [(r.key, r.state, r.attempts) for r in rows] == [("enrolment:1", "queued", 0), ("enrolment:2", "queued", 0)]


def test_a_message_is_written_in_its_recipients_language(db: Session) -> None:
    db.add(MailPreference(email="john@example.org", language="en", optional_mail=True, updated_at=now_utc()))
    db.flush()
    queue_messages(db, [_message("he:1"), _message("en:1", email="John@Example.org")])
    hebrew, english = (db.scalar(select(OutboxMessage).where(OutboxMessage.key == k)) for k in ("he:1", "en:1"))
    assert hebrew is not None and english is not None
    assert hebrew.language == "he" and hebrew.subject == "נרשמת להכשרת גזברים"
    assert 'dir="rtl"' in hebrew.body_html and "10 בינואר 2027" in hebrew.body_text
    assert "שלום דנה כהן," in hebrew.body_text
    assert english.language == "en" and english.subject == "You are enrolled in הכשרת גזברים"
    assert 'dir="ltr"' in english.body_html and "10 January 2027" in english.body_text


def test_optional_mail_to_someone_who_opted_out_is_kept_but_never_sent(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KINDS, "enrolment", Kind(optional=True))
    db.add(MailPreference(email="dana@example.org", optional_mail=False, updated_at=now_utc()))
    db.flush()
    queue_message(db, _message("optional:1"))
    row = db.scalar(select(OutboxMessage).where(OutboxMessage.key == "optional:1"))
    assert row is not None and row.state == "suppressed" and row.optional


def test_english_mail_greets_an_official_by_their_english_name_where_the_record_has_one(db: Session) -> None:
    named = make_official(db, email="dana.en@example.org", first_name_en="Dana", last_name_en="Levi")
    hebrew_only = make_official(db, email="rina.he@example.org", first_name_en=None, last_name_en=None)
    reads_hebrew = make_official(db, email="noa.he@example.org", first_name_he="נועה", last_name_he="לוי")
    for email in ("dana.en@example.org", "rina.he@example.org"):
        db.add(MailPreference(email=email, language="en", optional_mail=True, updated_at=now_utc()))
    db.flush()
    to = recipients_of(db, official_ids=[named.id, hebrew_only.id, reads_hebrew.id])
    queue_messages(
        db,
        [NewMessage(kind="enrolment", key=f"name:{r.official_id}", to=r, context=ENROLMENT) for r in to.values()],
    )
    rows = {r.official_id: r for r in db.scalars(select(OutboxMessage).where(OutboxMessage.key.like("name:%")))}
    assert "Hello Dana Levi," in rows[named.id].body_text and rows[named.id].recipient_name == "Dana Levi"
    # No English name on record: the Hebrew one, rather than none.
    assert f"Hello {hebrew_only.first_name_he} {hebrew_only.last_name_he}," in rows[hebrew_only.id].body_text
    # A Hebrew reader is greeted in Hebrew, by the Hebrew name.
    assert "שלום נועה לוי," in rows[reads_hebrew.id].body_text
