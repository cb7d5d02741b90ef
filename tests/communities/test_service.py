"""The services of communities: creating one, members joining, changing, leaving and rejoining (history kept),
networks of authorities and their teams, requests to join and their decisions, meetings and their attendance; and
who may do each (an admin any community, its coordinator their own, no one else)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth import AUDITOR, OFFICIAL, Principal
from app.clock import today
from app.communities import selectors, service
from app.communities.models import Community, CommunityAttendance, CommunityMeeting
from app.communities.rules import Access
from app.communities.schemas import (
    AuthorityLinkCreate,
    CommunityCreate,
    JoinRequestCreate,
    JoinRequestDecision,
    MeetingAttendanceIn,
    MeetingAttendanceSheet,
    MeetingCreate,
    MeetingUpdate,
    MemberCreate,
    MemberUpdate,
)
from app.errors import Conflict, Forbidden, Invalid
from app.officials.models import Official
from tests.factories import ACTOR, make_appointment, make_official

_codes = iter(range(1, 1_000_000))


def as_official(official: Official, user_id: int | None = None) -> Principal:
    """The principal of an official's account."""
    return Principal(user_id=user_id, label=f"official {official.id}", role=OFFICIAL, official_id=official.id)


@dataclass
class Seeded:
    community: Community
    coordinator: Official
    members: list[Official]  # core members, each serving in an authority
    meeting: CommunityMeeting  # a meeting a week from today


def seed_community(
    db: Session,
    *,
    members: int = 3,
    code: str | None = None,
    actor: Principal = ACTOR,
    name_he: str = "ראשי מחלקות חינוך",
) -> Seeded:
    """A community with a coordinator, core members (each with an appointment) and a meeting next week."""
    community = service.create_community(
        db,
        data=CommunityCreate(
            code=code or f"COM-{next(_codes)}",
            name_he=name_he,
            name_en="Heads of education departments",
            field="חינוך",
        ),
        actor=actor,
    )
    coordinator = make_official(db, first_name_he="מיכל", last_name_he="רכזת")
    make_appointment(db, coordinator, authority="0070")
    service.add_member(
        db,
        community_id=community.id,
        data=MemberCreate(official_id=coordinator.id, role="coordinator", joined_on=date(2025, 1, 1)),
        actor=actor,
    )
    people = []
    for _ in range(members):
        o = make_official(db)
        make_appointment(db, o, authority="0031")
        service.add_member(
            db, community_id=community.id, data=MemberCreate(official_id=o.id, joined_on=date(2025, 1, 1)), actor=actor
        )
        people.append(o)
    meeting = service.schedule_meeting(
        db,
        community_id=community.id,
        data=MeetingCreate(
            title="מפגש פתיחה",
            kind="in_person",
            date=today() + timedelta(days=7),
            starts_at=time(9, 30),
            ends_at=time(13, 0),
            place="בית הספר, ירושלים",
        ),
        actor=actor,
    )
    return Seeded(community=community, coordinator=coordinator, members=people, meeting=meeting)


def test_a_community_is_created_once_by_its_code(db: Session) -> None:
    s = seed_community(db, members=0, code="EDU-1")
    assert s.community.kind == "community"
    with pytest.raises(Conflict) as caught:
        seed_community(db, code="EDU-1")
    assert caught.value.field == "code"
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "community")).all()
    assert any(e.after and e.after["code"] == "EDU-1" for e in events)


def test_only_an_admin_creates_a_community(db: Session) -> None:
    s = seed_community(db, members=0)
    with pytest.raises(Forbidden):
        seed_community(db, actor=as_official(s.coordinator))


def test_leaving_keeps_the_row_and_rejoining_is_a_new_one(db: Session) -> None:
    s = seed_community(db, members=1)
    member = service.current_membership(db, community_id=s.community.id, official_id=s.members[0].id)
    assert member is not None
    service.end_membership(db, community_id=s.community.id, member_id=member.id, left_on=date(2025, 6, 30), actor=ACTOR)
    assert service.current_membership(db, community_id=s.community.id, official_id=s.members[0].id) is None
    again = service.add_member(
        db,
        community_id=s.community.id,
        data=MemberCreate(official_id=s.members[0].id, circle="wider", joined_on=date(2025, 9, 1)),
        actor=ACTOR,
    )
    rows = selectors.list_members(db, community_id=s.community.id, actor=ACTOR, on=today())
    mine = [r for r in rows if r.official_id == s.members[0].id]
    assert [(r.circle, r.joined_on, r.left_on) for r in mine] == [
        ("wider", date(2025, 9, 1), None),
        ("core", date(2025, 1, 1), date(2025, 6, 30)),
    ]
    assert again.id != member.id
    with pytest.raises(Conflict) as caught:
        service.add_member(db, community_id=s.community.id, data=MemberCreate(official_id=s.members[0].id), actor=ACTOR)
    assert caught.value.code == "already_member"


