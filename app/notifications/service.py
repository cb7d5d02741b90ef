"""Queueing messages: each written to the outbox, in its recipient's language, in the transaction of the change
that causes it; the worker sends it after the commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import jobs
from app.audit.service import add_and_record, record_change, snapshot
from app.auth import Principal
from app.clock import now_utc
from app.config import get_settings
from app.errors import Conflict, NotFound
from app.notifications.models import MailPreference, OutboxMessage
from app.notifications.rules import KINDS, MessageState, unsubscribe_token
from app.templating import DEFAULT_LANGUAGE, render

# The job that sends the outbox (app/notifications/tasks.py), asked for once messages are committed.
SEND_JOB = "notifications.send_outbox"


@dataclass(frozen=True)
class Recipient:
    """Whom a message goes to: an address and a name to greet (in Hebrew, and in English letters where the record has
    them), and the official it is about, when one is."""

    email: str
    name: str
    official_id: int | None = None
    name_en: str | None = None

    def name_in(self, lang: str) -> str:
        """The name to greet in a message written in this language."""
        return self.name_en if lang == "en" and self.name_en else self.name


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message, as text (an `.ics` calendar)."""

    filename: str
    content_type: str
    content: str


@dataclass(frozen=True)
class NewMessage:
    """A message to queue: its kind, its unique key, its recipient, what its templates are written from."""

    kind: str
    key: str
    to: Recipient
    context: dict[str, Any] = field(default_factory=dict)
    attachments: Sequence[Attachment] = ()


def absolute_link(path: str) -> str:
    """A link a message carries: absolute, on the school's public address (LMS_PUBLIC_BASE_URL)."""
    return get_settings().public_base_url.rstrip("/") + path


def unsubscribe_url(email: str) -> str:
    """The link that stops optional mail to an address, without signing in (a signed token of the address)."""
    return absolute_link(f"/unsubscribe/{unsubscribe_token(email, secret=get_settings().resolved_secret_key())}")


def render_message(kind: str, context: dict[str, Any], *, lang: str) -> tuple[str, str, str]:
    """A message of a kind written in a language: its subject, plain text and HTML. An optional kind carries, in
    its footer, the link that unsubscribes its recipient."""
    settings = get_settings()
    recipient = context.get("recipient")
    link = unsubscribe_url(recipient.email) if KINDS[kind].optional and isinstance(recipient, Recipient) else None
    if isinstance(recipient, Recipient):
        context = {**context, "recipient": replace(recipient, name=recipient.name_in(lang))}
    context = {
        **context,
        "school_name": settings.school_name_he if lang == "he" else settings.school_name_en,
        "unsubscribe_url": link,
    }
    subject = " ".join(render(f"email/{kind}.subject.txt", context, lang=lang).split())
    return subject, render(f"email/{kind}.txt", context, lang=lang), render(f"email/{kind}.html", context, lang=lang)


def languages_of(db: Session, emails: Iterable[str]) -> dict[str, MailPreference]:
    """The choices made for these addresses (lower-cased), where any were made."""
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return {}
    return {p.email: p for p in db.scalars(select(MailPreference).where(MailPreference.email.in_(wanted)))}


def choose_mail_language(db: Session, *, email: str, language: str) -> None:
    """Record the language the owner of an address reads their mail in (kept with their other choices)."""
    key = email.lower()
    choice = db.get(MailPreference, key)
    if choice is None:
        db.add(MailPreference(email=key, language=language, optional_mail=True, updated_at=now_utc()))
    elif choice.language != language:
        choice.language, choice.updated_at = language, now_utc()
    db.flush()


