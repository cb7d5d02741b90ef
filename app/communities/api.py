"""JSON routes of communities: communities, their members and a network's authorities, requests to join and their
decisions, meetings and their attendance. Who may do what within a community is the services' (rules.access_of):
admins manage every community, its coordinator manages it, its members read it, auditors read every one; liaisons
have no part in communities (403)."""

from __future__ import annotations

from typing import Annotated

from app.audit.service import record_list
from app.auth import ADMIN, AUDITOR, OFFICIAL, Principal
from app.clock import today
from app.communities import selectors, service
from app.communities.schemas import (
    AuthorityLinkCreate,
    AuthorityLinkRead,
    CommunityCreate,
    CommunityRead,
    CommunityUpdate,
    JoinRequestCreate,
    JoinRequestDecision,
    JoinRequestRead,
    MeetingAttendanceRead,
    MeetingAttendanceReport,
    MeetingAttendanceSheet,
    MeetingCancel,
    MeetingCreate,
    MeetingRead,
    MeetingUpdate,
    MemberCreate,
    MemberRead,
    MembershipEnd,
    MemberUpdate,
)
from app.knowledge import service as knowledge_service
from app.web.deps import AdminOnly, SessionDep, allow
from app.web.errors import responses
from app.web.pagination import Page, RecordId
from app.web.routing import Router

Reader = Annotated[Principal, allow(ADMIN, AUDITOR, OFFICIAL)]
Manager = Annotated[Principal, allow(ADMIN, OFFICIAL)]
Joiner = Annotated[Principal, allow(OFFICIAL)]

router = Router(prefix="/api/v1", tags=["communities"])


@router.post("/communities", status_code=201, response_model=CommunityRead, responses=responses(401, 403, 409, 422))
def create_community(data: CommunityCreate, db: SessionDep, actor: AdminOnly) -> CommunityRead:
    """A new community of practice, or a network of authorities (`kind: network`). Admins only."""
    community = service.create_community(db, data=data, actor=actor)
    return selectors.read_community(db, community_id=community.id, actor=actor)


@router.get("/communities", response_model=Page[CommunityRead], responses=responses(401, 403))
def list_communities(db: SessionDep, actor: Reader) -> Page[CommunityRead]:
    """Every community with its numbers of members, the caller's own first (`my_role`). Admins, auditors, officials."""
    return selectors.list_communities(db, actor=actor)


# Meetings by their own id, before the routes of one community.


@router.get("/communities/meetings/{meeting_id}", response_model=MeetingRead, responses=responses(401, 403, 404))
def get_meeting(meeting_id: RecordId, db: SessionDep, actor: Reader) -> MeetingRead:
    """One meeting: its community's members, auditors and admins."""
    return selectors.meeting_view(db, meeting_id=meeting_id, actor=actor).meeting


@router.patch(
    "/communities/meetings/{meeting_id}", response_model=MeetingRead, responses=responses(401, 403, 404, 409, 422)
)
def update_meeting(meeting_id: RecordId, data: MeetingUpdate, db: SessionDep, actor: Manager) -> MeetingRead:
    """Change a meeting's details, agenda, minutes or products: its community's coordinator, or an admin. A move (its
    day, hours, place or link changed) raises its calendar sequence and sends its core circle the update (.ics); a
    cancelled meeting no longer moves (409 `meeting_cancelled`). The minutes are filed to the knowledge centre as a
    note of the meeting (for its core members, unless changed there)."""
    meeting = service.update_meeting(db, meeting_id=meeting_id, data=data, actor=actor)
    if "minutes" in data.model_fields_set:
        knowledge_service.file_minutes(db, meeting_id=meeting_id, actor=actor)
    return MeetingRead.model_validate(meeting)


@router.post(
    "/communities/meetings/{meeting_id}/cancel",
    response_model=MeetingRead,
    responses=responses(401, 403, 404, 409, 422),
)
def cancel_meeting(meeting_id: RecordId, data: MeetingCancel, db: SessionDep, actor: Manager) -> MeetingRead:
    """Cancel a meeting, with a `reason`: it stays listed as cancelled and takes no attendance; its core circle, if it
    is still to come, gets the calendar's cancellation (.ics, METHOD:CANCEL). Once (409 `meeting_cancelled`); a
    meeting with attendance recorded is 409 `meeting_has_attendance`. Its community's coordinator, or an admin."""
    return MeetingRead.model_validate(service.cancel_meeting(db, meeting_id=meeting_id, data=data, actor=actor))