def test_a_membership_cannot_end_before_it_began(db: Session) -> None:
    s = seed_community(db, members=1)
    member = service.current_membership(db, community_id=s.community.id, official_id=s.members[0].id)
    assert member is not None
    with pytest.raises(Invalid) as caught:
        service.end_membership(
            db, community_id=s.community.id, member_id=member.id, left_on=date(2024, 12, 31), actor=ACTOR
        )
    assert caught.value.field == "left_on"


def test_the_coordinator_manages_their_community_and_not_another(db: Session) -> None:
    s = seed_community(db, members=1)
    other = seed_community(db, members=1)
    coordinator = as_official(s.coordinator)
    newcomer = make_official(db)
    service.add_member(db, community_id=s.community.id, data=MemberCreate(official_id=newcomer.id), actor=coordinator)
    member = service.current_membership(db, community_id=s.community.id, official_id=newcomer.id)
    assert member is not None
    service.change_member(
        db,
        community_id=s.community.id,
        member_id=member.id,
        data=MemberUpdate(role="leading_team"),
        actor=coordinator,
    )
    assert member.role == "leading_team"
    with pytest.raises(Forbidden):
        service.add_member(
            db, community_id=other.community.id, data=MemberCreate(official_id=newcomer.id), actor=coordinator
        )
    # A member (not coordinator) manages nothing, not even their own community.
    with pytest.raises(Forbidden):
        service.add_member(
            db,
            community_id=s.community.id,
            data=MemberCreate(official_id=make_official(db).id),
            actor=as_official(s.members[0]),
        )
    assert service.access_to(db, community_id=other.community.id, actor=as_official(s.members[0])) == Access.PUBLIC
    assert service.access_to(db, community_id=s.community.id, actor=as_official(s.members[0])) == Access.READ
    auditor = Principal(user_id=None, label="auditor", role=AUDITOR)
    assert service.access_to(db, community_id=s.community.id, actor=auditor) == Access.READ


def test_a_member_leaves_by_themselves(db: Session) -> None:
    s = seed_community(db, members=2)
    first, second = s.members
    member = service.current_membership(db, community_id=s.community.id, official_id=first.id)
    other = service.current_membership(db, community_id=s.community.id, official_id=second.id)
    assert member is not None and other is not None
    with pytest.raises(Forbidden):
        service.end_membership(db, community_id=s.community.id, member_id=other.id, actor=as_official(first))
    service.end_membership(db, community_id=s.community.id, member_id=member.id, actor=as_official(first))
    assert member.left_on == today()


def test_a_request_to_join_is_accepted_into_a_circle_or_refused_with_a_reason(db: Session) -> None:
    s = seed_community(db, members=0)
    asker, refused = make_official(db), make_official(db)
    request = service.request_to_join(
        db,
        community_id=s.community.id,
        message=JoinRequestCreate(message="  אשמח להצטרף ").message,
        actor=as_official(asker),
    )
    assert request.message == "אשמח להצטרף"
    with pytest.raises(Conflict) as caught:
        service.request_to_join(db, community_id=s.community.id, message=None, actor=as_official(asker))
    assert caught.value.code == "request_pending"
    coordinator = as_official(s.coordinator)
    service.decide_join_request(
        db,
        community_id=s.community.id,
        join_request_id=request.id,
        data=JoinRequestDecision(accept=True, circle="core"),
        actor=coordinator,
    )
    joined = service.current_membership(db, community_id=s.community.id, official_id=asker.id)
    assert joined is not None and (joined.circle, joined.role) == ("core", "member")
    with pytest.raises(Conflict) as decided:
        service.decide_join_request(
            db,
            community_id=s.community.id,
            join_request_id=request.id,
            data=JoinRequestDecision(accept=False, reason="twice"),
            actor=coordinator,
        )
    assert decided.value.code == "already_decided"
    with pytest.raises(ValidationError):
        JoinRequestDecision(accept=False)
    second = service.request_to_join(db, community_id=s.community.id, message=None, actor=as_official(refused))
    service.decide_join_request(
        db,
        community_id=s.community.id,
        join_request_id=second.id,
        data=JoinRequestDecision(accept=False, reason="הקהילה מיועדת לראשי מחלקות"),
        actor=coordinator,
    )
    last = selectors.my_last_request(db, community_id=s.community.id, actor=as_official(refused))
    assert last is not None and (last.state, last.decision_reason) == ("refused", "הקהילה מיועדת לראשי מחלקות")
    assert service.current_membership(db, community_id=s.community.id, official_id=refused.id) is None
    # A member asking again is a conflict; the refused may ask again.
    with pytest.raises(Conflict):
        service.request_to_join(db, community_id=s.community.id, message=None, actor=as_official(asker))
    service.request_to_join(db, community_id=s.community.id, message=None, actor=as_official(refused))


