"""What the reminders are written from, read set-based for the whole country (a fixed number of queries whatever the
number of requirements): the open requirements with their due dates as of a date (rule 3, the compliance engine's
`status_query`), the seats of sessions to come, those invited to communities' meetings to come, the liaisons of
authorities, the school's admins, the officials who owe a programme whose cohort opens, and what the weekly digests
list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth import ADMIN, LIAISON
from app.authorities.models import Authority
from app.cohorts.models import Cohort, CohortSession, Enrolment
from app.cohorts.rules import ACTIVE_ENROLMENT, SCHEDULED_STATES, EnrolmentStatus, SessionMode
from app.communities.models import Community, CommunityMeeting, CommunityMember
from app.communities.rules import INVITED_CIRCLES
from app.communities.service import MeetingFacts
from app.compliance.queries import status_query
from app.compliance.rules import SETTLED
from app.db import AnySelect
from app.notifications.models import OutboxMessage
from app.notifications.rules import MessageState
from app.notifications.service import Recipient
from app.officials.models import Appointment, Official, Requirement
from app.officials.selectors import RECIPIENT_COLUMNS, recipient_from
from app.programmes.models import Programme
from app.text import full_name


@dataclass(frozen=True)
class Titles:
    """A title in both languages, as messages take it (`programme[lang]`)."""

    he: str
    en: str

    def both(self) -> dict[str, str]:
        return {"he": self.he, "en": self.en}


@dataclass(frozen=True)
class OpenRequirement:
    """A requirement still to be met as of a date (not started, in progress or overdue), with whom it concerns."""

    requirement_id: int
    official_id: int
    authority_code: str
    programme: Titles
    due_date: date
    status: str
    due_soon: bool
    pending_requests: int
    official_name: str
    email: str | None
    official_name_en: str | None = None

    def recipient(self) -> Recipient | None:
        """The official as a message's recipient; none without an email address."""
        if not self.email:
            return None
        return Recipient(
            email=self.email, name=self.official_name, official_id=self.official_id, name_en=self.official_name_en
        )


def open_requirements(
    db: Session, *, as_of: date, authority_codes: Collection[str] | None = None, programme_id: int | None = None
) -> list[OpenRequirement]:
    """The requirements open as of the date (rule 3: not completed, exempt or closed), with their due dates in
    force then, their officials' names and addresses; maybe of some authorities, or of one programme, only."""

    def restrict(stmt: AnySelect) -> AnySelect:
        if authority_codes is not None:
            stmt = stmt.where(Appointment.authority_code.in_(sorted(authority_codes)))
        if programme_id is not None:
            stmt = stmt.where(Requirement.programme_id == programme_id)
        return stmt

    q = status_query(as_of, restrict).subquery("status")
    stmt = (
        select(
            q.c.id,
            q.c.official_id,
            q.c.authority_code,
            Programme.title_he,
            Programme.title_en,
            q.c.due_date,
            q.c.status,
            q.c.due_soon,
            q.c.pending_requests,
            Official.first_name_he,
            Official.last_name_he,
            Official.email,
            Official.first_name_en,
            Official.last_name_en,
        )
        .join(Programme, Programme.code == q.c.programme_code)
        .join(Official, Official.id == q.c.official_id)
        .where(q.c.status.not_in([s.value for s in SETTLED]))
        .order_by(q.c.id)
    )
    return [
        OpenRequirement(
            requirement_id=r[0],
            official_id=r[1],
            authority_code=r[2],
            programme=Titles(r[3], r[4]),
            due_date=_as_date(r[5]),
            status=r[6],
            due_soon=bool(r[7]),
            pending_requests=int(r[8] or 0),
            official_name=f"{r[9]} {r[10]}",
            email=r[11] or None,
            official_name_en=full_name(r[12], r[13]),
        )
        for r in db.execute(stmt)
    ]


def _as_date(value: date | str) -> date:
    """A date from a computed column (SQLite gives a computed date back as its text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def liaisons_of(db: Session, *, authority_codes: Collection[str]) -> dict[str, list[tuple[int, Recipient]]]:
    """The active liaison accounts of these authorities, by authority: (user id, recipient)."""
    found: dict[str, list[tuple[int, Recipient]]] = defaultdict(list)
    codes = sorted(set(authority_codes))
    if not codes:
        return found
    stmt = (
        select(User.id, User.email, User.authority_code)
        .where(User.role == LIAISON, User.active.is_(True), User.authority_code.in_(codes))
        .order_by(User.id)
    )
    for user_id, email, code in db.execute(stmt):
        found[code or ""].append((user_id, Recipient(email=email, name=email)))
    return found


def all_liaisons(db: Session) -> dict[str, list[tuple[int, Recipient]]]:
    """Every active liaison account with an authority, by authority."""
    codes = db.scalars(
        select(User.authority_code).where(User.role == LIAISON, User.active.is_(True), User.authority_code.is_not(None))
    )
    return liaisons_of(db, authority_codes=[c for c in codes if c])


def admins(db: Session) -> list[tuple[int, Recipient]]:
    """The school's active admin accounts: (user id, recipient)."""
    stmt = select(User.id, User.email).where(User.role == ADMIN, User.active.is_(True)).order_by(User.id)
    return [(user_id, Recipient(email=email, name=email)) for user_id, email in db.execute(stmt)]


