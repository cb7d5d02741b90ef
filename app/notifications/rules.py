"""The vocabulary of messages: their kinds (which are optional, what each needs to be written), their states in
the outbox, and when a failed one is tried again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class MessageState(StrEnum):
    """Where a message is: waiting to go (queued, and after a failure until its next try), being sent by a
    worker (sending), sent, given up after the last try (failed), or never to be sent because its recipient
    opted out of optional mail (suppressed)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Kind:
    """A kind of message: whether its recipient may opt out of it, and an example of what it is written from
    (the previews show every kind with it, in both languages)."""

    optional: bool
    example: dict[str, Any] = field(default_factory=dict)


# Every kind of message, by its name; each has templates/email/<name>.subject.txt, .txt and .html.
KINDS: dict[str, Kind] = {
    "enrolment": Kind(
        optional=False,
        example={
            "name": "דנה כהן",
            "programme": "הכשרת מנהלי כספים",
            "cohort": "מחזור א׳",
            "starts_on": "2027-01-10",
            "status": "enrolled",
        },
    ),
}


def is_optional(kind: str) -> bool:
    """Whether a recipient may opt out of a kind of message (the deadline reminders never are)."""
    return KINDS[kind].optional


def next_attempt_at(*, attempts: int, failed_at: datetime, base_seconds: int, cap_seconds: int) -> datetime:
    """When a message that failed `attempts` times in all is tried again: the base delay doubled at each failure,
    never more than the cap."""
    delay = min(cap_seconds, base_seconds * 2 ** max(attempts - 1, 0))
    return failed_at + timedelta(seconds=delay)


def gives_up(*, attempts: int, limit: int) -> bool:
    """Whether a message has failed its last try."""
    return attempts >= limit
