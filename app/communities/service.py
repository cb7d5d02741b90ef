"""Use cases of communities: creating and editing them, their members (added, changed, ending, rejoining as a new
row), the authorities of a network, requests to join and their decisions, meetings (scheduled, moved, cancelled: those
invited get the calendar's invitation, update or cancellation by mail) and their attendance. Who may do each is
decided by `rules.access_of` for the caller in the community (`require_access`), whichever door the call comes by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import add_and_record, record_change, snapshot
from app.auth import OFFICIAL, Principal
from app.authorities.service import require_authority
from app.clock import now_utc, today
from app.communities.models import (
    Community,
    CommunityAttendance,
    CommunityAuthority,
    CommunityJoinRequest,
    CommunityMeeting,
    CommunityMember,
)
from app.communities.rules import (
    INVITED_CIRCLES,
    Access,
    Circle,
    CommunityKind,
    CommunityRole,
    JoinRequestState,
    access_of,
    calendar_changed,
    is_upcoming,
    left_on_problem,
    meeting_dates_problem,
    meeting_times_problem,
)
from app.communities.schemas import (
    AuthorityLinkCreate,
    CommunityCreate,
    CommunityUpdate,
    JoinRequestDecision,
    MeetingAttendanceReport,
    MeetingAttendanceRow,
    MeetingAttendanceSheet,
    MeetingCancel,
    MeetingCreate,
    MeetingUpdate,
    MemberCreate,
    MemberUpdate,
)
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.notifications.calendar import CANCEL, REQUEST, ics_attachment, meeting_uid
from app.notifications.calendar import Meeting as CalendarMeeting
from app.notifications.service import NewMessage, Recipient, absolute_link, queue_messages
from app.officials.models import Official
from app.officials.selectors import recipients_of

# --- who may do what ---------------------------------------------------------------------------------------------


def current_membership(db: Session, *, community_id: int, official_id: int) -> CommunityMember | None:
    """The official's current membership of the community, if any."""
    stmt = select(CommunityMember).where(
        CommunityMember.community_id == community_id,
        CommunityMember.official_id == official_id,
        CommunityMember.left_on.is_(None),
    )
    return db.scalar(stmt)


def access_to(db: Session, *, community_id: int, actor: Principal) -> Access:
    """What the caller may do in the community (rules.access_of), by their current role in it."""
    role = None
    if actor.role == OFFICIAL and actor.official_id is not None:
        member = current_membership(db, community_id=community_id, official_id=actor.official_id)
        role = member.role if member is not None else None
    return access_of(actor.role, role)


def require_access(db: Session, *, community_id: int, actor: Principal, needed: Access) -> Access:
    """The caller's access, when it is at least `needed`; 403 otherwise (the community itself is no secret)."""
    got = access_to(db, community_id=community_id, actor=actor)
    order = [Access.PUBLIC, Access.READ, Access.MANAGE]
    if order.index(got) < order.index(needed):
        what = "manage" if needed == Access.MANAGE else "read the members and meetings of"
        raise Forbidden(f"only its coordinator or an admin may {what} community {community_id}", code="forbidden")
    return got


def get_community(db: Session, *, community_id: int) -> Community:
    """One community; 404 when there is none."""
    community = db.get(Community, community_id)
    if community is None:
        raise NotFound(f"no community with id {community_id}")
    return community


