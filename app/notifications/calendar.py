"""Calendar attachments (.ics, RFC 5545) of the school's meetings: an invitation that a calendar adds or updates
(METHOD:REQUEST, one UID per meeting, a higher SEQUENCE for each change) and its cancellation (METHOD:CANCEL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from app.config import get_settings
from app.notifications.service import Attachment

REQUEST = "REQUEST"
CANCEL = "CANCEL"


@dataclass(frozen=True)
class Meeting:
    """A meeting as a calendar holds it: whole days (the school's sessions have a date, not an hour), or, when it has
    a starting hour (a community's meetings may), from that hour to its ending hour, in the school's timezone."""

    uid: str
    sequence: int
    summary: str
    on: date
    location: str | None = None
    description: str | None = None
    last_day: date | None = None
    starts_at: time | None = None
    ends_at: time | None = None


def _instant(day: date, hour: time) -> datetime:
    """An hour of a day in the school's timezone (Asia/Jerusalem), as UTC (so no VTIMEZONE is needed)."""
    return datetime.combine(day, hour, tzinfo=ZoneInfo(get_settings().timezone)).astimezone(UTC)


def meeting_uid(kind: str, ident: int) -> str:
    """A UID that stays the same for the life of a meeting, unique to this school's address."""
    host = urlsplit(get_settings().public_base_url).hostname or "lms"
    return f"{kind}-{ident}@{host}"


def ics_text(meeting: Meeting, *, method: str, stamp: datetime) -> str:
    """The .ics of a meeting: an invitation (REQUEST) or its cancellation (CANCEL)."""
    cal = Calendar()
    cal.add("prodid", "-//Mekomot LMS//he")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp)
    last = meeting.last_day or meeting.on
    if meeting.starts_at is None:
        event.add("dtstart", meeting.on)
        event.add("dtend", last + timedelta(days=1))
    else:
        event.add("dtstart", _instant(meeting.on, meeting.starts_at))
        if meeting.ends_at is not None:
            event.add("dtend", _instant(last, meeting.ends_at))
    event.add("summary", meeting.summary)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    if meeting.location:
        event.add("location", meeting.location)
    if meeting.description:
        event.add("description", meeting.description)
    cal.add_component(event)
    text: str = cal.to_ical().decode()
    return text


def ics_attachment(meeting: Meeting, *, method: str, stamp: datetime) -> Attachment:
    """The .ics of a meeting as a message's attachment."""
    return Attachment(
        filename="cancel.ics" if method == CANCEL else "invite.ics",
        content_type=f"text/calendar; method={method}; charset=utf-8",
        content=ics_text(meeting, method=method, stamp=stamp),
    )