def test_a_network_has_authorities_each_with_its_team(db: Session) -> None:
    network = service.create_community(
        db,
        data=CommunityCreate(
            code="NET-SOUTH", name_he="רשת ערי הדרום", name_en="Southern cities", field="פיתוח", kind="network"
        ),
        actor=ACTOR,
    )
    service.add_authority(db, community_id=network.id, data=AuthorityLinkCreate(authority_code="0031"), actor=ACTOR)
    rep, coordinator = make_official(db), make_official(db)
    # The coordinator (from the school) represents no authority.
    service.add_member(
        db, community_id=network.id, data=MemberCreate(official_id=coordinator.id, role="coordinator"), actor=ACTOR
    )
    with pytest.raises(Invalid) as outside:
        service.add_member(
            db, community_id=network.id, data=MemberCreate(official_id=rep.id, authority_code="0070"), actor=ACTOR
        )
    assert outside.value.code == "not_member_authority"
    service.add_member(
        db, community_id=network.id, data=MemberCreate(official_id=rep.id, authority_code="0031"), actor=ACTOR
    )
    [link] = selectors.list_authorities(db, community_id=network.id)
    assert (link.authority_code, link.name_he) == ("0031", "אופקים")
    service.end_authority(db, community_id=network.id, link_id=link.id, actor=ACTOR)
    assert service.current_membership(db, community_id=network.id, official_id=rep.id) is None
    assert service.current_membership(db, community_id=network.id, official_id=coordinator.id) is not None
    s = seed_community(db, members=0)
    with pytest.raises(Invalid):
        service.add_member(
            db, community_id=s.community.id, data=MemberCreate(official_id=rep.id, authority_code="0031"), actor=ACTOR
        )
    with pytest.raises(Conflict):
        service.add_authority(
            db, community_id=s.community.id, data=AuthorityLinkCreate(authority_code="0031"), actor=ACTOR
        )


def test_meetings_check_their_dates_and_hours(db: Session) -> None:
    on = today() + timedelta(days=30)
    with pytest.raises(ValidationError, match="end_date"):
        MeetingCreate(title="סיור", kind="field_tour", date=on, end_date=on + timedelta(days=1))
    with pytest.raises(ValidationError, match="ends_at"):
        MeetingCreate(title="מפגש", kind="online", date=on, starts_at=time(10), ends_at=time(9))
    seminar = MeetingCreate(title="סמינר", kind="seminar", date=on, end_date=on + timedelta(days=1))
    s = seed_community(db, members=0)
    meeting = service.schedule_meeting(db, community_id=s.community.id, data=seminar, actor=ACTOR)
    assert meeting.end_date == on + timedelta(days=1)
    with pytest.raises(Invalid) as caught:
        service.update_meeting(db, meeting_id=meeting.id, data=MeetingUpdate(kind="online"), actor=ACTOR)
    assert caught.value.field == "end_date"
    service.update_meeting(
        db,
        meeting_id=meeting.id,
        data=MeetingUpdate(minutes="סוכם על צוות משותף", products="מסמך מדיניות https://example.org/a"),
        actor=as_official(s.coordinator),
    )
    assert meeting.minutes == "סוכם על צוות משותף"
    with pytest.raises(Forbidden):
        service.update_meeting(
            db, meeting_id=meeting.id, data=MeetingUpdate(minutes="x"), actor=as_official(make_official(db))
        )


