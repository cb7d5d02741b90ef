"""Mail in a real browser: an admin sees on the school's home that a message failed, finds it in the outbox with its
error, opens it (its HTML as sent, its text) and resends it; the previews of every kind of message in Hebrew and in
English; an official opts out of optional mail on /me/mail, and someone not signed in follows an unsubscribe link.
Each page checked by axe-core in both languages and photographed (`check_page`)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import create_engine, make_url, select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.notifications.models import MailPreference, OutboxMessage
from app.notifications.rules import unsubscribe_token
from app.notifications.service import Attachment, NewMessage, Recipient, queue_messages
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_admin_registry import _sign_in_admin
from tests.browser.test_journeys import _click, _sign_in, _submit
from tests.factories import ENROLMENT_MAIL, make_user

pytestmark = pytest.mark.browser

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def _engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine(make_url(url))


def _seed(database_url: str) -> tuple[str, str, int]:
    """An admin of the outbox's own, an official, and two messages: one sent, one given up after its last try."""
    engine = _engine(database_url)
    tag = random.randrange(10**6)
    try:
        with Session(engine) as db, db.begin():
            admin = make_user(db, "admin", email=f"outbox{tag}@browser.example")
            official = make_user(db, "official", email=f"mail{tag}@browser.example")
            to = Recipient(email="dana.cohen@example.org", name="דנה כהן")
            queue_messages(
                db,
                [
                    NewMessage(kind="enrolment", key=f"browser:{tag}:sent", to=to, context=ENROLMENT_MAIL),
                    NewMessage(
                        kind="enrolment",
                        key=f"browser:{tag}:failed",
                        to=Recipient(email="avi.levi@example.org", name="אבי לוי"),
                        context=ENROLMENT_MAIL | {"status": "waitlisted"},
                        attachments=[Attachment(filename="session.ics", content_type="text/calendar", content=ICS)],
                    ),
                ],
            )
            rows = {r.key.rsplit(":", 1)[1]: r for r in db.scalars(select(OutboxMessage).where(
                OutboxMessage.key.like(f"browser:{tag}:%")))}  # fmt: skip
            rows["sent"].state, rows["sent"].attempts = "sent", 1
            rows["sent"].sent_at = rows["sent"].created_at
            failed = rows["failed"]
            failed.state, failed.attempts = "failed", 8
            failed.last_error = "550 5.1.1 <avi.levi@example.org>: mailbox unavailable"
            db.flush()
            return admin.email, official.email, failed.id
    finally:
        engine.dispose()


def _message(database_url: str, message_id: int) -> tuple[str, int]:
    engine = _engine(database_url)
    try:
        with Session(engine) as db:
            row = db.get(OutboxMessage, message_id)
            assert row is not None
            return row.state, row.attempts
    finally:
        engine.dispose()


def _preference(database_url: str, email: str) -> tuple[str | None, bool] | None:
    engine = _engine(database_url)
    try:
        with Session(engine) as db:
            row = db.get(MailPreference, email)
            return None if row is None else (row.language, row.optional_mail)
    finally:
        engine.dispose()


def test_an_admin_sees_a_failed_message_resends_it_and_previews_every_kind(page, server):
    admin, _official, failed_id = _seed(server.database_url)
    _sign_in_admin(page, admin)

    page.goto("/admin")
    mail = page.locator("section[data-todo='failed_mail']")
    assert int(mail.locator("[data-count]").get_attribute("data-count") or 0) >= 1
    _click(page, mail.get_by_role("link"))
    assert page.url.endswith("/admin/outbox?state=failed")
    row = page.locator(f"tr[data-message='{failed_id}']")
    assert "mailbox unavailable" in row.inner_text() and "נכשלה" in row.inner_text()
    assert page.locator("[data-smtp='off']").is_visible()  # no mail server in the tests: the page says so
    check_in_both_languages(page, "admin-outbox")

    _click(page, row.get_by_role("link"))
    assert page.locator("[data-last-error]").inner_text().startswith("550 5.1.1")
    frame = page.frame_locator("iframe.mail-frame")
    assert "רשימת ההמתנה" in frame.locator("body").inner_text()  # the HTML as it is sent
    assert "שלום אבי לוי," in page.locator("pre.mail-text").inner_text()
    check_in_both_languages(page, "admin-outbox-message")
    _click(page, page.get_by_role("button", name="שליחה מחדש"))
    assert "ההודעה נכנסה לתור" in page.locator(".notice").inner_text()
    assert page.locator("[data-mail-state]").first.get_attribute("data-mail-state") == "queued"
    assert _message(server.database_url, failed_id) == ("queued", 0)
    check_page(page, "admin-outbox-resent")

    page.goto("/admin/outbox/previews")
    check_in_both_languages(page, "admin-outbox-previews")
    _click(page, page.locator("tr[data-kind='enrolment']").get_by_role("link", name="English"))
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("[data-subject]").inner_text().startswith("You are enrolled in")
    assert "10 January 2027" in page.frame_locator("iframe.mail-frame").locator("body").inner_text()
    check_page(page, "admin-outbox-preview")
    page.goto("/admin/outbox/previews/enrolment?lang=he")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("[data-subject]").inner_text().startswith("נרשמת ל")
    assert "10 בינואר 2027" in page.frame_locator("iframe.mail-frame").locator("body").inner_text()
    check_page(page, "admin-outbox-preview")


def test_an_official_opts_out_of_optional_mail_and_a_link_unsubscribes_without_signing_in(page, server):
    _admin, official, _failed = _seed(server.database_url)
    page.goto("/login")
    _sign_in(page, official)
    _click(page, page.get_by_role("link", name="הדואר שלי"))
    assert "תזכורות על מועדי ההכשרות שחובה להשלים יישלחו תמיד" in page.locator("main").inner_text()
    check_in_both_languages(page, "me-mail")
    page.get_by_label("אנגלית (English)").check()
    page.get_by_label("לא, רק הודעות חובה").check()
    _submit(page)
    assert "הבחירות נשמרו" in page.locator(".notice").inner_text()
    assert page.get_by_label("לא, רק הודעות חובה").is_checked()
    assert _preference(server.database_url, official) == ("en", False)
    check_page(page, "me-mail-saved")

    page.context.clear_cookies()
    token = unsubscribe_token("dana.cohen@example.org", secret=_secret(server))
    page.goto(f"/unsubscribe/{token}")
    assert "dana.cohen@example.org" in page.locator("main").inner_text()
    check_in_both_languages(page, "unsubscribe")
    _click(page, page.get_by_role("button", name="הפסקת ההודעות שאינן חובה"))
    assert "לא יישלחו עוד הודעות שאינן חובה" in page.locator("h1").inner_text()
    assert _preference(server.database_url, "dana.cohen@example.org") == ("he", False)
    check_page(page, "unsubscribe-done")
    page.goto("/unsubscribe/not-a-real-link")
    assert "הקישור אינו תקין" in page.locator("h1").inner_text()
    check_page(page, "unsubscribe-invalid")


def _secret(server) -> str:  # type: ignore[no-untyped-def]
    """The secret the server signs with: the tests' LMS_SECRET_KEY, which its environment inherits."""
    return get_settings().resolved_secret_key()
