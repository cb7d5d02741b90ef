"""Sending the outbox through SMTP: a worker claims a batch of due messages in a short committed transaction, sends
them over one connection, and commits each message's outcome as soon as it is known.

A claim marks the messages `sending` until `claimed_until`; another worker skips them meanwhile (PostgreSQL: the
claim's select is `FOR UPDATE SKIP LOCKED`; SQLite: the claim is one UPDATE, and SQLite has one writer at a time).
A worker that dies leaves its messages in `sending`: once their claim has run out they are due again, and the next
worker sends them. A worker whose own claim runs out before it reaches a message leaves it for the next one, so that
no message goes twice. With no SMTP host configured nothing is sent: the messages stay queued.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.clock import now_utc
from app.config import Settings, get_settings
from app.db import get_sessionmaker
from app.notifications.models import OutboxAttempt, OutboxMessage
from app.notifications.rules import AttemptOutcome, MessageState, gives_up, message_id, next_attempt_at
from app.notifications.service import unsubscribe_url

# A worker takes no more messages from its batch once this share of its claim has gone by: the rest go to the next
# worker, after the claim has run out, rather than risk being sent by two.
CLAIM_SHARE = 0.8


class Transport(Protocol):
    """An open connection to a mail server."""

    def send_message(self, msg: EmailMessage) -> object: ...

    def quit(self) -> object: ...


@dataclass
class SendReport:
    """What one run of the sender did: messages sent, failed for now (to be tried again), given up, and whether
    sending is configured at all."""

    configured: bool = True
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    left: int = 0

    @property
    def claimed(self) -> int:
        """How many messages the run took."""
        return self.sent + self.retrying + self.failed + self.left


def connect(settings: Settings) -> Transport:
    """A connection to the configured SMTP server, secured as configured and logged in when a user is set."""
    timeout = settings.smtp_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.smtp_user:
        smtp.login(settings.smtp_user, settings.smtp_password)
    return smtp


def _due(now: datetime) -> ColumnElement[bool]:
    """Waiting messages whose time has come, and messages whose worker's claim ran out (it died)."""
    return or_(
        and_(OutboxMessage.state == MessageState.QUEUED, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == MessageState.SENDING, OutboxMessage.claimed_until < now),
    )


def claim_due(db: Session, *, now: datetime, limit: int, claim_seconds: int) -> tuple[list[int], datetime]:
    """Mark up to `limit` due messages, the longest waiting first, as being sent by this worker until now plus the
    claim; their ids and the end of the claim. The caller commits at once."""
    until = now + timedelta(seconds=claim_seconds)
    due = _due(now)
    wanted = select(OutboxMessage.id).where(due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    if db.get_bind().dialect.name == "postgresql":
        wanted = wanted.with_for_update(skip_locked=True)
    claimed = db.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(wanted.scalar_subquery()), due)
        .values(state=MessageState.SENDING, claimed_until=until)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(claimed), until


def build_email(message: OutboxMessage, *, settings: Settings) -> EmailMessage:
    """The message as it goes out: plain text and HTML as alternatives, its attachments, From, To with the name,
    Subject, Date, Content-Language, a Message-ID that is the same at every try and, for optional mail, the headers
    that let a mail program unsubscribe in one click (RFC 8058)."""
    sender = Address(addr_spec=settings.smtp_from, display_name=_school_name(settings, message.language))
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = Address(display_name=message.recipient_name, addr_spec=message.recipient_email)
    msg["Subject"] = message.subject
    msg["Date"] = format_datetime(now_utc())
    msg["Message-ID"] = message_id(message.key, domain=settings.smtp_from.rpartition("@")[2] or "localhost")
    msg["Auto-Submitted"] = "auto-generated"
    if message.optional:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url(message.recipient_email)}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(message.body_text, subtype="plain", charset="utf-8")
    msg.add_alternative(message.body_html, subtype="html", charset="utf-8")
    for attachment in message.attachments or []:
        maintype, _, subtype = str(attachment["content_type"]).partition("/")
        msg.add_attachment(
            str(attachment["content"]).encode(),
            maintype=maintype,
            subtype=subtype.split(";")[0] or "octet-stream",
            filename=str(attachment["filename"]),
        )
    # Last: the body's parts are set above, and setting a part drops the Content-* headers written before it.
    msg["Content-Language"] = message.language
    return msg


def _school_name(settings: Settings, lang: str) -> str:
    return settings.school_name_he if lang == "he" else settings.school_name_en


