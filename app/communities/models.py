"""Communities of practice and networks of authorities, their members, join requests, meetings and attendance."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Time, text
from sqlalchemy.orm import Mapped, mapped_column

from app.attendance.rules import AttendanceStatus
from app.communities.rules import Circle, CommunityKind, CommunityRole, JoinRequestState, MeetingKind
from app.db import Base, UTCDateTime, one_of


class Community(Base):
    """A community of practice (officials who hold the same post in different authorities), or a network of
    authorities (kind `network`: its members are authorities, each with a representative team of officials)."""

    __tablename__ = "communities"
    __table_args__ = (CheckConstraint(one_of("kind", CommunityKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_he: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    field: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CommunityMember(Base):
    """An official in a community from a day to a day: leaving sets `left_on`, rejoining is a new row, so the rows
    are the membership's history. In a network, `authority_code` says which authority's team the official is on."""

    __tablename__ = "community_members"
    __table_args__ = (
        CheckConstraint(one_of("circle", Circle), name="circle"),
        CheckConstraint(one_of("role", CommunityRole), name="role"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
        # One current membership per official and community.
        Index(
            "uq_community_members_current",
            "community_id",
            "official_id",
            unique=True,
            sqlite_where=text("left_on IS NULL"),
            postgresql_where=text("left_on IS NULL"),
        ),
        Index("ix_community_members_official", "official_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    circle: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    authority_code: Mapped[str | None] = mapped_column(ForeignKey("authorities.code", ondelete="RESTRICT"))
    joined_on: Mapped[dt.date]
    left_on: Mapped[dt.date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CommunityAuthority(Base):
    """An authority in a network of authorities, from a day to a day (history kept as for officials)."""

    __tablename__ = "community_authorities"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
        Index(
            "uq_community_authorities_current",
            "community_id",
            "authority_code",
            unique=True,
            sqlite_where=text("left_on IS NULL"),
            postgresql_where=text("left_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"), index=True)
    authority_code: Mapped[str] = mapped_column(ForeignKey("authorities.code", ondelete="RESTRICT"))
    joined_on: Mapped[dt.date]
    left_on: Mapped[dt.date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CommunityJoinRequest(Base):
    """An official asking to join a community; its coordinator or an admin accepts it or refuses it with a reason."""

    __tablename__ = "community_join_requests"
    __table_args__ = (
        CheckConstraint(one_of("state", JoinRequestState), name="state"),
        CheckConstraint(
            f"state <> '{JoinRequestState.REFUSED}' OR decision_reason IS NOT NULL", name="refusal_has_reason"
        ),
        Index("ix_community_join_requests_community_state", "community_id", "state"),
        Index("ix_community_join_requests_official", "official_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"))
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    message: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class CommunityMeeting(Base):
    """A dated meeting of a community: its kind, hours, place or link, agenda, minutes, and products (the documents
    it made, filed later to the knowledge centre: for now their titles and links as text); its calendar sequence, and
    its cancellation."""

    __tablename__ = "community_meetings"
    __table_args__ = (
        CheckConstraint(one_of("kind", MeetingKind), name="kind"),
        CheckConstraint("end_date IS NULL OR end_date >= date", name="end_after_start"),
        CheckConstraint("cancelled_at IS NULL OR cancel_reason IS NOT NULL", name="cancellation_has_reason"),
        Index("ix_community_meetings_community_date", "community_id", "date"),
        Index("ix_community_meetings_date", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    starts_at: Mapped[dt.time | None] = mapped_column(Time)
    ends_at: Mapped[dt.time | None] = mapped_column(Time)
    place: Mapped[str | None] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    agenda: Mapped[str | None] = mapped_column(Text)
    minutes: Mapped[str | None] = mapped_column(Text)
    products: Mapped[str | None] = mapped_column(Text)
    # The SEQUENCE of its calendar event (one UID for its life): raised by each move and by its cancellation.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A cancelled meeting stays listed, as cancelled, with why; it takes no attendance.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CommunityAttendance(Base):
    """One member at one meeting, with the attendance statuses of cohorts (present, late, excused, absent)."""

    __tablename__ = "community_attendance"
    __table_args__ = (
        CheckConstraint(one_of("status", AttendanceStatus), name="status"),
        Index("uq_community_attendance_meeting_official", "meeting_id", "official_id", unique=True),
        Index("ix_community_attendance_official", "official_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("community_meetings.id", ondelete="RESTRICT"))
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
