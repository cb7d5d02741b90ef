"""The outbox and people's choices about mail, in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.notifications.rules import AttemptOutcome, MessageState


class OutboxMessageRead(BaseModel):
    """One message of the outbox: to whom, what kind, in which language, where it stands (when sent; how many tries,
    the last error and the next try when it failed)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    kind: str
    created_at: datetime
    recipient_email: str
    recipient_name: str
    official_id: int | None
    language: Literal["he", "en"]
    subject: str
    optional: bool
    state: MessageState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None


class AttachmentRead(BaseModel):
    """A file sent with a message."""

    filename: str
    content_type: str


class AttemptRead(BaseModel):
    """One try at sending a message: when (UTC), how it went, and the server's error."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    outcome: AttemptOutcome
    error: str | None


class OutboxMessageDetail(OutboxMessageRead):
    """One message as it is sent: its plain text, its HTML, the names of its attachments, and its tries (oldest
    first)."""

    body_text: str
    body_html: str
    attachments: list[AttachmentRead]
    tries: list[AttemptRead]


class MailPreferenceRead(BaseModel):
    """What the caller chose about their mail: its language, and whether they receive optional mail (the deadline
    reminders of mandatory trainings are sent whatever is chosen)."""

    email: str
    language: Literal["he", "en"]
    optional_mail: bool


class MailPreferenceUpdate(BaseModel):
    """The language of the caller's mail, and whether they receive optional mail."""

    model_config = ConfigDict(extra="forbid")

    language: Literal["he", "en"] = Field(description="he (Hebrew, right to left) or en (English).")
    optional_mail: bool = Field(description="false: no optional mail; the deadline reminders are sent whatever.")
