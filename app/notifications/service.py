"""Queueing messages: each written to the outbox, in its recipient's language, in the transaction of the change
that causes it; the worker sends it after the commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.clock import now_utc
from app.config import get_settings
from app.notifications.models import MailPreference, OutboxMessage
from app.notifications.rules import KINDS, MessageState
from app.templating import DEFAULT_LANGUAGE, render


@dataclass(frozen=True)
class Recipient:
    """Whom a message goes to: an address and a name to greet, and the official it is about, when one is."""

    email: str
    name: str
    official_id: int | None = None


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


def render_message(kind: str, context: dict[str, Any], *, lang: str) -> tuple[str, str, str]:
    """A message of a kind written in a language: its subject, plain text and HTML."""
    settings = get_settings()
    context = {**context, "school_name": settings.school_name_he if lang == "he" else settings.school_name_en}
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
                "recipient_name": message.to.name,
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
    return len(result.all())


def queue_message(db: Session, message: NewMessage, *, now: datetime | None = None) -> bool:
    """Queue one message (see `queue_messages`); whether it was new."""
    return queue_messages(db, [message], now=now) == 1
