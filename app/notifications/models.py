"""The outbox (every message, written before it is sent) and people's choices about mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, one_of
from app.notifications.rules import AttemptOutcome, MessageState


class OutboxMessage(Base):
    """One message to one recipient, rendered in their language when it was queued; `key` makes it unique (the
    same reminder of the same requirement for the same due date is never queued twice)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(one_of("state", MessageState), name="state_known"),
        CheckConstraint("language IN ('he', 'en')", name="language_known"),
        # What the sender looks for: the messages waiting, by when they are due.
        Index("ix_outbox_messages_due", "state", "next_attempt_at"),
        Index("ix_outbox_messages_recipient", "recipient_email", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recipient_email: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(200))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # Files sent with the message: [{"filename", "content_type", "content"}], content as text (an .ics).
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    optional: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(12), default=MessageState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A worker sending the message holds it until then; past it, another may take it (the first one died).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(1000))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxAttempt(Base):
    """One try at sending a message: when, and how it went (sent; failed, to be tried again; failed, given up), with
    the server's error. Written with the message's outcome, in the same transaction."""

    __tablename__ = "outbox_attempts"
    __table_args__ = (CheckConstraint(one_of("outcome", AttemptOutcome), name="outcome_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(12))
    error: Mapped[str | None] = mapped_column(String(1000))


class MailPreference(Base):
    """What the owner of an address chose: the language of their mail, and whether they receive optional mail."""

    __tablename__ = "mail_preferences"
    __table_args__ = (CheckConstraint("language IS NULL OR language IN ('he', 'en')", name="language_known"),)

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(2))
    optional_mail: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