def test_attendance_is_taken_for_the_members_of_the_day(db: Session) -> None:
    s = seed_community(db, members=2)
    outsider = make_official(db)
    first, second = s.members
    sheet = MeetingAttendanceSheet(
        records=[
            MeetingAttendanceIn(official_id=first.id, status="present"),
            MeetingAttendanceIn(official_id=second.id, status="late", note="הגיע/ה באיחור"),
            MeetingAttendanceIn(official_id=outsider.id, status="present"),
        ]
    )
    report = service.record_meeting_attendance(
        db, meeting_id=s.meeting.id, sheet=sheet, actor=as_official(s.coordinator)
    )
    assert [(r.result, r.error) for r in report.rows] == [
        ("created", None),
        ("created", None),
        ("refused", "not_member"),
    ]
    again = service.record_meeting_attendance(
        db,
        meeting_id=s.meeting.id,
        sheet=MeetingAttendanceSheet(
            records=[
                MeetingAttendanceIn(official_id=first.id, status="present"),
                MeetingAttendanceIn(official_id=second.id, status="absent"),
            ]
        ),
        actor=ACTOR,
    )
    assert [r.result for r in again.rows] == ["unchanged", "updated"]
    kept = db.scalar(
        select(CommunityAttendance).where(
            CommunityAttendance.meeting_id == s.meeting.id, CommunityAttendance.official_id == second.id
        )
    )
    assert kept is not None and (kept.status, kept.note) == ("absent", "הגיע/ה באיחור")
    view = selectors.meeting_view(db, meeting_id=s.meeting.id, actor=ACTOR)
    assert view.taken == 2 and len(view.roll) == 3
    # A member who left before the meeting is not on its roll.
    member = service.current_membership(db, community_id=s.community.id, official_id=first.id)
    assert member is not None
    service.end_membership(db, community_id=s.community.id, member_id=member.id, left_on=today(), actor=ACTOR)
    db.execute(delete(CommunityAttendance).where(CommunityAttendance.official_id == first.id))
    assert first.id not in {
        r.official_id for r in selectors.meeting_view(db, meeting_id=s.meeting.id, actor=ACTOR).roll
    }
    with pytest.raises(Forbidden):
        service.record_meeting_attendance(db, meeting_id=s.meeting.id, sheet=sheet, actor=as_official(second))


def test_a_member_sees_the_upcoming_meetings_of_their_communities_only(db: Session) -> None:
    s = seed_community(db, members=1)
    other = seed_community(db, members=0)
    service.schedule_meeting(
        db,
        community_id=s.community.id,
        data=MeetingCreate(title="מפגש שעבר", kind="online", date=today() - timedelta(days=3)),
        actor=ACTOR,
    )
    upcoming = selectors.upcoming_meetings_of(db, official_id=s.members[0].id, today=today())
    assert [u.meeting.id for u in upcoming] == [s.meeting.id]
    assert upcoming[0].community_he == "ראשי מחלקות חינוך"
    theirs = selectors.upcoming_meetings_of(db, official_id=other.coordinator.id, today=today())
    assert [u.meeting.id for u in theirs] == [other.meeting.id]
    assert selectors.upcoming_meetings_of(db, official_id=make_official(db).id, today=today()) == []


def test_the_list_puts_my_communities_first(db: Session) -> None:
    first = seed_community(db, members=0, name_he="א קהילה")
    second = seed_community(db, members=2, name_he="ת קהילה")
    page = selectors.list_communities(db, actor=as_official(second.members[0]))
    ids = [c.id for c in page.items]
    assert ids.index(second.community.id) < ids.index(first.community.id)
    mine = next(c for c in page.items if c.id == second.community.id)
    assert (mine.my_role, mine.core_members, mine.wider_members) == ("member", 3, 0)


def test_a_non_member_sees_only_the_public_part(db: Session) -> None:
    s = seed_community(db, members=2)
    stranger = as_official(make_official(db))
    view = selectors.community_view(db, community_id=s.community.id, actor=stranger, today=today())
    assert view.access == Access.PUBLIC
    assert view.members == [] and view.upcoming == []
    assert [m.official_id for m in view.leaders] == [s.coordinator.id]
    with pytest.raises(Forbidden):
        selectors.list_members(db, community_id=s.community.id, actor=stranger, on=today())
    with pytest.raises(Forbidden):
        selectors.meeting_view(db, meeting_id=s.meeting.id, actor=stranger)
    member = selectors.community_view(db, community_id=s.community.id, actor=as_official(s.members[0]), today=today())
    assert member.access == Access.READ and len(member.current) == 3
    assert all(m.national_id is None for m in member.members)  # IDs are for those who manage it
    assert selectors.meeting_view(db, meeting_id=s.meeting.id, actor=as_official(s.members[0])).roll == []
    managed = selectors.list_members(db, community_id=s.community.id, actor=as_official(s.coordinator), on=today())
    assert all(m.national_id for m in managed)
    assert {m.authority_he for m in managed} == {"אופקים", "אשדוד"}
