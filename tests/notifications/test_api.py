"""The JSON routes of mail: a person's own choices (and what they change in the messages queued next), and the
admins' outbox: its list and filters, one message, a resend. Queueing asks the worker to send after the commit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import now_utc
from app.notifications.models import MailPreference, OutboxMessage
from app.notifications.rules import KINDS, Kind
from app.notifications.service import NewMessage, Recipient, queue_messages
from tests.conftest import Queue
from tests.factories import ENROLMENT_MAIL, MAIL_ERROR, headers, make_message, make_official, make_user


def _queue(db: Session, key: str, email: str = "dana@example.org", state: str = "queued") -> OutboxMessage:
    return make_message(db, key=key, email=email, state=state)


def test_a_person_chooses_the_language_and_opts_out_of_optional_mail_for_every_address_of_theirs(
    db: Session, client: TestClient
) -> None:
    official = make_official(db, email="dana.home@example.org")
    user = make_user(db, "official", official=official, email="dana.work@example.org")
    mine = client.get("/api/v1/me/mail-preferences", headers=headers(user))
    assert mine.status_code == 200
    assert mine.json() == {"email": "dana.work@example.org", "language": "he", "optional_mail": True}

    put = client.put(
        "/api/v1/me/mail-preferences", headers=headers(user), json={"language": "en", "optional_mail": False}
    )
    assert put.status_code == 200 and put.json()["language"] == "en" and put.json()["optional_mail"] is False
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "mail_preference")).all()
    assert {e.entity_id for e in events} == {"dana.work@example.org", "dana.home@example.org"}

    # The next messages to either address are in English.
    queue_messages(
        db,
        [
            NewMessage(kind="enrolment", key="k:1", to=Recipient(email="Dana.Home@example.org", name="Dana"),
                       context=ENROLMENT_MAIL),
        ],
    )  # fmt: skip
    row = db.scalars(select(OutboxMessage).where(OutboxMessage.key == "k:1")).one()
    assert row.language == "en" and row.subject.startswith("You are enrolled")

    again = client.put(
        "/api/v1/me/mail-preferences", headers=headers(user), json={"language": "he", "optional_mail": False}
    )
    assert again.json()["language"] == "he"
    bad = client.put("/api/v1/me/mail-preferences", headers=headers(user), json={"language": "fr", "optional_mail": 1})
    assert bad.status_code == 422 and bad.json()["field"] == "language"


def test_the_outbox_lists_messages_newest_first_filtered_and_paged(db: Session, client: TestClient) -> None:
    admin = make_user(db, "admin")
    _queue(db, "list:1", email="avi@example.org", state="sent")
    _queue(db, "list:2", email="dana@example.org", state="failed")
    _queue(db, "list:3", email="dana@example.org")
    everything = client.get("/api/v1/outbox", headers=headers(admin)).json()
    assert [m["key"] for m in everything["items"]][:3] == ["list:3", "list:2", "list:1"]
    failed = client.get("/api/v1/outbox?state=failed", headers=headers(admin)).json()
    assert [m["key"] for m in failed["items"]] == ["list:2"] and failed["total"] == 1
    assert failed["items"][0]["last_error"] == MAIL_ERROR
    assert "body_html" not in failed["items"][0]
    to_dana = client.get("/api/v1/outbox?recipient=DANA@&kind=enrolment&limit=1", headers=headers(admin)).json()
    assert to_dana["total"] == 2 and len(to_dana["items"]) == 1
    assert client.get("/api/v1/outbox?state=lost", headers=headers(admin)).status_code == 422


def test_one_message_as_it_is_sent(db: Session, client: TestClient) -> None:
    admin = make_user(db, "admin")
    row = _queue(db, "one:1")
    got = client.get(f"/api/v1/outbox/{row.id}", headers=headers(admin))
    assert got.status_code == 200
    body = got.json()
    assert body["subject"] == "נרשמת להכשרת גזברים" and 'dir="rtl"' in body["body_html"]
    assert "שלום דנה כהן," in body["body_text"] and body["attachments"] == [] and body["tries"] == []
    missing = client.get("/api/v1/outbox/987654321", headers=headers(admin))
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_a_failed_message_is_queued_again_and_a_sent_one_again_as_a_new_message(
    db: Session, client: TestClient, queue: Queue
) -> None:
    admin = make_user(db, "admin")
    failed, sent, waiting = _queue(db, "r:1", state="failed"), _queue(db, "r:2", state="sent"), _queue(db, "r:3")
    again = client.post(f"/api/v1/outbox/{failed.id}/resend", headers=headers(admin))
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["state"], again.json()["attempts"]) == (failed.id, "queued", 0)

    copy = client.post(f"/api/v1/outbox/{sent.id}/resend", headers=headers(admin))
    assert copy.status_code == 200
    new = copy.json()
    assert new["id"] != sent.id and new["key"].startswith("r:2#resend-") and new["state"] == "queued"
    assert new["subject"] == sent.subject
    db.refresh(sent)
    assert sent.state == "sent"

    refused = client.post(f"/api/v1/outbox/{waiting.id}/resend", headers=headers(admin))
    assert refused.status_code == 409 and refused.json()["error"] == "not_resendable"
    actions = db.execute(
        select(AuditEvent.action, AuditEvent.entity_id).where(AuditEvent.entity_type == "outbox_message")
    ).all()
    assert sorted(actions) == sorted([("resend", str(failed.id)), ("create", str(new["id"]))])
    assert ("notifications.send_outbox", ()) in queue.jobs()  # the worker is asked once the resend is committed


def test_queueing_asks_the_worker_to_send_once_committed_and_only_for_mail_that_goes(
    db: Session, queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    _queue(db, "job:1")
    assert queue.jobs() == []  # not before the commit
    db.commit()
    assert queue.jobs() == [("notifications.send_outbox", ())]
    queue.huey.flush()
    monkeypatch.setitem(KINDS, "enrolment", Kind(optional=True))
    db.add(MailPreference(email="out@example.org", optional_mail=False, updated_at=now_utc()))
    _queue(db, "job:2", email="out@example.org")  # suppressed: nothing to send
    db.commit()
    assert queue.jobs() == []