@router.get(
    "/communities/meetings/{meeting_id}/attendance",
    response_model=Page[MeetingAttendanceRead],
    responses=responses(401, 403, 404),
)
def meeting_attendance(meeting_id: RecordId, db: SessionDep, actor: Reader) -> Page[MeetingAttendanceRead]:
    """The attendance recorded at a meeting: its community's coordinator, auditors and admins. Written to the access
    log with the officials listed."""
    rows = selectors.meeting_attendance(db, meeting_id=meeting_id, actor=actor)
    subject = f"/api/v1/communities/meetings/{meeting_id}/attendance"
    record_list(db, actor=actor, subject=subject, official_ids=[r.official_id for r in rows])
    return Page(items=rows, total=len(rows))


@router.put(
    "/communities/meetings/{meeting_id}/attendance",
    response_model=MeetingAttendanceReport,
    responses=responses(401, 403, 404, 422),
)
def record_attendance(
    meeting_id: RecordId, data: MeetingAttendanceSheet, db: SessionDep, actor: Manager
) -> MeetingAttendanceReport:
    """Take or correct a meeting's attendance (present, late, excused, absent) for any of its members: each record
    answers `created`, `updated`, `unchanged`, or `refused` with `not_member` (not a member on the meeting's day)
    or `duplicate_row`. Its community's coordinator, or an admin."""
    return service.record_meeting_attendance(db, meeting_id=meeting_id, sheet=data, actor=actor)


@router.get("/communities/{community_id}", response_model=CommunityRead, responses=responses(401, 403, 404))
def get_community(community_id: RecordId, db: SessionDep, actor: Reader) -> CommunityRead:
    """One community: what anyone signed in (but liaisons) may read of it."""
    return selectors.read_community(db, community_id=community_id, actor=actor)


@router.patch("/communities/{community_id}", response_model=CommunityRead, responses=responses(401, 403, 404, 422))
def update_community(community_id: RecordId, data: CommunityUpdate, db: SessionDep, actor: Manager) -> CommunityRead:
    """Change a community's `name_he`, `name_en`, `field` or `description` (its code and kind stay). Its
    coordinator, or an admin; audited."""
    service.update_community(db, community_id=community_id, data=data, actor=actor)
    return selectors.read_community(db, community_id=community_id, actor=actor)


@router.get("/communities/{community_id}/members", response_model=Page[MemberRead], responses=responses(401, 403, 404))
def list_members(community_id: RecordId, db: SessionDep, actor: Reader) -> Page[MemberRead]:
    """Every membership of the community, current first, then those ended (the history): its members, auditors and
    admins; national IDs only to its coordinator and admins. Written to the access log."""
    rows = selectors.list_members(db, community_id=community_id, actor=actor, on=today())
    subject = f"/api/v1/communities/{community_id}/members"
    record_list(db, actor=actor, subject=subject, official_ids=[r.official_id for r in rows])
    return Page(items=rows, total=len(rows))


@router.post(
    "/communities/{community_id}/members",
    status_code=201,
    response_model=MemberRead,
    responses=responses(401, 403, 404, 409, 422),
)
def add_member(community_id: RecordId, data: MemberCreate, db: SessionDep, actor: Manager) -> MemberRead:
    """Add an official (core or wider circle; member, leading team or coordinator; from `joined_on`, today when
    left out); already a member: 409 `already_member`; one who left rejoins as a new membership. In a network,
    `authority_code` names the member authority whose team they are on. Its coordinator, or an admin."""
    member = service.add_member(db, community_id=community_id, data=data, actor=actor)
    return selectors.read_member(db, member_id=member.id, actor=actor, on=today())


@router.patch(
    "/communities/{community_id}/members/{member_id}",
    response_model=MemberRead,
    responses=responses(401, 403, 404, 409, 422),
)
def change_member(
    community_id: RecordId, member_id: RecordId, data: MemberUpdate, db: SessionDep, actor: Manager
) -> MemberRead:
    """Change a current member's circle or role. Its coordinator, or an admin."""
    service.change_member(db, community_id=community_id, member_id=member_id, data=data, actor=actor)
    return selectors.read_member(db, member_id=member_id, actor=actor, on=today())


@router.post(
    "/communities/{community_id}/members/{member_id}/leave",
    response_model=MemberRead,
    responses=responses(401, 403, 404, 409, 422),
)
def end_membership(
    community_id: RecordId, member_id: RecordId, db: SessionDep, actor: Manager, data: MembershipEnd | None = None
) -> MemberRead:
    """End a membership on `left_on` (today when left out); the row stays, as history. Its coordinator, an admin,
    or the member themselves."""
    left_on = data.left_on if data is not None else None
    service.end_membership(db, community_id=community_id, member_id=member_id, left_on=left_on, actor=actor)
    return selectors.read_member(db, member_id=member_id, actor=actor, on=today())