def _outcome(
    factory: sessionmaker[Session],
    message: OutboxMessage,
    until: datetime,
    *,
    outcome: AttemptOutcome,
    error: str | None = None,
    **values: object,
) -> None:
    """Commit what became of one try at a message, and log the try, provided this worker still holds the message."""
    with factory.begin() as db:
        held = db.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.state == MessageState.SENDING,
                OutboxMessage.claimed_until == until,
            )
            .values(claimed_until=None, attempts=message.attempts + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if held.rowcount == 1:  # type: ignore[attr-defined]
            db.add(OutboxAttempt(message_id=message.id, at=now_utc(), outcome=outcome, error=error))


def send_due(
    *,
    limit: int | None = None,
    now: datetime | None = None,
    factory: sessionmaker[Session] | None = None,
    settings: Settings | None = None,
    transport: Callable[[Settings], Transport] = connect,
) -> SendReport:
    """Send the messages due now (at most `limit`, else a batch): claim them, send each over one connection, commit
    each outcome at once. A failure is tried again after the backoff and given up after the last try; the server
    being down is a failure of every message of the batch, which all wait for their next try."""
    settings = settings or get_settings()
    if not settings.smtp_host:
        return SendReport(configured=False)
    factory = factory or get_sessionmaker()
    now = now or now_utc()
    started = time.monotonic()
    with factory.begin() as db:
        ids, until = claim_due(
            db,
            now=now,
            limit=limit or settings.outbox_batch_size,
            claim_seconds=settings.outbox_claim_seconds,
        )
    report = SendReport()
    if not ids:
        return report
    with factory() as db:
        messages: Sequence[OutboxMessage] = db.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        ).all()
        db.expunge_all()
    interval = 60.0 / settings.smtp_rate_per_minute if settings.smtp_rate_per_minute else 0.0
    connection: Transport | None = None
    down: str | None = None
    try:
        try:
            connection = transport(settings)
        except (OSError, smtplib.SMTPException) as exc:
            down = _describe(exc)
        for index, message in enumerate(messages):
            if time.monotonic() - started > settings.outbox_claim_seconds * CLAIM_SHARE:
                # The claim is running out: another worker may take these over; leave them to it.
                report.left = len(messages) - index
                break
            if interval and index:
                time.sleep(max(0.0, started + index * interval - time.monotonic()))
            error = down
            if error is None and connection is not None:
                try:
                    email = build_email(message, settings=settings)
                except (ValueError, TypeError, KeyError) as exc:  # a message that cannot be written fails alone
                    error = _describe(exc)
            if error is None and connection is not None:
                try:
                    connection.send_message(email)
                except (OSError, smtplib.SMTPException) as exc:
                    error = _describe(exc)
                    if not isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
                        down = error  # the connection is gone: the rest of the batch waits for its next try
            attempts = message.attempts + 1
            if error is None:
                _outcome(
                    factory, message, until, outcome=AttemptOutcome.SENT, state=MessageState.SENT, sent_at=now_utc()
                )
                report.sent += 1
            elif gives_up(attempts=attempts, limit=settings.outbox_max_attempts):
                _outcome(
                    factory, message, until, outcome=AttemptOutcome.GIVEN_UP, error=error,
                    state=MessageState.FAILED, last_error=error,
                )  # fmt: skip
                report.failed += 1
            else:
                retry_at = next_attempt_at(
                    attempts=attempts,
                    failed_at=now,
                    base_seconds=settings.outbox_retry_seconds,
                    cap_seconds=settings.outbox_retry_max_seconds,
                )
                _outcome(
                    factory, message, until, outcome=AttemptOutcome.RETRY, error=error,
                    state=MessageState.QUEUED, last_error=error, next_attempt_at=retry_at,
                )  # fmt: skip
                report.retrying += 1
    finally:
        if connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                connection.quit()
    return report


def _describe(exc: BaseException) -> str:
    """An error as an admin reads it on the outbox page."""
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {detail}"[:1000]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = "; ".join(f"{code} {text.decode(errors='replace')}" for code, text in exc.recipients.values())
        return f"recipient refused: {refusals}"[:1000]
    return f"{type(exc).__name__}: {exc}"[:1000]


def send_all_due(*, limit: int | None = None, now: datetime | None = None) -> SendReport:
    """Send what is due now, batch after batch (at most `limit` messages in all), until nothing due is left or a
    batch meets a failure (the server down: the rest waits for its next try)."""
    total = SendReport()
    batch = get_settings().outbox_batch_size
    while limit is None or total.claimed < limit:
        report = send_due(limit=min(batch, limit - total.claimed) if limit else batch, now=now)
        total.configured = report.configured
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
        total.left += report.left
        if not report.configured or report.claimed == 0 or report.retrying or report.failed or report.left:
            break
    return total
