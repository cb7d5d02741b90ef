"""Rules of communities of practice: their vocabularies, who may do what in a community, when a membership holds,
and which dates and times a meeting may have."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum


class CommunityKind(StrEnum):
    """A community of officials who hold the same post, a network whose members are authorities, or the school's
    graduates network (one at most: its members are the graduates who joined the directory, its meetings their
    events)."""

    COMMUNITY = "community"
    NETWORK = "network"
    GRADUATES = "graduates"


class Circle(StrEnum):
    """The core of a community (who meet and learn together) or its wider circle (who get its tools and products)."""

    CORE = "core"
    WIDER = "wider"


class CommunityRole(StrEnum):
    """A member's part in the community."""

    MEMBER = "member"
    LEADING_TEAM = "leading_team"
    COORDINATOR = "coordinator"


class JoinRequestState(StrEnum):
    """Where an official's request to join stands."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class MeetingKind(StrEnum):
    """How a community meets: in person, online, a two-day seminar (with an end date), or a field tour."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    SEMINAR = "seminar"
    FIELD_TOUR = "field_tour"


class Access(StrEnum):
    """What a caller may do in one community: manage it, read all of it, or see only its public part."""

    MANAGE = "manage"
    READ = "read"
    PUBLIC = "public"


# The roles of users as app.auth names them (rules import no web, nor the session).
_ADMIN, _AUDITOR = "admin", "auditor"


def access_of(user_role: str, community_role: str | None) -> Access:
    """What a user may do in a community: an admin manages every community and an auditor reads them all; an
    official manages the community they coordinate, reads the one they are a current member of, and sees only the
    public part (about, coordinator and leading team, how to ask to join) of the others."""
    if user_role == _ADMIN:
        return Access.MANAGE
    if user_role == _AUDITOR:
        return Access.READ
    if community_role == CommunityRole.COORDINATOR:
        return Access.MANAGE
    if community_role is not None:
        return Access.READ
    return Access.PUBLIC


def holds_on(joined_on: date, left_on: date | None, on: date) -> bool:
    """Whether a membership (of an official, or of an authority in a network) holds on a day: from the day it
    began to the day it ended, both included."""
    return joined_on <= on and (left_on is None or on <= left_on)


def left_on_problem(joined_on: date, left_on: date) -> str | None:
    """Why a membership cannot end on this day, or None: never before it began."""
    if left_on < joined_on:
        return f"{left_on} is before the membership began ({joined_on})"
    return None


def meeting_dates_problem(kind: str, on: date, end_date: date | None) -> tuple[str, str] | None:
    """(field, why) a meeting's dates are wrong, or None: only a seminar lasts more than a day, and it ends after it
    starts, within a week."""
    if end_date is None or end_date == on:
        return None
    if kind != MeetingKind.SEMINAR:
        return "end_date", "only a seminar lasts more than one day"
    if end_date < on:
        return "end_date", f"{end_date} is before the meeting's date ({on})"
    if (end_date - on).days > 6:
        return "end_date", "a seminar lasts a week at most"
    return None


def meeting_times_problem(starts_at: time | None, ends_at: time | None) -> str | None:
    """Why a meeting's hours are wrong, or None: it ends after it starts."""
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        return f"{ends_at:%H:%M} is not after {starts_at:%H:%M}"
    return None


# Who is invited to a community's meetings (and reminded of them): its current core circle, whatever their role. The
# wider circle gets the community's tools and products (its documents), not its meetings' invitations; they see the
# meetings on the community's page and on their /me.
INVITED_CIRCLES: tuple[str, ...] = (Circle.CORE,)

# What a calendar holds of a meeting: a change to any of these is a move (a higher SEQUENCE, an update to those
# invited).
CALENDAR_FIELDS = ("date", "end_date", "starts_at", "ends_at", "place", "link")


def calendar_changed(before: dict[str, object], after: dict[str, object]) -> bool:
    """Whether a change to a meeting moves it in its invitees' calendars (its day, hours, place or link changed)."""
    return any(before.get(name) != after.get(name) for name in CALENDAR_FIELDS)


def is_upcoming(on: date, end_date: date | None, today: date) -> bool:
    """Whether a meeting is still to come (or under way, for a seminar's second day)."""
    return (end_date or on) >= today


def sees_everyone(user_role: str, access: Access) -> bool:
    """Whether the caller sees what concerns every member one by one (requests to join, attendance rolls): those
    who manage the community, and auditors; members read the community, not each other's records."""
    return access == Access.MANAGE or user_role == _AUDITOR
