"""Communities, their members, join requests, meetings and attendance, in and out."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.attendance.rules import AttendanceStatus
from app.communities.rules import (
    Circle,
    CommunityKind,
    CommunityRole,
    JoinRequestState,
    MeetingKind,
    meeting_dates_problem,
    meeting_times_problem,
)
from app.programmes.schemas import CODE_MAX_LENGTH, CODE_PATTERN
from app.schemas import MAX_ID, FactDate, PlanDate, optional_text, required_text


class CommunityCreate(BaseModel):
    """A community of practice (or a network of authorities, `kind: network`)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, max_length=CODE_MAX_LENGTH)
    name_he: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    field: str = Field(min_length=1, max_length=200, description="The professional field, e.g. education.")
    description: str | None = Field(default=None, max_length=5000)
    kind: CommunityKind = CommunityKind.COMMUNITY

    _required_text = field_validator("name_he", "name_en", "field")(required_text)

    _description = field_validator("description")(optional_text)


class CommunityUpdate(BaseModel):
    """A change to a community: its names, field or description (its code and kind stay; a description sent empty
    is removed)."""

    model_config = ConfigDict(extra="forbid")

    name_he: str | None = Field(default=None, min_length=1, max_length=300)
    name_en: str | None = Field(default=None, min_length=1, max_length=300)
    field: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)

    _required_text = field_validator("name_he", "name_en", "field")(required_text)

    _description = field_validator("description")(optional_text)


class CommunityRead(BaseModel):
    """A community, what anyone signed in may read of it: who coordinates it and how many are in it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name_he: str
    name_en: str
    field: str
    description: str | None
    kind: CommunityKind
    core_members: int = 0
    wider_members: int = 0
    authorities: int = 0
    # The caller's current role in it (None when not a member), for an official.
    my_role: CommunityRole | None = None


class MemberCreate(BaseModel):
    """An official added to a community (in a network, on the team of one of its authorities)."""

    model_config = ConfigDict(extra="forbid")

    official_id: int = Field(ge=1, le=MAX_ID)
    circle: Circle = Circle.CORE
    role: CommunityRole = CommunityRole.MEMBER
    joined_on: FactDate | None = Field(default=None, description="Left out: today.")
    authority_code: str | None = Field(
        default=None, max_length=10, description="In a network: the member authority whose team the official is on."
    )


class MemberUpdate(BaseModel):
    """A change of a current member's circle or role."""

    model_config = ConfigDict(extra="forbid")

    circle: Circle | None = None
    role: CommunityRole | None = None


class MembershipEnd(BaseModel):
    """The end of a membership: the last day (left out: today)."""

    model_config = ConfigDict(extra="forbid")

    left_on: FactDate | None = None


class MemberRead(BaseModel):
    """One membership: the official, their circle and role, and when it began and ended."""

    id: int
    community_id: int
    official_id: int
    name_he: str
    name_en: str | None
    national_id: str | None = Field(default=None, description="Shown to those who manage the community only.")
    circle: Circle
    role: CommunityRole
    authority_code: str | None
    authority_he: str | None = None
    authority_en: str | None = None
    joined_on: dt.date
    left_on: dt.date | None


class AuthorityLinkCreate(BaseModel):
    """An authority joining a network."""

    model_config = ConfigDict(extra="forbid")

    authority_code: str = Field(min_length=1, max_length=10)
    joined_on: FactDate | None = None


class AuthorityLinkRead(BaseModel):
    """An authority in a network, from a day to a day."""

    id: int
    community_id: int
    authority_code: str
    name_he: str
    name_en: str
    joined_on: dt.date
    left_on: dt.date | None


class JoinRequestCreate(BaseModel):
    """An official's request to join (a few words for the coordinator, optional)."""

    model_config = ConfigDict(extra="forbid")

    message: str | None = Field(default=None, max_length=2000)

    _message = field_validator("message")(optional_text)


