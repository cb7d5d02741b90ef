"""Sending the outbox to a real SMTP server (aiosmtpd): each message as it arrives (headers, language, parts, links,
attachments); and the faults it survives: the server down for a while, a refused recipient, two workers at once, a
worker that died holding its batch. None lost, none twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.clock import now_utc
from app.db import get_engine, get_sessionmaker, make_engine
from app.notifications.models import OutboxMessage
from app.notifications.rules import KINDS, Kind, address_of_token, message_id
from app.notifications.selectors import get_message
from app.notifications.sender import claim_due, send_due
from tests.notifications.conftest import DOMAIN, Outbox, ids_of
from tests.notifications.sink import Server, Sink, free_port, settings_for


def test_a_message_arrives_in_its_language_with_both_parts_its_attachment_and_headers(
    outbox: Outbox, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    (mandatory,) = outbox.queue(attach=True)
    monkeypatch.setitem(KINDS, "enrolment", Kind(optional=True))
    (optional_key,) = outbox.queue(email="john@example.org", name="optional")
    report = send_due(settings=server.settings())
    assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
    by_id = {str(m["Message-ID"]): m for m in server.sink.messages}
    assert set(by_id) == ids_of([mandatory, optional_key])

    first = by_id[message_id(mandatory, domain=DOMAIN)]
    assert first["Subject"] == "נרשמת להכשרת גזברים"
    (to,) = first["To"].addresses
    assert (to.display_name, to.addr_spec) == ("דנה כהן", "dana@example.org")
    assert first["From"].addresses[0].addr_spec == "lms@school.example"
    assert first["Content-Language"] == "he" and first["Date"] is not None
    assert first["List-Unsubscribe"] is None  # mandatory mail: no way out of it
    text, html = first.get_body(("plain",)), first.get_body(("html",))
    assert text is not None and html is not None
    assert "שלום דנה כהן," in text.get_content() and "10 בינואר 2027" in text.get_content()
    assert 'dir="rtl"' in html.get_content() and "/unsubscribe/" not in html.get_content()
    (ics,) = list(first.iter_attachments())
    assert ics.get_filename() == "session.ics" and ics.get_content_type() == "text/calendar"
    assert "BEGIN:VCALENDAR" in ics.get_content()

    second = by_id[message_id(optional_key, domain=DOMAIN)]
    link = second["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://localhost:8000/unsubscribe/")
    assert address_of_token(link.rsplit("/", 1)[1], secret="test-secret-key-of-sufficient-length-0123456789") == (
        "john@example.org"
    )
    assert second["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    second_html = second.get_body(("html",))
    assert second_html is not None and f'href="{link}"' in second_html.get_content()

    rows = outbox.rows()
    assert {(r.state, r.attempts, r.claimed_until) for r in rows} == {("sent", 1, None)}
    assert all(r.sent_at is not None for r in rows)


def test_with_no_smtp_server_nothing_is_sent_and_the_messages_wait(outbox: Outbox) -> None:
    outbox.queue(2)
    report = send_due(settings=settings_for(1, smtp_host=""))
    assert not report.configured and report.claimed == 0
    assert [(r.state, r.attempts) for r in outbox.rows()] == [("queued", 0), ("queued", 0)]


def test_with_the_server_down_messages_wait_retry_by_backoff_and_go_once_when_it_is_back(outbox: Outbox) -> None:
    keys = outbox.queue(5)
    down = Server(Sink())  # its port, not listening yet
    settings = settings_for(down.port, outbox_retry_seconds=60, outbox_retry_max_seconds=3600)
    t0 = now_utc()

    first = send_due(settings=settings, now=t0)
    assert (first.sent, first.retrying) == (0, 5)
    rows = outbox.rows()
    assert {(r.state, r.attempts, r.next_attempt_at) for r in rows} == {("queued", 1, t0 + timedelta(seconds=60))}
    assert all(r.last_error and "Connection" in r.last_error for r in rows)

    assert send_due(settings=settings, now=t0 + timedelta(seconds=30)).claimed == 0  # not yet: the backoff
    second = send_due(settings=settings, now=t0 + timedelta(seconds=61))
    assert second.retrying == 5
    t1 = t0 + timedelta(seconds=61)
    assert {(r.attempts, r.next_attempt_at) for r in outbox.rows()} == {(2, t1 + timedelta(seconds=120))}  # doubled

    down.start()
    try:
        back = send_due(settings=settings, now=t1 + timedelta(seconds=121))
        assert back.sent == 5
        assert send_due(settings=settings, now=t1 + timedelta(days=1)).claimed == 0
        assert sorted(down.sink.ids()) == sorted(ids_of(keys))  # every one, once
    finally:
        down.stop()
    assert {(r.state, r.attempts) for r in outbox.rows()} == {("sent", 3)}
    with get_sessionmaker()() as db:  # each try is logged, with the server's error
        tries = get_message(db, message_id=outbox.rows()[0].id).tries
    assert [t.outcome for t in tries] == ["retry", "retry", "sent"]
    assert tries[0].error and "Connection" in tries[0].error and tries[2].error is None


def test_a_message_is_given_up_after_its_last_try_and_stays_visible(outbox: Outbox) -> None:
    outbox.queue(1)
    settings = settings_for(free_port(), outbox_max_attempts=2, outbox_retry_seconds=10)
    t0 = now_utc()
    assert send_due(settings=settings, now=t0).retrying == 1
    assert send_due(settings=settings, now=t0 + timedelta(seconds=11)).failed == 1
    (row,) = outbox.rows()
    assert (row.state, row.attempts) == ("failed", 2) and row.last_error
    assert send_due(settings=settings, now=t0 + timedelta(days=30)).claimed == 0


def test_a_refused_recipient_fails_alone_and_the_rest_of_the_batch_goes(outbox: Outbox) -> None:
    good = outbox.queue(2)
    outbox.queue(1, email="nobody@example.org", name="bad")
    served = Server(Sink(refuse=frozenset({"nobody@example.org"}))).start()
    try:
        report = send_due(settings=served.settings())
    finally:
        served.stop()
    assert (report.sent, report.retrying) == (2, 1)
    assert sorted(served.sink.ids()) == sorted(ids_of(good))
    (refused,) = outbox.rows("bad")
    assert refused.state == "queued" and refused.last_error and "550" in refused.last_error


def test_a_message_left_sending_by_a_worker_that_died_goes_again_once_its_claim_runs_out(
    outbox: Outbox, server: Server
) -> None:
    keys = outbox.queue(2)
    t0 = now_utc()
    with get_sessionmaker().begin() as db:  # a worker claims them, then dies before sending
        claimed, until = claim_due(db, now=t0, limit=10, claim_seconds=300)
    assert len(claimed) == 2 and until == t0 + timedelta(seconds=300)
    settings = server.settings()
    assert send_due(settings=settings, now=t0 + timedelta(seconds=10)).claimed == 0  # still held
    assert send_due(settings=settings, now=t0 + timedelta(seconds=301)).sent == 2
    assert sorted(server.sink.ids()) == sorted(ids_of(keys))


WORKERS = 2
MESSAGES = 60


def test_two_workers_at_once_send_each_message_exactly_once(outbox: Outbox, server: Server) -> None:
    keys = outbox.queue(MESSAGES)
    url = get_engine().url.render_as_string(hide_password=False)
    engines = [make_engine(url, pool_size=2, max_overflow=0) for _ in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)
    sent: list[int] = [0] * WORKERS
    errors: list[BaseException] = []

    def work(i: int) -> None:
        factory: sessionmaker[Session] = sessionmaker(bind=engines[i], expire_on_commit=False)
        barrier.wait()
        try:
            while (report := send_due(limit=7, factory=factory, settings=server.settings())).claimed:
                sent[i] += report.sent
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for engine in engines:
        engine.dispose()
    assert not errors, errors
    ids = server.sink.ids()
    assert len(ids) == MESSAGES and set(ids) == ids_of(keys)  # each once
    assert sum(sent) == MESSAGES
    assert {r.state for r in outbox.rows()} == {"sent"}


def test_a_message_that_cannot_be_written_fails_alone(outbox: Outbox, server: Server) -> None:
    good = outbox.queue(1)
    (broken,) = outbox.queue(1, name="broken")
    with get_sessionmaker().begin() as db:
        row = db.scalars(select(OutboxMessage).where(OutboxMessage.key == broken)).one()
        row.attachments = [{"content": "no name, no type"}]
    report = send_due(settings=server.settings())
    assert (report.sent, report.retrying) == (1, 1)
    assert server.sink.ids() == list(ids_of(good))
    (failed,) = outbox.rows("broken")
    assert failed.state == "queued" and failed.last_error and failed.last_error.startswith("KeyError")
