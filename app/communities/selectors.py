"""Reading communities: the list (the caller's own first), one community's page as the caller may see it, its
members with their history, requests to join, meetings and their attendance rolls, and an official's upcoming
meetings; each in a fixed number of set-based queries."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from app.auth import AUDITOR, OFFICIAL, Principal
from app.authorities.models import Authority
from app.communities.models import (
    Community,
    CommunityAttendance,
    CommunityAuthority,
    CommunityJoinRequest,
    CommunityMeeting,
    CommunityMember,
)
from app.communities.rules import (
    Access,
    Circle,
    CommunityRole,
    JoinRequestState,
    holds_on,
    is_upcoming,
    sees_everyone,
)
from app.communities.schemas import (
    AuthorityLinkRead,
    CommunityRead,
    JoinRequestRead,
    MeetingAttendanceRead,
    MeetingRead,
    MemberRead,
)
from app.communities.service import access_to, get_community, get_meeting, require_access
from app.errors import Forbidden
from app.officials.models import Appointment, Official
from app.officials.schemas import OfficialRead
from app.officials.selectors import list_officials
from app.schemas import Page

# --- the list ------------------------------------------------------------------------------------------------------


def _counts(db: Session, community_ids: Collection[int] | None = None) -> dict[int, tuple[int, int, int]]:
    """(core, wider, authorities) currently in each community."""
    members = select(
        CommunityMember.community_id,
        func.sum(case((CommunityMember.circle == Circle.CORE, 1), else_=0)),
        func.sum(case((CommunityMember.circle == Circle.WIDER, 1), else_=0)),
    ).where(CommunityMember.left_on.is_(None))
    authorities = select(CommunityAuthority.community_id, func.count()).where(CommunityAuthority.left_on.is_(None))
    if community_ids is not None:
        members = members.where(CommunityMember.community_id.in_(list(community_ids)))
        authorities = authorities.where(CommunityAuthority.community_id.in_(list(community_ids)))
    out: dict[int, tuple[int, int, int]] = {}
    for cid, core, wider in db.execute(members.group_by(CommunityMember.community_id)):
        out[cid] = (int(core or 0), int(wider or 0), 0)
    for cid, n in db.execute(authorities.group_by(CommunityAuthority.community_id)):
        core, wider, _ = out.get(cid, (0, 0, 0))
        out[cid] = (core, wider, int(n))
    return out


def _my_roles(db: Session, actor: Principal) -> dict[int, str]:
    """The caller's current role in each community they are a member of (an official's)."""
    if actor.role != OFFICIAL or actor.official_id is None:
        return {}
    stmt = select(CommunityMember.community_id, CommunityMember.role).where(
        CommunityMember.official_id == actor.official_id, CommunityMember.left_on.is_(None)
    )
    return dict(db.execute(stmt).all())


def _read(community: Community, counts: tuple[int, int, int], my_role: str | None) -> CommunityRead:
    core, wider, authorities = counts
    return CommunityRead(
        id=community.id,
        code=community.code,
        name_he=community.name_he,
        name_en=community.name_en,
        field=community.field,
        description=community.description,
        kind=community.kind,
        core_members=core,
        wider_members=wider,
        authorities=authorities,
        my_role=my_role,
    )


def list_communities(db: Session, *, actor: Principal) -> Page[CommunityRead]:
    """Every community (what anyone may read of them), the caller's own first, then by Hebrew name."""
    counts = _counts(db)
    mine = _my_roles(db, actor)
    communities = db.scalars(select(Community).order_by(Community.name_he, Community.id))
    items = [_read(c, counts.get(c.id, (0, 0, 0)), mine.get(c.id)) for c in communities]
    items.sort(key=lambda c: c.my_role is None)
    return Page(items=items, total=len(items))


def read_community(db: Session, *, community_id: int, actor: Principal) -> CommunityRead:
    """One community, what anyone may read of it; 404 when there is none."""
    community = get_community(db, community_id=community_id)
    counts = _counts(db, [community_id]).get(community_id, (0, 0, 0))
    return _read(community, counts, _my_roles(db, actor).get(community_id))


# --- members -------------------------------------------------------------------------------------------------------


