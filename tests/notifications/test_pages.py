"""The pages of mail: a person's choices (/me/mail), the unsubscribe link without signing in (and a mail program's
one-click request), the admins' outbox with its failures, one message as sent and its resend, the previews of
every kind in both languages, and the count of failed mail on the school's home."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import now_utc
from app.config import get_settings
from app.notifications.models import MailPreference, OutboxMessage
from app.notifications.rules import KINDS, Kind, unsubscribe_token
from tests.factories import MAIL_ERROR, make_message, make_user, sign_in

ORIGIN = {"Origin": "http://testserver"}


def _failed(db: Session, key: str = "pages:1") -> OutboxMessage:
    return make_message(db, key=key, state="failed")


def _token(email: str) -> str:
    return unsubscribe_token(email, secret=get_settings().resolved_secret_key())


def test_an_official_chooses_english_and_no_optional_mail_on_my_mail(db: Session, client: TestClient) -> None:
    user = make_user(db, "official", email="dana@test.example")
    csrf = sign_in(db, client, user).csrf_token
    page = client.get("/me/mail")
    assert page.status_code == 200
    assert 'href="/me/mail" aria-current="page"' in page.text  # in the navigation
    assert 'name="language" value="he" id="language" checked' in page.text
    assert 'value="true" id="optional_mail" checked' in page.text
    assert "תזכורות על מועדי ההכשרות שחובה להשלים יישלחו תמיד" in page.text

    missing = client.post("/me/mail", data={"csrf_token": csrf, "language": "en"}, headers=ORIGIN)
    assert missing.status_code == 422 and "יש לבחור אם לקבל הודעות שאינן חובה" in missing.text
    assert 'href="#optional_mail"' in missing.text  # the error summary links to the field

    saved = client.post(
        "/me/mail",
        data={"csrf_token": csrf, "language": "en", "optional_mail": "false"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/me/mail?notice=mail_saved"
    choice = db.get(MailPreference, "dana@test.example")
    assert choice is not None and (choice.language, choice.optional_mail) == ("en", False)
    english = client.get("/me/mail?notice=mail_saved&lang=en").text
    assert "Your choices are saved." in english and 'value="en" id="language-en" checked' in english
    assert "Reminders of the deadlines of mandatory trainings are always sent" in english


def test_the_unsubscribe_link_asks_first_then_stops_optional_mail_without_signing_in(
    db: Session, client: TestClient
) -> None:
    token = _token("Dana@Example.org")
    asked = client.get(f"/unsubscribe/{token}")
    assert asked.status_code == 200
    assert "dana@example.org" in asked.text and f'action="/unsubscribe/{token}"' in asked.text
    assert db.get(MailPreference, "dana@example.org") is None  # opening the link changes nothing

    done = client.post(f"/unsubscribe/{token}")
    assert done.status_code == 200 and "לא יישלחו עוד הודעות שאינן חובה" in done.text
    choice = db.get(MailPreference, "dana@example.org")
    assert choice is not None and choice.optional_mail is False and choice.language == "he"
    event = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "mail_preference")).one()
    assert event.actor_label == "unsubscribe link <dana@example.org>"


def test_a_mail_programs_one_click_request_unsubscribes(db: Session, client: TestClient) -> None:
    db.add(MailPreference(email="john@example.org", language="en", optional_mail=True, updated_at=now_utc()))
    db.flush()
    answer = client.post(
        f"/unsubscribe/{_token('john@example.org')}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    choice = db.get(MailPreference, "john@example.org")
    assert choice is not None and (choice.language, choice.optional_mail) == ("en", False)  # the language stays


@pytest.mark.parametrize("token", ["not-a-token", "ZGFuYUBleGFtcGxlLm9yZw.forged", "%E2%80%8F.x"])
def test_a_bad_unsubscribe_link_is_a_clear_404_page(client: TestClient, token: str) -> None:
    for answer in (client.get(f"/unsubscribe/{token}"), client.post(f"/unsubscribe/{token}")):
        assert answer.status_code == 404
        assert "הקישור אינו תקין" in answer.text and "<html" in answer.text


def test_an_overlong_unsubscribe_link_is_refused_at_its_field(client: TestClient) -> None:
    assert client.get(f"/unsubscribe/{'a' * 700}").status_code == 422


def test_an_altered_address_in_the_link_is_refused(db: Session, client: TestClient) -> None:
    token = _token("dana@example.org")
    other = _token("avi@example.org").split(".")[0] + "." + token.split(".")[1]
    assert client.post(f"/unsubscribe/{other}").status_code == 404
    assert db.get(MailPreference, "avi@example.org") is None


def test_an_admin_sees_a_failed_message_and_its_error_and_resends_it(db: Session, client: TestClient) -> None:
    failed = _failed(db)
    csrf = sign_in(db, client, make_user(db, "admin")).csrf_token
    listing = client.get("/admin/outbox?state=failed")
    assert listing.status_code == 200
    assert f'data-message="{failed.id}"' in listing.text and 'data-mail-state="failed"' in listing.text
    assert MAIL_ERROR in listing.text
    assert 'data-smtp="off"' in listing.text  # no SMTP server in the tests: the page says nothing is sent
    assert client.get("/admin/outbox?state=lost").status_code == 422

    one = client.get(f"/admin/outbox/{failed.id}")
    assert one.status_code == 200
    assert "נרשמת להכשרת גזברים" in one.text and 'data-attempts="8"' in one.text
    assert f'src="/admin/outbox/{failed.id}/body.html"' in one.text and "sandbox" in one.text
    assert "שלום דנה כהן," in one.text  # the plain text, as sent
    body = client.get(f"/admin/outbox/{failed.id}/body.html")
    assert body.status_code == 200 and body.text == failed.body_html
    assert "sandbox" in body.headers["content-security-policy"]
    assert body.headers["x-frame-options"] == "SAMEORIGIN"

    resent = client.post(
        f"/admin/outbox/{failed.id}/resend", data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=False
    )
    assert resent.status_code == 303
    assert resent.headers["location"] == f"/admin/outbox/{failed.id}?notice=message_resent"
    db.refresh(failed)
    assert (failed.state, failed.attempts) == ("queued", 0)
    again = client.post(f"/admin/outbox/{failed.id}/resend", data={"csrf_token": csrf}, headers=ORIGIN)
    assert again.status_code == 409  # waiting already


def test_the_previews_show_every_kind_in_hebrew_and_in_english(
    db: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(db, client, make_user(db, "admin"))
    listing = client.get("/admin/outbox/previews").text
    for kind in KINDS:
        assert f'data-kind="{kind}"' in listing and f"/admin/outbox/previews/{kind}?lang=en" in listing
    hebrew = client.get("/admin/outbox/previews/enrolment?lang=he")
    assert hebrew.status_code == 200 and '<html lang="he" dir="rtl">' in hebrew.text
    assert "נרשמת להכשרת מנהלי כספים" in hebrew.text and "10 בינואר 2027" in hebrew.text
    english = client.get("/admin/outbox/previews/enrolment?lang=en")
    assert '<html lang="en" dir="ltr">' in english.text and "You are enrolled in" in english.text
    frame = client.get("/admin/outbox/previews/enrolment/body.html?language=en").text
    assert 'dir="ltr"' in frame and "10 January 2027" in frame
    assert client.get("/admin/outbox/previews/no_such_kind").status_code == 404

    monkeypatch.setitem(KINDS, "enrolment", Kind(optional=True, example=KINDS["enrolment"].example))
    optional = client.get("/admin/outbox/previews/enrolment/body.html?language=he").text
    assert "/unsubscribe/" in optional  # an optional kind's footer carries the way out


def test_the_school_home_counts_failed_mail(db: Session, client: TestClient) -> None:
    sign_in(db, client, make_user(db, "admin"))
    _failed(db, "home:1")
    _failed(db, "home:2")
    html = client.get("/admin").text
    section = html.split('data-todo="failed_mail"')[1].split("</section>")[0]
    assert 'data-count="2"' in section and 'href="/admin/outbox?state=failed"' in section