@router.get(
    "/communities/{community_id}/authorities",
    response_model=Page[AuthorityLinkRead],
    responses=responses(401, 403, 404),
)
def list_authorities(community_id: RecordId, db: SessionDep, _: Reader) -> Page[AuthorityLinkRead]:
    """The authorities of a network, current first (none for a community of officials)."""
    rows = selectors.list_authorities(db, community_id=community_id)
    return Page(items=rows, total=len(rows))


@router.post(
    "/communities/{community_id}/authorities",
    status_code=201,
    response_model=AuthorityLinkRead,
    responses=responses(401, 403, 404, 409, 422),
)
def add_authority(
    community_id: RecordId, data: AuthorityLinkCreate, db: SessionDep, actor: Manager
) -> AuthorityLinkRead:
    """An authority joins a network (409 `not_network` for a community of officials). Its coordinator, or an admin."""
    link = service.add_authority(db, community_id=community_id, data=data, actor=actor)
    return next(a for a in selectors.list_authorities(db, community_id=community_id) if a.id == link.id)


@router.post(
    "/communities/{community_id}/authorities/{link_id}/leave",
    response_model=AuthorityLinkRead,
    responses=responses(401, 403, 404, 409, 422),
)
def end_authority(
    community_id: RecordId, link_id: RecordId, db: SessionDep, actor: Manager, data: MembershipEnd | None = None
) -> AuthorityLinkRead:
    """An authority leaves a network on `left_on` (today when left out), and its team with it. Its coordinator, or an
    admin."""
    left_on = data.left_on if data is not None else None
    service.end_authority(db, community_id=community_id, link_id=link_id, left_on=left_on, actor=actor)
    return next(a for a in selectors.list_authorities(db, community_id=community_id) if a.id == link_id)


@router.get(
    "/communities/{community_id}/join-requests",
    response_model=Page[JoinRequestRead],
    responses=responses(401, 403, 404),
)
def list_join_requests(community_id: RecordId, db: SessionDep, actor: Reader) -> Page[JoinRequestRead]:
    """Requests to join, waiting first: its coordinator, auditors and admins. Written to the access log."""
    rows = selectors.list_join_requests(db, community_id=community_id, actor=actor)
    subject = f"/api/v1/communities/{community_id}/join-requests"
    record_list(db, actor=actor, subject=subject, official_ids=[r.official_id for r in rows])
    return Page(items=rows, total=len(rows))


@router.post(
    "/communities/{community_id}/join-requests",
    status_code=201,
    response_model=JoinRequestRead,
    responses=responses(401, 403, 404, 409, 422),
)
def request_to_join(community_id: RecordId, data: JoinRequestCreate, db: SessionDep, actor: Joiner) -> JoinRequestRead:
    """An official asks to join (409 `already_member`, or `request_pending` while one waits). Officials."""
    request = service.request_to_join(db, community_id=community_id, message=data.message, actor=actor)
    return selectors.read_join_request(db, join_request_id=request.id)


@router.post(
    "/communities/{community_id}/join-requests/{join_request_id}/decision",
    response_model=JoinRequestRead,
    responses=responses(401, 403, 404, 409, 422),
)
def decide_join_request(
    community_id: RecordId, join_request_id: RecordId, data: JoinRequestDecision, db: SessionDep, actor: Manager
) -> JoinRequestRead:
    """Accept (the official joins the `circle` given, wider by default) or refuse with a `reason`; once (409
    `already_decided`). Its coordinator, or an admin."""
    service.decide_join_request(db, community_id=community_id, join_request_id=join_request_id, data=data, actor=actor)
    return selectors.read_join_request(db, join_request_id=join_request_id)


@router.get(
    "/communities/{community_id}/meetings", response_model=Page[MeetingRead], responses=responses(401, 403, 404)
)
def list_meetings(community_id: RecordId, db: SessionDep, actor: Reader) -> Page[MeetingRead]:
    """The community's meetings in date order: its members, auditors and admins."""
    rows = selectors.list_meetings(db, community_id=community_id, actor=actor)
    return Page(items=rows, total=len(rows))


@router.post(
    "/communities/{community_id}/meetings",
    status_code=201,
    response_model=MeetingRead,
    responses=responses(401, 403, 404, 422),
)
def schedule_meeting(community_id: RecordId, data: MeetingCreate, db: SessionDep, actor: Manager) -> MeetingRead:
    """A meeting: in person, online (a `link`), a seminar (its last day in `end_date`) or a field tour. Its core
    circle gets an invitation with the meeting's .ics when it is still to come (one recorded in the past sends
    nothing). Its coordinator, or an admin."""
    meeting = service.schedule_meeting(db, community_id=community_id, data=data, actor=actor)
    return MeetingRead.model_validate(meeting)
