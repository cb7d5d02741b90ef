"""Reading the outbox (the admins' page and API) and people's choices about mail."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import count_of
from app.errors import NotFound
from app.notifications.models import MailPreference, OutboxAttempt, OutboxMessage
from app.notifications.rules import MessageState
from app.notifications.schemas import (
    AttachmentRead,
    AttemptRead,
    MailPreferenceRead,
    OutboxMessageDetail,
    OutboxMessageRead,
)
from app.schemas import Page
from app.templating import DEFAULT_LANGUAGE

# The columns of a list: everything but the bodies and attachments.
_LISTED = [getattr(OutboxMessage, name) for name in OutboxMessageRead.model_fields]


def list_messages(
    db: Session,
    *,
    state: str | None = None,
    kind: str | None = None,
    recipient: str | None = None,
    limit: int,
    offset: int,
) -> Page[OutboxMessageRead]:
    """The outbox, newest first, filtered by state, kind and recipient (part of the address or of the name); and how
    many match."""
    stmt = select(*_LISTED)
    if state:
        stmt = stmt.where(OutboxMessage.state == state)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    if recipient:
        pattern = f"%{recipient.strip().lower()}%"
        stmt = stmt.where(
            func.lower(OutboxMessage.recipient_email).like(pattern) | OutboxMessage.recipient_name.like(pattern)
        )
    total = count_of(db, stmt)
    rows = db.execute(stmt.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)).mappings()
    return Page(items=[OutboxMessageRead.model_validate(dict(r)) for r in rows], total=total)


def get_message(db: Session, *, message_id: int) -> OutboxMessageDetail:
    """One message as it is sent; 404 when there is none."""
    message = db.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no message has the id {message_id}")
    listed = OutboxMessageRead.model_validate(message).model_dump()
    attachments = [
        AttachmentRead(filename=a["filename"], content_type=a["content_type"]) for a in message.attachments or []
    ]
    tries = db.scalars(select(OutboxAttempt).where(OutboxAttempt.message_id == message_id).order_by(OutboxAttempt.id))
    return OutboxMessageDetail(
        **listed,
        body_text=message.body_text,
        body_html=message.body_html,
        attachments=attachments,
        tries=[AttemptRead.model_validate(t) for t in tries],
    )


def message_kinds(db: Session) -> list[str]:
    """The kinds the outbox holds, sorted: the choices of its filter."""
    return list(db.scalars(select(OutboxMessage.kind).distinct().order_by(OutboxMessage.kind)))


def failed_count(db: Session) -> int:
    """How many messages were given up after their last try (the admins' home shows it)."""
    stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == MessageState.FAILED)
    return db.scalar(stmt) or 0


def mail_preference(db: Session, *, email: str) -> MailPreferenceRead:
    """What the owner of an address chose about their mail; Hebrew and optional mail when they chose nothing."""
    address = email.strip().lower()
    choice = db.get(MailPreference, address)
    return MailPreferenceRead(
        email=address,
        language=(choice.language if choice and choice.language else DEFAULT_LANGUAGE),
        optional_mail=choice.optional_mail if choice else True,
    )
