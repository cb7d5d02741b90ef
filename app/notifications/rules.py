"""The vocabulary of messages: their kinds (which are optional, what each needs to be written), their states in
the outbox, and when a failed one is tried again."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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


class AttemptOutcome(StrEnum):
    """How one try at sending a message went: sent; failed and to be tried again (retry); failed the last time
    (given_up)."""

    SENT = "sent"
    RETRY = "retry"
    GIVEN_UP = "given_up"


@dataclass(frozen=True)
class Kind:
    """A kind of message: whether its recipient may opt out of it, and an example of what it is written from
    (the previews show every kind with it, in both languages)."""

    optional: bool
    example: dict[str, Any] = field(default_factory=dict)


# Every kind of message, by its name; each has templates/email/<name>.subject.txt, .txt and .html.
_PROGRAMME = {"he": "הכשרת מנהלי כספים", "en": "Training of Finance Managers"}
_AUTHORITY = {"he": "עיריית חיפה", "en": "Haifa Municipality"}
_LINK = "https://lms.example/me"
_MEETING = {
    "community": {"he": "קהילת מנהלי אגפי החינוך", "en": "Heads of Education Departments"},
    "title": "למידה מעמיתים: תוכניות קיץ",
    "kind": "in_person",
    "on": date(2027, 1, 12),
    "end_date": None,
    "starts_at": "09:30",
    "ends_at": "13:00",
    "place": "בית הספר, ירושלים",
    "online_link": None,
    "link": "https://lms.example/communities/meetings/1",
}

KINDS: dict[str, Kind] = {
    # Deadline reminders of a requirement (docs/rules.md, rule 9): never optional, since the law requires it.
    "deadline": Kind(
        optional=False,
        example={
            "programme": _PROGRAMME,
            "due_on": date(2027, 3, 1),
            "milestone": "before",
            "months": 3,
            "link": _LINK,
        },
    ),
    # The copy of an overdue one to the liaison(s) of the official's authority.
    "deadline_liaison": Kind(
        optional=False,
        example={
            "official": "דנה כהן",
            "authority": _AUTHORITY,
            "programme": _PROGRAMME,
            "due_on": date(2026, 11, 1),
            "link": "https://lms.example/compliance/authorities/4000",
        },
    ),
    "enrolment": Kind(
        optional=False,
        example={"programme": _PROGRAMME, "cohort": "FIN-2027-A", "starts_on": date(2027, 1, 10), "status": "enrolled"},
    ),
    "promotion": Kind(
        optional=False,
        example={"programme": _PROGRAMME, "cohort": "FIN-2027-A", "starts_on": date(2027, 1, 10)},
    ),
    "withdrawal": Kind(
        optional=False,
        example={"programme": _PROGRAMME, "cohort": "FIN-2027-A", "owed": True, "cancelled": False, "link": _LINK},
    ),
    "completion": Kind(
        optional=False,
        example={
            "programme": _PROGRAMME,
            "cohort": "FIN-2027-A",
            "completed_on": date(2027, 2, 20),
            "serial": "MKM-2027-000123",
            "link": "https://lms.example/verify/abc",
        },
    ),
    "decision": Kind(
        optional=False,
        example={
            "programme": _PROGRAMME,
            "request_kind": "extension",
            "approved": True,
            "due_on": date(2027, 9, 1),
            "note": "",
            "link": _LINK,
        },
    ),
    # A cohort opened for a programme the official owes: optional, like every announcement.
    "cohort_open": Kind(
        optional=True,
        example={
            "programme": _PROGRAMME,
            "cohort": "FIN-2027-A",
            "starts_on": date(2027, 1, 10),
            "ends_on": date(2027, 2, 20),
            "due_on": date(2027, 6, 1),
            "link": _LINK,
        },
    ),
    # A week and a day before a session: optional; a session moved or cancelled is not.
    "session_reminder": Kind(
        optional=True,
        example={
            "programme": _PROGRAMME,
            "cohort": "FIN-2027-A",
            "on": date(2027, 1, 10),
            "hours": 6,
            "place": "בית הספר, ירושלים",
            "online": False,
        },
    ),
    "session_changed": Kind(
        optional=False,
        example={
            "programme": _PROGRAMME,
            "cohort": "FIN-2027-A",
            "change": "moved",
            "was": date(2027, 1, 10),
            "on": date(2027, 1, 17),
            "place": "בית הספר, ירושלים",
        },
    ),
    # The weekly digests: optional.
    "digest_liaison": Kind(
        optional=True,
        example={
            "authority": _AUTHORITY,
            "overdue": {
                "total": 1,
                "items": [{"official": "דנה כהן", "programme": _PROGRAMME, "due_on": date(2026, 11, 1)}],
            },
            "due_soon": {"total": 0, "items": []},
            "pending": {
                "total": 1,
                "items": [{"official": "דנה כהן", "programme": _PROGRAMME, "due_on": date(2026, 11, 1)}],
            },
            "link": "https://lms.example/compliance/authorities/4000",
        },
    ),
    "digest_admin": Kind(
        optional=True,
        example={
            "sessions": {
                "total": 1,
                "items": [{"programme": _PROGRAMME, "cohort": "FIN-2027-A", "on": date(2027, 1, 10)}],
            },
            "to_close": {"total": 0, "items": []},
            "failed_messages": 2,
            "link": "https://lms.example/admin",
        },
    ),
    # A community's meetings: the invitation (with the .ics) to its core circle when one is scheduled, the update
    # or the cancellation when it moves or is called off (never optional: they keep calendars right), and the
    # reminders a week and a day before (optional, as the sessions' are).
    "meeting_invitation": Kind(optional=False, example=_MEETING),
    "meeting_changed": Kind(
        optional=False, example={**_MEETING, "change": "moved", "was": date(2027, 1, 5), "reason": None}
    ),
    "meeting_reminder": Kind(optional=True, example=_MEETING),
    # A one-time link to a community's survey: a wave sent by its coordinator, or the short survey after a meeting.
    "survey_invitation": Kind(
        optional=False,
        example={
            "survey": {"he": "שאלון קצר אחרי המפגש: סיור בנגב", "en": "Short survey after the meeting: Negev tour"},
            "community": {"he": "מנהלי אגפי חינוך", "en": "Heads of education departments"},
            "anonymous": True,
            "link": "https://lms.example/s/example-token",
        },
    ),
}


def example_of(kind: str) -> dict[str, Any]:
    """What a kind's preview is written from: its example, with the dates written YYYY-MM-DD read as dates (as the
    templates' date filters take them)."""
    context: dict[str, Any] = {}
    for name, value in KINDS[kind].example.items():
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value)
        context[name] = value
    return context


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


def unsubscribe_token(email: str, *, secret: str) -> str:
    """The token of an unsubscribe link: the address (lower-cased) and its HMAC-SHA256 under the application's
    secret, so that the link works without signing in and no one can make one for another address."""
    address = email.strip().lower()
    encoded = base64.urlsafe_b64encode(address.encode()).decode().rstrip("=")
    return f"{encoded}.{_signature(address, secret)}"


def address_of_token(token: str, *, secret: str) -> str | None:
    """The address an unsubscribe token was made for, or None when it is not one of ours (altered, cut, made with
    another secret)."""
    encoded, _, signature = token.partition(".")
    try:
        address = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not address or not hmac.compare_digest(signature.encode(), _signature(address, secret).encode()):
        return None
    return address


def _signature(address: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"unsubscribe:{address}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def message_id(key: str, *, domain: str) -> str:
    """The Message-ID of a message, the same at every try (a server or a reader that sees it twice knows it is one
    message): a digest of its key at the sender's domain."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"