def get_meeting(db: Session, *, meeting_id: int) -> CommunityMeeting:
    """One meeting; 404 when there is none."""
    meeting = db.get(CommunityMeeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting with id {meeting_id}")
    return meeting


# --- communities ---------------------------------------------------------------------------------------------------


def create_community(db: Session, *, data: CommunityCreate, actor: Principal) -> Community:
    """A new community (admins)."""
    if access_of(actor.role, None) != Access.MANAGE:
        raise Forbidden("only an admin creates a community")
    if db.scalar(select(Community.id).where(Community.code == data.code)) is not None:
        raise Conflict(f"a community with code {data.code!r} already exists", code="duplicate_community", field="code")
    graduates = select(Community.id).where(Community.kind == CommunityKind.GRADUATES)
    if data.kind == CommunityKind.GRADUATES and db.scalar(graduates) is not None:
        raise Conflict("the school has a graduates network already", code="duplicate_graduates_network", field="kind")
    now = now_utc()
    community = Community(**data.model_dump(), created_at=now, updated_at=now)
    add_and_record(db, community, actor=actor, entity_type="community")
    return community


def update_community(db: Session, *, community_id: int, data: CommunityUpdate, actor: Principal) -> Community:
    """Change a community's names, field or description (its coordinator or an admin); audited with before and
    after. A name or the field sent empty is refused by the schema; the description sent empty is removed."""
    community = get_community(db, community_id=community_id)
    require_access(db, community_id=community_id, actor=actor, needed=Access.MANAGE)
    before = snapshot(community, exclude=("updated_at",))
    for name in data.model_fields_set:
        setattr(community, name, getattr(data, name))
    if record_change(db, community, before=before, actor=actor, entity_type="community", exclude=("updated_at",)):
        community.updated_at = now_utc()
    return community


# --- members -------------------------------------------------------------------------------------------------------


def _official(db: Session, official_id: int) -> Official:
    official = db.get(Official, official_id)
    if official is None:
        raise Invalid(f"official_id: there is no official with id {official_id}", field="official_id", code="invalid")
    return official


def _network_authority(db: Session, community: Community, authority_code: str | None) -> str | None:
    """The member authority a network's member represents (one of its current authorities; none for one who
    represents none, as a coordinator from the school); never outside a network."""
    if authority_code is None:
        return None
    if community.kind != CommunityKind.NETWORK:
        raise Invalid("authority_code: only a network's members represent an authority", field="authority_code")
    linked = db.scalar(
        select(CommunityAuthority.id).where(
            CommunityAuthority.community_id == community.id,
            CommunityAuthority.authority_code == authority_code,
            CommunityAuthority.left_on.is_(None),
        )
    )
    if linked is None:
        raise Invalid(
            f"authority_code: {authority_code} is not a member authority of this network",
            field="authority_code",
            code="not_member_authority",
        )
    return authority_code


def add_member(db: Session, *, community_id: int, data: MemberCreate, actor: Principal) -> CommunityMember:
    """Add an official to the community (its coordinator or an admin); one who is already a member is a conflict,
    one who left rejoins as a new row."""
    community = get_community(db, community_id=community_id)
    require_access(db, community_id=community_id, actor=actor, needed=Access.MANAGE)
    return _join(db, community=community, data=data, actor=actor)


def _join(db: Session, *, community: Community, data: MemberCreate, actor: Principal) -> CommunityMember:
    official = _official(db, data.official_id)
    if current_membership(db, community_id=community.id, official_id=official.id) is not None:
        raise Conflict(
            f"official {official.id} is already a member of community {community.id}",
            code="already_member",
            field="official_id",
        )
    member = CommunityMember(
        community_id=community.id,
        official_id=official.id,
        circle=data.circle,
        role=data.role,
        authority_code=_network_authority(db, community, data.authority_code),
        joined_on=data.joined_on or today(),
        created_at=now_utc(),
    )
    add_and_record(db, member, actor=actor, entity_type="community_member")
    return member


def join_by_right(db: Session, *, community_id: int, official_id: int, actor: Principal) -> CommunityMember:
    """An official joins a community's wider circle as a member by a right another part of the school decided, with
    no coordinator's decision: a graduate who joins the graduates directory joins the graduates network's community."""
    community = get_community(db, community_id=community_id)
    data = MemberCreate(official_id=official_id, circle=Circle.WIDER, role=CommunityRole.MEMBER)
    return _join(db, community=community, data=data, actor=actor)


def _member(db: Session, *, community_id: int, member_id: int) -> CommunityMember:
    member = db.get(CommunityMember, member_id)
    if member is None or member.community_id != community_id:
        raise NotFound(f"no member with id {member_id} in community {community_id}")
    return member


def change_member(
    db: Session, *, community_id: int, member_id: int, data: MemberUpdate, actor: Principal
) -> CommunityMember:
    """Change a current member's circle or role (its coordinator or an admin)."""
    require_access(db, community_id=community_id, actor=actor, needed=Access.MANAGE)
    member = _member(db, community_id=community_id, member_id=member_id)
    if member.left_on is not None:
        raise Conflict(f"membership {member_id} ended on {member.left_on}", code="membership_ended")
    before = snapshot(member)
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is not None:
            setattr(member, name, value)
    record_change(db, member, before=before, actor=actor, entity_type="community_member")
    return member


def end_membership(
    db: Session, *, community_id: int, member_id: int, left_on: Any = None, actor: Principal
) -> CommunityMember:
    """End a membership on a day (today when not said): by the coordinator or an admin, or by the member."""
    member = _member(db, community_id=community_id, member_id=member_id)
    own = actor.role == OFFICIAL and actor.official_id == member.official_id
    if not own:
        require_access(db, community_id=community_id, actor=actor, needed=Access.MANAGE)
    if member.left_on is not None:
        raise Conflict(f"membership {member_id} ended on {member.left_on}", code="membership_ended")
    last = left_on or today()
    if (why := left_on_problem(member.joined_on, last)) is not None:
        raise Invalid(f"left_on: {why}", field="left_on")
    before = snapshot(member)
    member.left_on = last
    record_change(db, member, before=before, actor=actor, entity_type="community_member", action="leave")
    return member


# --- the authorities of a network ----------------------------------------------------------------------------------


def add_authority(db: Session, *, community_id: int, data: AuthorityLinkCreate, actor: Principal) -> CommunityAuthority:
    """An authority joins a network (its coordinator or an admin)."""
    community = get_community(db, community_id=community_id)
    require_access(db, community_id=community_id, actor=actor, needed=Access.MANAGE)
    if community.kind != CommunityKind.NETWORK:
        raise Conflict(f"community {community.code} is no network of authorities", code="not_network")
    require_authority(db, code=data.authority_code)
    current = select(CommunityAuthority.id).where(
        CommunityAuthority.community_id == community_id,
        CommunityAuthority.authority_code == data.authority_code,
        CommunityAuthority.left_on.is_(None),
    )
    if db.scalar(current) is not None:
        raise Conflict(
            f"authority {data.authority_code} is already in the network", code="already_member", field="authority_code"
        )
    link = CommunityAuthority(
        community_id=community_id,
        authority_code=data.authority_code,
        joined_on=data.joined_on or today(),
        created_at=now_utc(),
    )
    add_and_record(db, link, actor=actor, entity_type="community_authority")
    return link


def end_authority(
    db: Session, *, community_id: int, link_id: int, left_on: Any = None, actor: Principal
) -> CommunityAuthority:
    """An authority leaves a network; the members of its team leave with it on the same day."""
    require_access(db, community_id=community_id, actor=actor, needed=Access.MANAGE)
    link = db.get(CommunityAuthority, link_id)
    if link is None or link.community_id != community_id:
        raise NotFound(f"no member authority with id {link_id} in community {community_id}")
    if link.left_on is not None:
        raise Conflict(f"authority {link.authority_code} left on {link.left_on}", code="membership_ended")
    last = left_on or today()
    if (why := left_on_problem(link.joined_on, last)) is not None:
        raise Invalid(f"left_on: {why}", field="left_on")
    before = snapshot(link)
    link.left_on = last
    record_change(db, link, before=before, actor=actor, entity_type="community_authority", action="leave")
    team = select(CommunityMember).where(
        CommunityMember.community_id == community_id,
        CommunityMember.authority_code == link.authority_code,
        CommunityMember.left_on.is_(None),
    )
    for member in db.scalars(team):
        end_membership(
            db, community_id=community_id, member_id=member.id, left_on=max(last, member.joined_on), actor=actor
        )
    return link


# --- requests to join ----------------------------------------------------------------------------------------------


def request_to_join(db: Session, *, community_id: int, message: str | None, actor: Principal) -> CommunityJoinRequest:
    """An official asks to join a community they are not in; one request waits at a time."""
    get_community(db, community_id=community_id)
    if actor.role != OFFICIAL or actor.official_id is None:
        raise Forbidden("only an official asks to join a community")
    if current_membership(db, community_id=community_id, official_id=actor.official_id) is not None:
        raise Conflict("you are already a member of this community", code="already_member")
    waiting = select(CommunityJoinRequest.id).where(
        CommunityJoinRequest.community_id == community_id,
        CommunityJoinRequest.official_id == actor.official_id,
        CommunityJoinRequest.state == JoinRequestState.PENDING,
    )
    if db.scalar(waiting) is not None:
        raise Conflict("your request to join this community is waiting for a decision", code="request_pending")
    request = CommunityJoinRequest(
        community_id=community_id,
        official_id=actor.official_id,
        message=message,
        state=JoinRequestState.PENDING,
        requested_at=now_utc(),
    )
    add_and_record(db, request, actor=actor, entity_type="community_join_request")
    return request


def decide_join_request(
    db: Session, *, community_id: int, join_request_id: int, data: JoinRequestDecision, actor: Principal
) -> CommunityJoinRequest:
    """Accept a request (the official joins the circle chosen, as a member) or refuse it with a reason: the
    community's coordinator or an admin, once; a request already decided is a conflict."""
    require_access(db, community_id=community_id, actor=actor, needed=Access.MANAGE)
    request = db.scalar(
        select(CommunityJoinRequest)
        .where(CommunityJoinRequest.id == join_request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if request is None or request.community_id != community_id:
        raise NotFound(f"no request with id {join_request_id} in community {community_id}")
    if request.state != JoinRequestState.PENDING:
        raise Conflict(f"request {join_request_id} was already {request.state}", code="already_decided")
    before = snapshot(request)
    request.state = JoinRequestState.ACCEPTED if data.accept else JoinRequestState.REFUSED
    request.decision_reason = data.reason
    request.decided_at = now_utc()
    request.decided_by_user_id = actor.user_id
    record_change(db, request, before=before, actor=actor, entity_type="community_join_request", action="decide")
    if data.accept and current_membership(db, community_id=community_id, official_id=request.official_id) is None:
        add_member(
            db,
            community_id=community_id,
            data=MemberCreate(official_id=request.official_id, circle=data.circle, role=CommunityRole.MEMBER),
            actor=actor,
        )
    return request


# --- meetings ------------------------------------------------------------------------------------------------------


def schedule_meeting(db: Session, *, community_id: int, data: MeetingCreate, actor: Principal) -> CommunityMeeting:
    """A new meeting of the community (its coordinator or an admin)."""
    get_community(db, community_id=community_id)
    require_access(db, community_id=community_id, actor=actor, needed=Access.MANAGE)
    now = now_utc()
    fields = data.model_dump()
    if fields["end_date"] == fields["date"]:
        fields["end_date"] = None
    meeting = CommunityMeeting(community_id=community_id, **fields, sequence=0, created_at=now, updated_at=now)
    add_and_record(db, meeting, actor=actor, entity_type="community_meeting")
    _tell_invited(db, meeting=meeting, change="invited")
    return meeting


def update_meeting(db: Session, *, meeting_id: int, data: MeetingUpdate, actor: Principal) -> CommunityMeeting:
    """Change a meeting's details, agenda, minutes or products (its community's coordinator or an admin)."""
    meeting = get_meeting(db, meeting_id=meeting_id)
    require_access(db, community_id=meeting.community_id, actor=actor, needed=Access.MANAGE)
    before = snapshot(meeting)
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    if meeting.cancelled_at is not None and calendar_changed(before, {**before, **_as_snapshot(changes)}):
        raise Conflict(f"meeting {meeting_id} was cancelled: it no longer moves", code="meeting_cancelled")
    after = {**before, **changes}
    on, end = changes.get("date", meeting.date), changes.get("end_date", meeting.end_date)
    if end == on:
        changes["end_date"] = end = None
    if (problem := meeting_dates_problem(after["kind"], on, end)) is not None:
        raise Invalid(f"{problem[0]}: {problem[1]}", field=problem[0])
    starts, ends = changes.get("starts_at", meeting.starts_at), changes.get("ends_at", meeting.ends_at)
    if (why := meeting_times_problem(starts, ends)) is not None:
        raise Invalid(f"ends_at: {why}", field="ends_at")
    was = meeting.date
    for name, value in changes.items():
        setattr(meeting, name, value)
    moved = calendar_changed(before, snapshot(meeting))
    if moved:
        meeting.sequence += 1
    if snapshot(meeting) != before:
        meeting.updated_at = now_utc()
        record_change(db, meeting, before=before, actor=actor, entity_type="community_meeting", exclude=("updated_at",))
    if moved:
        _tell_invited(db, meeting=meeting, change="moved", was=was)
    return meeting


def _as_snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """Values as `snapshot` writes them (dates and times as ISO text), to compare with one."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}


def cancel_meeting(db: Session, *, meeting_id: int, data: MeetingCancel, actor: Principal) -> CommunityMeeting:
    """Cancel a meeting, with why (its community's coordinator or an admin): it stays listed as cancelled and takes
    no attendance; those invited to it, if it is still to come, get the calendar's cancellation. Once (409
    `meeting_cancelled`); a meeting with attendance recorded took place (409 `meeting_has_attendance`)."""
    meeting = get_meeting(db, meeting_id=meeting_id)
    require_access(db, community_id=meeting.community_id, actor=actor, needed=Access.MANAGE)
    # Under a lock of its row, so that of two cancellations at once one wins and the other is told (409).
    db.scalar(
        select(CommunityMeeting)
        .where(CommunityMeeting.id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if meeting.cancelled_at is not None:
        raise Conflict(f"meeting {meeting_id} was already cancelled", code="meeting_cancelled")
    taken = select(CommunityAttendance.id).where(CommunityAttendance.meeting_id == meeting_id).limit(1)
    if db.scalar(taken) is not None:
        raise Conflict(f"meeting {meeting_id} has attendance recorded: it took place", code="meeting_has_attendance")
    before = snapshot(meeting)
    meeting.cancelled_at = meeting.updated_at = now_utc()
    meeting.cancel_reason = data.reason
    meeting.sequence += 1
    record_change(
        db,
        meeting,
        before=before,
        actor=actor,
        entity_type="community_meeting",
        action="cancel",
        exclude=("updated_at",),
    )
    _tell_invited(db, meeting=meeting, change="cancelled")
    return meeting


# --- invitations (.ics) ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingFacts:
    """What the messages about a community's meeting are written from: the meeting as a calendar event (`event`)
    and as their templates' context (`context`)."""

    meeting_id: int
    sequence: int
    community_he: str
    community_en: str
    title: str
    kind: str
    on: date
    end_date: date | None
    starts_at: time | None
    ends_at: time | None
    place: str | None
    link: str | None

    @classmethod
    def of(cls, community: Community, meeting: CommunityMeeting) -> MeetingFacts:
        return cls(
            meeting_id=meeting.id,
            sequence=meeting.sequence,
            community_he=community.name_he,
            community_en=community.name_en,
            title=meeting.title,
            kind=meeting.kind,
            on=meeting.date,
            end_date=meeting.end_date,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            place=meeting.place,
            link=meeting.link,
        )

    def event(self) -> CalendarMeeting:
        """The meeting as a calendar event: one UID for its life, its sequence, its hours when it has them, its place
        (or its link, for an online one), and the link in its description."""
        return CalendarMeeting(
            uid=meeting_uid("community-meeting", self.meeting_id),
            sequence=self.sequence,
            summary=f"{self.title} ({self.community_he} / {self.community_en})",
            on=self.on,
            last_day=self.end_date,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            location=self.place or self.link,
            description=self.link,
        )

    def context(self) -> dict[str, Any]:
        """What the templates say of the meeting: its community, title, when and where, its page."""
        return {
            "community": {"he": self.community_he, "en": self.community_en},
            "title": self.title,
            "kind": self.kind,
            "on": self.on,
            "end_date": self.end_date,
            "starts_at": self.starts_at.strftime("%H:%M") if self.starts_at else None,
            "ends_at": self.ends_at.strftime("%H:%M") if self.ends_at else None,
            "place": self.place,
            "online_link": self.link,
            "link": absolute_link(f"/communities/meetings/{self.meeting_id}"),
        }


def invited_to(db: Session, *, community_id: int) -> dict[int, Recipient]:
    """Who is invited to the community's meetings (rules.INVITED_CIRCLES: its current core circle), those with an
    email address, by official."""
    stmt = select(CommunityMember.official_id).where(
        CommunityMember.community_id == community_id,
        CommunityMember.left_on.is_(None),
        CommunityMember.circle.in_(INVITED_CIRCLES),
    )
    return recipients_of(db, official_ids=list(db.scalars(stmt)))


def _tell_invited(db: Session, *, meeting: CommunityMeeting, change: str, was: date | None = None) -> int:
    """Tell those invited to a meeting still to come that it was scheduled (an invitation), moved (an update: a
    higher sequence) or cancelled (the calendar's cancellation), each message with the meeting's .ics; one per
    sequence and official, so a rerun queues nothing twice. A meeting in the past (history recorded after the fact)
    sends nothing. How many messages were queued."""
    if not is_upcoming(meeting.date, meeting.end_date, today()) and not (was is not None and was >= today()):
        return 0
    to = invited_to(db, community_id=meeting.community_id)
    if not to:
        return 0
    facts = MeetingFacts.of(get_community(db, community_id=meeting.community_id), meeting)
    cancelled = change == "cancelled"
    attachment = ics_attachment(facts.event(), method=CANCEL if cancelled else REQUEST, stamp=now_utc())
    kind = "meeting_invitation" if change == "invited" else "meeting_changed"
    context = {**facts.context(), "change": change, "was": was, "reason": meeting.cancel_reason}
    return queue_messages(
        db,
        [
            NewMessage(
                kind=kind,
                key=f"{kind}:{meeting.id}:{meeting.sequence}:{official_id}",
                to=recipient,
                context=context,
                attachments=[attachment],
            )
            for official_id, recipient in to.items()
        ],
    )


def _members_on(db: Session, meeting: CommunityMeeting) -> set[int]:
    """The officials who were members of the meeting's community on its first day."""
    stmt = select(CommunityMember.official_id).where(
        CommunityMember.community_id == meeting.community_id,
        CommunityMember.joined_on <= meeting.date,
        (CommunityMember.left_on.is_(None)) | (CommunityMember.left_on >= meeting.date),
    )
    return set(db.scalars(stmt))


def record_meeting_attendance(
    db: Session, *, meeting_id: int, sheet: MeetingAttendanceSheet, actor: Principal
) -> MeetingAttendanceReport:
    """Take or correct a meeting's attendance (its community's coordinator or an admin): each record of a member on
    the meeting's day is written (or found unchanged); one of anyone else is refused at its row."""
    meeting = get_meeting(db, meeting_id=meeting_id)
    require_access(db, community_id=meeting.community_id, actor=actor, needed=Access.MANAGE)
    if meeting.cancelled_at is not None:
        raise Conflict(f"meeting {meeting_id} was cancelled: it takes no attendance", code="meeting_cancelled")
    members = _members_on(db, meeting)
    existing = {
        r.official_id: r
        for r in db.scalars(select(CommunityAttendance).where(CommunityAttendance.meeting_id == meeting_id))
    }
    now = now_utc()
    rows: list[MeetingAttendanceRow] = []
    seen: set[int] = set()
    for record in sheet.records:
        if record.official_id in seen:
            rows.append(MeetingAttendanceRow(official_id=record.official_id, result="refused", error="duplicate_row"))
            continue
        seen.add(record.official_id)
        if record.official_id not in members and record.official_id not in existing:
            rows.append(
                MeetingAttendanceRow(
                    official_id=record.official_id,
                    result="refused",
                    error="not_member",
                    detail=f"official {record.official_id} was not a member on {meeting.date}",
                )
            )
            continue
        found = existing.get(record.official_id)
        note = record.note if "note" in record.model_fields_set else (found.note if found else None)
        if found is None:
            item = CommunityAttendance(
                meeting_id=meeting_id,
                official_id=record.official_id,
                status=record.status,
                note=note,
                recorded_at=now,
                recorded_by_user_id=actor.user_id,
            )
            add_and_record(db, item, actor=actor, entity_type="community_attendance")
            existing[record.official_id] = item
            rows.append(MeetingAttendanceRow(official_id=record.official_id, result="created"))
            continue
        if found.status == record.status and found.note == note:
            rows.append(MeetingAttendanceRow(official_id=record.official_id, result="unchanged"))
            continue
        before = snapshot(found, exclude=("recorded_at", "recorded_by_user_id"))
        found.status, found.note = record.status, note
        found.recorded_at, found.recorded_by_user_id = now, actor.user_id
        record_change(
            db,
            found,
            before=before,
            actor=actor,
            entity_type="community_attendance",
            exclude=("recorded_at", "recorded_by_user_id"),
        )
        rows.append(MeetingAttendanceRow(official_id=record.official_id, result="updated"))
    return MeetingAttendanceReport(rows=rows)