def authority_names(db: Session, *, codes: Collection[str]) -> dict[str, Titles]:
    """The names of these authorities, in both languages."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    stmt = select(Authority.code, Authority.name_he, Authority.name_en).where(Authority.code.in_(wanted))
    return {code: Titles(he, en) for code, he, en in db.execute(stmt)}


@dataclass(frozen=True)
class SeatAtSession:
    """An official seated in a cohort that meets on a date."""

    session_id: int
    on: date
    hours: float
    title: str | None
    place: str | None
    online: bool
    sequence: int
    cohort_code: str
    programme: Titles
    official_id: int
    recipient: Recipient | None


def seats_at_sessions(db: Session, *, first: date, last: date) -> list[SeatAtSession]:
    """Every official seated (enrolled) in a cohort still scheduled, at each of its sessions between the dates."""
    stmt = (
        select(
            CohortSession.id,
            CohortSession.date,
            CohortSession.hours,
            CohortSession.title,
            func.coalesce(CohortSession.location, Cohort.location),
            (CohortSession.mode == SessionMode.ONLINE) | Cohort.online,
            CohortSession.sequence,
            Cohort.code,
            Programme.title_he,
            Programme.title_en,
            Official.id,
            *RECIPIENT_COLUMNS,
        )
        .join(Cohort, Cohort.id == CohortSession.cohort_id)
        .join(Programme, Programme.id == Cohort.programme_id)
        .join(Enrolment, and_(Enrolment.cohort_id == Cohort.id, Enrolment.status == EnrolmentStatus.ENROLLED))
        .join(Official, Official.id == Enrolment.official_id)
        .where(CohortSession.date.between(first, last), Cohort.state.in_(SCHEDULED_STATES))
        .order_by(CohortSession.date, CohortSession.id, Official.id)
    )
    return [
        SeatAtSession(
            session_id=r[0],
            on=r[1],
            hours=r[2],
            title=r[3],
            place=r[4],
            online=bool(r[5]),
            sequence=r[6],
            cohort_code=r[7],
            programme=Titles(r[8], r[9]),
            official_id=r[10],
            recipient=recipient_from(r[10:16]),
        )
        for r in db.execute(stmt)
    ]


def owing_not_enrolled(db: Session, *, programme_id: int, as_of: date) -> list[OpenRequirement]:
    """The open requirements of a programme as of the date whose officials hold no place (enrolled or waitlisted)
    in any cohort of it."""
    placed = set(
        db.scalars(
            select(Enrolment.official_id)
            .join(Cohort, Cohort.id == Enrolment.cohort_id)
            .where(Cohort.programme_id == programme_id, Enrolment.status.in_(ACTIVE_ENROLMENT))
        )
    )
    return [r for r in open_requirements(db, as_of=as_of, programme_id=programme_id) if r.official_id not in placed]


def failed_messages(db: Session) -> int:
    """How many messages the outbox gave up on."""
    return db.scalar(select(func.count()).where(OutboxMessage.state == MessageState.FAILED)) or 0


@dataclass(frozen=True)
class InviteeAtMeeting:
    """A member invited to a community's meeting to come (its core circle: `communities.rules.INVITED_CIRCLES`)."""

    facts: MeetingFacts
    official_id: int
    recipient: Recipient | None

    @property
    def on(self) -> date:
        return self.facts.on


def invitees_at_meetings(db: Session, *, first: date, last: date) -> list[InviteeAtMeeting]:
    """Every current member of the invited circles of a community, at each of its meetings between the dates that
    was not cancelled (one query)."""
    stmt = (
        select(
            CommunityMeeting.id,
            CommunityMeeting.sequence,
            Community.name_he,
            Community.name_en,
            CommunityMeeting.title,
            CommunityMeeting.kind,
            CommunityMeeting.date,
            CommunityMeeting.end_date,
            CommunityMeeting.starts_at,
            CommunityMeeting.ends_at,
            CommunityMeeting.place,
            CommunityMeeting.link,
            Official.id,
            *RECIPIENT_COLUMNS,
        )
        .join(Community, Community.id == CommunityMeeting.community_id)
        .join(
            CommunityMember,
            and_(
                CommunityMember.community_id == CommunityMeeting.community_id,
                CommunityMember.left_on.is_(None),
                CommunityMember.circle.in_(INVITED_CIRCLES),
            ),
        )
        .join(Official, Official.id == CommunityMember.official_id)
        .where(CommunityMeeting.date.between(first, last), CommunityMeeting.cancelled_at.is_(None))
        .order_by(CommunityMeeting.date, CommunityMeeting.id, Official.id)
    )
    return [
        InviteeAtMeeting(
            facts=MeetingFacts(
                meeting_id=r[0],
                sequence=r[1],
                community_he=r[2],
                community_en=r[3],
                title=r[4],
                kind=r[5],
                on=r[6],
                end_date=r[7],
                starts_at=r[8],
                ends_at=r[9],
                place=r[10],
                link=r[11],
            ),
            official_id=r[12],
            recipient=recipient_from(r[12:18]),
        )
        for r in db.execute(stmt)
    ]