def _authorities_of(db: Session, official_ids: Collection[int], on: date) -> dict[int, tuple[str, str, str]]:
    """(code, Hebrew name, English name) of an authority each official serves in on the day (their latest
    appointment then), by official."""
    if not official_ids:
        return {}
    stmt = (
        select(Appointment.official_id, Authority.code, Authority.name_he, Authority.name_en)
        .join(Authority, Authority.code == Appointment.authority_code)
        .where(
            Appointment.official_id.in_(list(official_ids)),
            Appointment.start_date <= on,
            or_(Appointment.end_date.is_(None), Appointment.end_date >= on),
        )
        .order_by(Appointment.start_date.desc(), Appointment.id.desc())
    )
    out: dict[int, tuple[str, str, str]] = {}
    for official_id, code, he, en in db.execute(stmt):
        out.setdefault(official_id, (code, he, en))
    return out


def _authority_names(db: Session, codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    stmt = select(Authority.code, Authority.name_he, Authority.name_en).where(Authority.code.in_(wanted))
    return {code: (he, en) for code, he, en in db.execute(stmt)}


def _member_rows(db: Session, stmt: object, *, with_ids: bool, on: date) -> list[MemberRead]:
    rows = list(db.execute(stmt))  # type: ignore[call-overload]
    serving = _authorities_of(db, {m.official_id for m, _ in rows}, on)
    names = _authority_names(db, (m.authority_code for m, _ in rows if m.authority_code))
    out = []
    for m, o in rows:
        if m.authority_code:
            code, (he, en) = m.authority_code, names.get(m.authority_code, (m.authority_code, m.authority_code))
        else:
            code, he, en = serving.get(m.official_id, (None, None, None))
        out.append(
            MemberRead(
                id=m.id,
                community_id=m.community_id,
                official_id=m.official_id,
                name_he=f"{o.first_name_he} {o.last_name_he}",
                name_en=" ".join(n for n in (o.first_name_en, o.last_name_en) if n) or None,
                national_id=o.national_id if with_ids else None,
                circle=m.circle,
                role=m.role,
                authority_code=m.authority_code or code,
                authority_he=he,
                authority_en=en,
                joined_on=m.joined_on,
                left_on=m.left_on,
            )
        )
    return out


_ROLE_ORDER = case(
    (CommunityMember.role == CommunityRole.COORDINATOR, 0),
    (CommunityMember.role == CommunityRole.LEADING_TEAM, 1),
    else_=2,
)


def _members_query(community_id: int) -> object:
    return (
        select(CommunityMember, Official)
        .join(Official, Official.id == CommunityMember.official_id)
        .where(CommunityMember.community_id == community_id)
        .order_by(
            CommunityMember.left_on.is_not(None),
            _ROLE_ORDER,
            CommunityMember.circle,
            Official.last_name_he,
            Official.first_name_he,
            CommunityMember.joined_on.desc(),
            CommunityMember.id,
        )
    )


def list_members(db: Session, *, community_id: int, actor: Principal, on: date) -> list[MemberRead]:
    """Every membership of the community, current first (coordinator, leading team, then by circle and name), then
    those that ended: its members, auditors and admins; national IDs for those who manage it only."""
    get_community(db, community_id=community_id)
    access = require_access(db, community_id=community_id, actor=actor, needed=Access.READ)
    return _member_rows(db, _members_query(community_id), with_ids=access == Access.MANAGE, on=on)


def leaders_of(db: Session, *, community_id: int, on: date) -> list[MemberRead]:
    """The community's current coordinator and leading team: its public face."""
    stmt = _members_query(community_id).where(  # type: ignore[attr-defined]
        CommunityMember.left_on.is_(None),
        CommunityMember.role.in_([CommunityRole.COORDINATOR, CommunityRole.LEADING_TEAM]),
    )
    return _member_rows(db, stmt, with_ids=False, on=on)


def list_authorities(db: Session, *, community_id: int) -> list[AuthorityLinkRead]:
    """The authorities of a network, current first, by Hebrew name (public, as the network's membership is)."""
    get_community(db, community_id=community_id)
    stmt = (
        select(CommunityAuthority, Authority.name_he, Authority.name_en)
        .join(Authority, Authority.code == CommunityAuthority.authority_code)
        .where(CommunityAuthority.community_id == community_id)
        .order_by(CommunityAuthority.left_on.is_not(None), Authority.name_he, CommunityAuthority.id)
    )
    return [
        AuthorityLinkRead(
            id=link.id,
            community_id=link.community_id,
            authority_code=link.authority_code,
            name_he=he,
            name_en=en,
            joined_on=link.joined_on,
            left_on=link.left_on,
        )
        for link, he, en in db.execute(stmt)
    ]


def find_officials(db: Session, *, community_id: int, q: str, actor: Principal, limit: int = 20) -> list[OfficialRead]:
    """Officials of the whole registry by name or ID number (the registry's one search rule), for whoever manages
    the community to add: a coordinator finds people beyond their own record for this only."""
    require_access(db, community_id=community_id, actor=actor, needed=Access.MANAGE)
    if not q.strip():
        return []
    registry = Principal(user_id=actor.user_id, label=actor.label, role=AUDITOR, address=actor.address)
    return list_officials(db, q=q, authority=None, role=None, actor=registry, limit=limit, offset=0).items


# --- requests to join ----------------------------------------------------------------------------------------------


def _request_rows(db: Session, stmt: object) -> list[JoinRequestRead]:
    out = []
    for r, o in db.execute(stmt):  # type: ignore[call-overload]
        out.append(
            JoinRequestRead(
                id=r.id,
                community_id=r.community_id,
                official_id=r.official_id,
                name_he=f"{o.first_name_he} {o.last_name_he}",
                name_en=" ".join(n for n in (o.first_name_en, o.last_name_en) if n) or None,
                message=r.message,
                state=r.state,
                requested_at=r.requested_at,
                decided_at=r.decided_at,
                decision_reason=r.decision_reason,
            )
        )
    return out


def _requests_query(community_id: int | None) -> object:
    stmt = select(CommunityJoinRequest, Official).join(Official, Official.id == CommunityJoinRequest.official_id)
    if community_id is not None:
        stmt = stmt.where(CommunityJoinRequest.community_id == community_id)
    return stmt


def list_join_requests(db: Session, *, community_id: int, actor: Principal) -> list[JoinRequestRead]:
    """The community's requests to join, waiting first (oldest first), then the decided (newest first): those who
    manage it, and auditors."""
    get_community(db, community_id=community_id)
    access = access_to(db, community_id=community_id, actor=actor)
    if not sees_everyone(actor.role, access):
        raise Forbidden(f"only its coordinator or an admin may read the requests to join community {community_id}")
    stmt = _requests_query(community_id).order_by(  # type: ignore[attr-defined]
        CommunityJoinRequest.state != JoinRequestState.PENDING,
        case(
            (CommunityJoinRequest.state == JoinRequestState.PENDING, CommunityJoinRequest.requested_at),
            else_=None,
        ),
        CommunityJoinRequest.decided_at.desc(),
        CommunityJoinRequest.id,
    )
    return _request_rows(db, stmt)


def my_last_request(db: Session, *, community_id: int, actor: Principal) -> JoinRequestRead | None:
    """The caller's latest request to join the community, if they made one (an official's)."""
    if actor.role != OFFICIAL or actor.official_id is None:
        return None
    stmt = (
        _requests_query(community_id)
        .where(CommunityJoinRequest.official_id == actor.official_id)  # type: ignore[attr-defined]
        .order_by(CommunityJoinRequest.requested_at.desc(), CommunityJoinRequest.id.desc())
        .limit(1)
    )
    found = _request_rows(db, stmt)
    return found[0] if found else None


# --- meetings ------------------------------------------------------------------------------------------------------


def list_meetings(db: Session, *, community_id: int, actor: Principal) -> list[MeetingRead]:
    """The community's meetings in date order: its members, auditors and admins."""
    get_community(db, community_id=community_id)
    require_access(db, community_id=community_id, actor=actor, needed=Access.READ)
    stmt = (
        select(CommunityMeeting)
        .where(CommunityMeeting.community_id == community_id)
        .order_by(CommunityMeeting.date, CommunityMeeting.starts_at, CommunityMeeting.id)
    )
    return [MeetingRead.model_validate(m) for m in db.scalars(stmt)]


@dataclass(frozen=True)
class RollRow:
    """A member on a meeting's roll: who, their circle, and their attendance as recorded (None: not yet)."""

    official_id: int
    name_he: str
    name_en: str | None
    national_id: str | None
    authority_he: str | None
    authority_en: str | None
    circle: str
    role: str
    status: str | None
    note: str | None


@dataclass(frozen=True)
class MeetingView:
    """A meeting as the caller may see it: the roll only for those who manage the community, and auditors."""

    meeting: MeetingRead
    community: CommunityRead
    access: Access
    sees_roll: bool
    roll: list[RollRow] = field(default_factory=list)

    @property
    def taken(self) -> int:
        return sum(1 for r in self.roll if r.status is not None)


def _roll(db: Session, meeting: CommunityMeeting, *, with_ids: bool) -> list[RollRow]:
    """The members on the meeting's first day, and anyone recorded at it, core first then by name."""
    records = {
        r.official_id: r
        for r in db.scalars(select(CommunityAttendance).where(CommunityAttendance.meeting_id == meeting.id))
    }
    stmt = (
        select(CommunityMember, Official)
        .join(Official, Official.id == CommunityMember.official_id)
        .where(CommunityMember.community_id == meeting.community_id)
        .order_by(CommunityMember.joined_on.desc(), CommunityMember.id.desc())
    )
    chosen: dict[int, tuple[CommunityMember, Official]] = {}
    held: set[int] = set()
    for m, o in db.execute(stmt):
        if holds_on(m.joined_on, m.left_on, meeting.date) and o.id not in held:
            chosen[o.id] = (m, o)
            held.add(o.id)
        elif o.id in records and o.id not in chosen:
            chosen[o.id] = (m, o)
    serving = _authorities_of(db, list(chosen), meeting.date)
    rows = []
    for official_id, (m, o) in chosen.items():
        record = records.get(official_id)
        _, he, en = serving.get(official_id, (None, None, None))
        rows.append(
            RollRow(
                official_id=official_id,
                name_he=f"{o.first_name_he} {o.last_name_he}",
                name_en=" ".join(n for n in (o.first_name_en, o.last_name_en) if n) or None,
                national_id=o.national_id if with_ids else None,
                authority_he=he,
                authority_en=en,
                circle=m.circle,
                role=m.role,
                status=record.status if record else None,
                note=record.note if record else None,
            )
        )
    rows.sort(key=lambda r: (r.circle != Circle.CORE, r.name_he))
    return rows


def meeting_view(db: Session, *, meeting_id: int, actor: Principal) -> MeetingView:
    """One meeting with its community, and its roll for those who may see it; members read the meeting, others
    get 403 (the community's public part shows no meeting)."""
    meeting = get_meeting(db, meeting_id=meeting_id)
    access = require_access(db, community_id=meeting.community_id, actor=actor, needed=Access.READ)
    community = read_community(db, community_id=meeting.community_id, actor=actor)
    sees = sees_everyone(actor.role, access)
    roll = _roll(db, meeting, with_ids=access == Access.MANAGE) if sees else []
    return MeetingView(
        meeting=MeetingRead.model_validate(meeting), community=community, access=access, sees_roll=sees, roll=roll
    )


def meeting_attendance(db: Session, *, meeting_id: int, actor: Principal) -> list[MeetingAttendanceRead]:
    """The attendance recorded at a meeting: those who manage its community, and auditors."""
    view = meeting_view(db, meeting_id=meeting_id, actor=actor)
    if not view.sees_roll:
        raise Forbidden(f"only its coordinator or an admin may read the attendance of meeting {meeting_id}")
    return [
        MeetingAttendanceRead(official_id=r.official_id, name_he=r.name_he, status=r.status, note=r.note)
        for r in view.roll
        if r.status is not None
    ]


# --- one community's page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityView:
    """A community's page as the caller may see it: anyone its public part (about, coordinator and leading team, a
    network's authorities, how to ask to join); its members, auditors and admins its members with their history and
    its meetings; those who manage it the number of requests waiting."""

    community: CommunityRead
    access: Access
    leaders: list[MemberRead]
    authorities: list[AuthorityLinkRead]
    me: MemberRead | None
    my_request: JoinRequestRead | None
    members: list[MemberRead]
    upcoming: list[MeetingRead]
    past: list[MeetingRead]
    pending_requests: int

    @property
    def current(self) -> list[MemberRead]:
        return [m for m in self.members if m.left_on is None]

    @property
    def history(self) -> list[MemberRead]:
        return [m for m in self.members if m.left_on is not None]

    def circle(self, name: str) -> list[MemberRead]:
        return [m for m in self.current if m.circle == name]


def community_view(db: Session, *, community_id: int, actor: Principal, today: date) -> CommunityView:
    """One community's page for the caller."""
    community = read_community(db, community_id=community_id, actor=actor)
    access = access_to(db, community_id=community_id, actor=actor)
    members: list[MemberRead] = []
    meetings: list[MeetingRead] = []
    if access != Access.PUBLIC:
        members = list_members(db, community_id=community_id, actor=actor, on=today)
        meetings = list_meetings(db, community_id=community_id, actor=actor)
    me = None
    if actor.official_id is not None and actor.role == OFFICIAL:
        me = next((m for m in members if m.official_id == actor.official_id and m.left_on is None), None)
    waiting = 0
    if sees_everyone(actor.role, access):
        stmt = select(func.count()).where(
            CommunityJoinRequest.community_id == community_id, CommunityJoinRequest.state == JoinRequestState.PENDING
        )
        waiting = db.scalar(stmt) or 0
    return CommunityView(
        community=community,
        access=access,
        leaders=[m for m in members if m.left_on is None and m.role != CommunityRole.MEMBER]
        if members
        else leaders_of(db, community_id=community_id, on=today),
        authorities=list_authorities(db, community_id=community_id),
        me=me,
        my_request=my_last_request(db, community_id=community_id, actor=actor) if me is None else None,
        members=members,
        upcoming=[m for m in meetings if is_upcoming(m.date, m.end_date, today)],
        past=[m for m in reversed(meetings) if not is_upcoming(m.date, m.end_date, today)],
        pending_requests=waiting,
    )


# --- an official's upcoming meetings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpcomingMeeting:
    """A meeting still to come of a community the official is a member of."""

    meeting: MeetingRead
    community_id: int
    community_he: str
    community_en: str


def upcoming_meetings_of(db: Session, *, official_id: int, today: date, limit: int = 10) -> list[UpcomingMeeting]:
    """The next meetings of the communities the official is currently a member of, soonest first, those cancelled
    left out (one query)."""
    stmt = (
        select(CommunityMeeting, Community.name_he, Community.name_en)
        .join(Community, Community.id == CommunityMeeting.community_id)
        .join(
            CommunityMember,
            (CommunityMember.community_id == CommunityMeeting.community_id)
            & (CommunityMember.official_id == official_id)
            & CommunityMember.left_on.is_(None),
        )
        .where(
            func.coalesce(CommunityMeeting.end_date, CommunityMeeting.date) >= today,
            CommunityMeeting.cancelled_at.is_(None),
        )
        .order_by(CommunityMeeting.date, CommunityMeeting.starts_at, CommunityMeeting.id)
        .limit(limit)
    )
    return [
        UpcomingMeeting(
            meeting=MeetingRead.model_validate(m), community_id=m.community_id, community_he=he, community_en=en
        )
        for m, he, en in db.execute(stmt)
    ]


def read_member(db: Session, *, member_id: int, actor: Principal, on: date) -> MemberRead:
    """One membership, as written (for the answer of a change to it)."""
    member = db.get(CommunityMember, member_id)
    assert member is not None
    access = access_to(db, community_id=member.community_id, actor=actor)
    stmt = _members_query(member.community_id).where(CommunityMember.id == member_id)  # type: ignore[attr-defined]
    return _member_rows(db, stmt, with_ids=access == Access.MANAGE, on=on)[0]


def read_join_request(db: Session, *, join_request_id: int) -> JoinRequestRead:
    """One request to join, as written (for the answer of a change to it)."""
    stmt = _requests_query(None).where(CommunityJoinRequest.id == join_request_id)  # type: ignore[attr-defined]
    return _request_rows(db, stmt)[0]


def may_manage(db: Session, *, community_id: int, actor: Principal) -> bool:
    """Whether the caller manages the community: an admin, or its current coordinator (`rules.access_of`)."""
    return access_to(db, community_id=community_id, actor=actor) == Access.MANAGE


def current_member_ids(db: Session, *, community_id: int) -> list[int]:
    """The officials who are members of the community now, whatever their circle or role, by id."""
    stmt = select(CommunityMember.official_id).where(
        CommunityMember.community_id == community_id, CommunityMember.left_on.is_(None)
    )
    return sorted(set(db.scalars(stmt)))


def community_exists(db: Session, *, community_id: int) -> bool:
    """Whether there is a community with the id."""
    return db.get(Community, community_id) is not None


def circles_of(db: Session, *, official_id: int) -> dict[int, tuple[str, str]]:
    """The official's current (circle, role) in each community they are a member of, by community id (one query)."""
    stmt = select(CommunityMember.community_id, CommunityMember.circle, CommunityMember.role).where(
        CommunityMember.official_id == official_id, CommunityMember.left_on.is_(None)
    )
    return {cid: (circle, role) for cid, circle, role in db.execute(stmt)}