def queue_messages(db: Session, messages: Iterable[NewMessage], *, now: datetime | None = None) -> int:
    """Write each message to the outbox, unless one with its key was ever queued (then nothing: a rerun, a second
    worker or a retried request queues nothing twice); how many were new. A message of an optional kind to someone
    who opted out is kept as suppressed, never sent. Sending happens after the commit (the worker's job)."""
    batch = list({m.key: m for m in messages}.values())
    if not batch:
        return 0
    now = now or now_utc()
    taken = set(db.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_([m.key for m in batch]))))
    batch = [m for m in batch if m.key not in taken]
    if not batch:
        return 0
    choices = languages_of(db, (m.to.email for m in batch))
    rows = []
    for message in batch:
        kind = KINDS[message.kind]
        choice = choices.get(message.to.email.lower())
        lang = (choice.language if choice else None) or DEFAULT_LANGUAGE
        opted_out = kind.optional and choice is not None and not choice.optional_mail
        subject, text, html = render_message(message.kind, {**message.context, "recipient": message.to}, lang=lang)
        rows.append(
            {
                "key": message.key,
                "kind": message.kind,
                "created_at": now,
                "recipient_email": message.to.email,
                "recipient_name": message.to.name_in(lang),
                "official_id": message.to.official_id,
                "language": lang,
                "subject": subject[:300],
                "body_text": text,
                "body_html": html,
                "attachments": [a.__dict__ for a in message.attachments],
                "optional": kind.optional,
                "state": MessageState.SUPPRESSED if opted_out else MessageState.QUEUED,
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Another transaction may queue the same key meanwhile: its row stands, this one is dropped.
    # The rows as parameters of one statement (sent in batches of many VALUES): its SQL is compiled once and cached,
    # where a statement holding the values would be compiled anew for every chunk.
    result = db.execute(
        insert(OutboxMessage).on_conflict_do_nothing(index_elements=["key"]).returning(OutboxMessage.id), rows
    )
    queued = len(result.all())
    if any(row["state"] == MessageState.QUEUED for row in rows) and queued:
        jobs.enqueue_after_commit(db, SEND_JOB)
    return queued


def queue_message(db: Session, message: NewMessage, *, now: datetime | None = None) -> bool:
    """Queue one message (see `queue_messages`); whether it was new."""
    return queue_messages(db, [message], now=now) == 1


def preference_of(db: Session, *, email: str) -> MailPreference | None:
    """What the owner of an address chose, if they chose anything."""
    return db.get(MailPreference, email.strip().lower())


def set_mail_preference(
    db: Session, *, emails: Iterable[str], language: str, optional_mail: bool, actor: Principal
) -> None:
    """Record a person's choice of language and of optional mail for each of their addresses (an official's account
    and the address the school writes to may differ); audited."""
    now = now_utc()
    for email in sorted({e.strip().lower() for e in emails if e and e.strip()}):
        choice = db.get(MailPreference, email)
        if choice is None:
            choice = MailPreference(email=email, language=language, optional_mail=optional_mail, updated_at=now)
            add_and_record(db, choice, actor=actor, entity_type="mail_preference")
            continue
        before = snapshot(choice, exclude=("updated_at",))
        choice.language, choice.optional_mail = language, optional_mail
        changed = record_change(
            db, choice, before=before, actor=actor, entity_type="mail_preference", exclude=("updated_at",)
        )
        if changed:
            choice.updated_at = now


def unsubscribe(db: Session, *, email: str, actor: Principal) -> None:
    """Stop optional mail to an address (from the link in a message, or a mail program's one-click request); the
    language chosen, if any, stays. Audited; doing it again changes nothing."""
    choice = preference_of(db, email=email)
    set_mail_preference(
        db, emails=[email], language=(choice.language if choice else None) or DEFAULT_LANGUAGE, optional_mail=False,
        actor=actor,
    )  # fmt: skip


# What the audit trail leaves out of a message: its content, kept in the outbox itself.
_CONTENT = ("body_text", "body_html", "attachments")


def resend_message(db: Session, *, message_id: int, actor: Principal, now: datetime | None = None) -> OutboxMessage:
    """Send a message again: a failed one is queued again for a first try; a sent one is queued again as a new
    message (its own key, so its own Message-ID) with the same content. A message waiting, being sent or suppressed
    is a 409. Audited; the worker is asked to send it after the commit."""
    now = now or now_utc()
    message = db.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no message has the id {message_id}")
    if message.state == MessageState.FAILED:
        before = snapshot(message, exclude=_CONTENT)
        message.state, message.attempts, message.next_attempt_at = MessageState.QUEUED, 0, now
        message.claimed_until = None
        record_change(
            db, message, before=before, actor=actor, entity_type="outbox_message", action="resend", exclude=_CONTENT
        )
        jobs.enqueue_after_commit(db, SEND_JOB)
        return message
    if message.state != MessageState.SENT:
        raise Conflict(
            f"the message is {message.state}: only a sent or a failed message is sent again", code="not_resendable"
        )
    copy = OutboxMessage(
        key=f"{message.key[:150]}#resend-{now:%Y%m%d%H%M%S%f}",
        kind=message.kind,
        created_at=now,
        recipient_email=message.recipient_email,
        recipient_name=message.recipient_name,
        official_id=message.official_id,
        language=message.language,
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        attachments=list(message.attachments or []),
        optional=message.optional,
        state=MessageState.QUEUED,
        attempts=0,
        next_attempt_at=now,
    )
    add_and_record(db, copy, actor=actor, entity_type="outbox_message", exclude=_CONTENT)
    jobs.enqueue_after_commit(db, SEND_JOB)
    return copy