class JoinRequestDecision(BaseModel):
    """Accept (into a circle) or refuse (with a reason) a request to join."""

    model_config = ConfigDict(extra="forbid")

    accept: bool = Field(strict=True)
    reason: str | None = Field(default=None, max_length=2000)
    circle: Circle = Circle.WIDER

    _reason = field_validator("reason")(optional_text)

    @model_validator(mode="after")
    def _refusal_says_why(self) -> JoinRequestDecision:
        if not self.accept and not self.reason:
            raise ValueError("a refusal needs a reason")
        return self


class JoinRequestRead(BaseModel):
    """A request to join and its decision."""

    id: int
    community_id: int
    official_id: int
    name_he: str
    name_en: str | None
    message: str | None
    state: JoinRequestState
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str | None


class _MeetingFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    kind: MeetingKind
    date: PlanDate
    end_date: PlanDate | None = Field(default=None, description="A seminar's last day; other meetings last one day.")
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    place: str | None = Field(default=None, max_length=300)
    link: str | None = Field(default=None, max_length=500, pattern=r"^https://\S+$")
    agenda: str | None = Field(default=None, max_length=20000)

    _text = field_validator("place", "agenda")(optional_text)

    _title = field_validator("title")(required_text)


class MeetingCreate(_MeetingFields):
    """A meeting of a community."""

    @model_validator(mode="after")
    def _dates_and_times(self) -> MeetingCreate:
        if (problem := meeting_dates_problem(self.kind, self.date, self.end_date)) is not None:
            raise ValueError(f"{problem[0]}: {problem[1]}")
        if (why := meeting_times_problem(self.starts_at, self.ends_at)) is not None:
            raise ValueError(f"ends_at: {why}")
        return self


class MeetingUpdate(BaseModel):
    """A change to a meeting: any of its details, its agenda, its minutes, its products."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    kind: MeetingKind | None = None
    date: PlanDate | None = None
    end_date: PlanDate | None = None
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    place: str | None = Field(default=None, max_length=300)
    link: str | None = Field(default=None, max_length=500, pattern=r"^https://\S+$")
    agenda: str | None = Field(default=None, max_length=20000)
    minutes: str | None = Field(default=None, max_length=100000)
    products: str | None = Field(
        default=None, max_length=20000, description="The meeting's products (titles and links), one a line."
    )

    _text = field_validator("place", "agenda", "minutes", "products")(optional_text)

    @model_validator(mode="after")
    def _required_stay(self) -> MeetingUpdate:
        for name in ("title", "kind", "date"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed")
        return self


class MeetingRead(BaseModel):
    """A meeting of a community."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    community_id: int
    title: str
    kind: MeetingKind
    date: dt.date
    end_date: dt.date | None
    starts_at: dt.time | None
    ends_at: dt.time | None
    place: str | None
    link: str | None
    agenda: str | None
    minutes: str | None
    products: str | None
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None


class MeetingCancel(BaseModel):
    """The cancellation of a meeting, with why (those invited are told, and their calendars drop it)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)

    _reason = field_validator("reason")(required_text)


class MeetingAttendanceIn(BaseModel):
    """One member's attendance at a meeting; a note left out keeps the one recorded."""

    model_config = ConfigDict(extra="forbid")

    official_id: int = Field(ge=1, le=MAX_ID)
    status: AttendanceStatus
    note: str | None = Field(default=None, max_length=2000)

    _note = field_validator("note")(optional_text)


class MeetingAttendanceSheet(BaseModel):
    """The attendance of a meeting, for any number of its members in one request."""

    model_config = ConfigDict(extra="forbid")

    records: list[MeetingAttendanceIn] = Field(min_length=1, max_length=2000)


class MeetingAttendanceRead(BaseModel):
    """A member's recorded attendance at a meeting."""

    official_id: int
    name_he: str
    status: AttendanceStatus
    note: str | None


class MeetingAttendanceRow(BaseModel):
    """What became of one record sent: written, unchanged, or refused and why."""

    official_id: int
    result: Literal["created", "updated", "unchanged", "refused"]
    error: str | None = None
    detail: str | None = None


class MeetingAttendanceReport(BaseModel):
    """The outcome of each record sent, in the order sent."""

    rows: list[MeetingAttendanceRow]
