"""The graduates network's services and reads: joining and leaving the directory (dated, audited), membership of the
graduates community following it, contact details hidden unless chosen, and the directory's search."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth import OFFICIAL, Principal
from app.clock import today
from app.communities import service as communities
from app.communities.models import Community, CommunityMember
from app.communities.schemas import CommunityCreate, MemberCreate
from app.errors import Conflict, Forbidden, Invalid
from app.graduates import selectors, service
from app.graduates.models import GraduateProfile
from app.graduates.schemas import GraduateProfileUpdate
from app.officials.models import Official
from app.programmes.models import Programme
from tests.factories import ACTOR, make_appointment, make_certified, make_completion, make_official, make_programme


def as_official(official: Official) -> Principal:
    """The principal of an official's account."""
    return Principal(user_id=None, label=f"official {official.id}", role=OFFICIAL, official_id=official.id)


STAFF = Principal(user_id=None, label="auditor", role="auditor")


def make_graduate(
    db: Session,
    *,
    programme: Programme | None = None,
    on: date = date(2024, 6, 30),
    authority: str = "0031",
    role: str = "treasurer",
    **names: object,
) -> Official:
    """An official serving now, with a completion (by decision) of a programme."""
    official = make_official(db, **names)
    make_appointment(db, official, authority=authority, role=role, start=date(2023, 1, 1))
    make_completion(db, official, programme or make_programme(db, kind="advanced"), on)
    return official


def join(db: Session, official: Official, **choices: object) -> GraduateProfile:
    data = GraduateProfileUpdate.model_validate({"opted_in": True, **choices})
    return service.save_profile(db, data=data, actor=as_official(official))


def leave(db: Session, official: Official) -> GraduateProfile:
    return service.save_profile(db, data=GraduateProfileUpdate(opted_in=False), actor=as_official(official))


def make_network(db: Session) -> Community:
    data = CommunityCreate(code="GRADS", name_he="רשת הבוגרים", name_en="Graduates", field="בוגרים", kind="graduates")
    return communities.create_community(db, data=data, actor=ACTOR)


def memberships(db: Session, community: Community, official: Official) -> list[CommunityMember]:
    stmt = select(CommunityMember).where(
        CommunityMember.community_id == community.id, CommunityMember.official_id == official.id
    )
    return list(db.scalars(stmt.order_by(CommunityMember.id)))


def directory_ids(db: Session, **query: object) -> list[int]:
    page = selectors.search_directory(
        db,
        query=selectors.DirectoryQuery(**query),
        actor=STAFF,
        on=today(),
        limit=500,
        offset=0,  # type: ignore[arg-type]
    )
    return [g.official_id for g in page.items]


def test_joining_and_leaving_the_directory_moves_the_graduate_in_and_out_of_the_network(db: Session) -> None:
    network = make_network(db)
    graduate = make_graduate(db)
    assert graduate.id not in directory_ids(db)  # nobody appears without joining

    profile = join(db, graduate)
    assert (profile.opted_in, profile.opted_in_on, profile.opted_out_on) == (True, today(), None)
    assert graduate.id in directory_ids(db)
    [member] = memberships(db, network, graduate)
    assert (member.circle, member.role, member.left_on) == ("wider", "member", None)

    leave(db, graduate)
    assert (profile.opted_in, profile.opted_out_on) == (False, today())
    assert graduate.id not in directory_ids(db)
    assert memberships(db, network, graduate)[0].left_on == today()

    join(db, graduate)  # back again: a new membership, the old one kept as history
    assert [m.left_on for m in memberships(db, network, graduate)] == [today(), None]
    actions = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity_type == "graduate_profile", AuditEvent.entity_id == str(profile.id)
        )
    ).all()
    assert len(actions) == 3


def test_a_coordinator_of_the_network_keeps_running_it_after_leaving_the_directory(db: Session) -> None:
    network = make_network(db)
    graduate = make_graduate(db)
    communities.add_member(
        db, community_id=network.id, data=MemberCreate(official_id=graduate.id, role="coordinator"), actor=ACTOR
    )
    join(db, graduate)
    leave(db, graduate)
    [member] = memberships(db, network, graduate)
    assert (member.role, member.left_on) == ("coordinator", None)


def test_without_a_network_joining_the_directory_joins_no_community_until_one_is_made(db: Session) -> None:
    graduate = make_graduate(db)
    join(db, graduate)
    network = make_network(db)
    assert memberships(db, network, graduate) == []
    join(db, graduate, about="תקציב ורכש")  # saving again makes sure of the membership
    assert len(memberships(db, network, graduate)) == 1


def test_the_school_has_one_graduates_network(db: Session) -> None:
    make_network(db)
    data = CommunityCreate(code="GRADS2", name_he="שוב", name_en="Again", field="בוגרים", kind="graduates")
    with pytest.raises(Conflict) as refused:
        communities.create_community(db, data=data, actor=ACTOR)
    assert refused.value.code == "duplicate_graduates_network"


def test_only_a_graduate_has_a_profile(db: Session) -> None:
    stranger = make_official(db)
    with pytest.raises(Forbidden) as refused:
        join(db, stranger)
    assert refused.value.code == "not_a_graduate"
    with pytest.raises(Forbidden):
        service.save_profile(db, data=GraduateProfileUpdate(opted_in=True), actor=STAFF)
    assert db.scalar(select(GraduateProfile).where(GraduateProfile.official_id == stranger.id)) is None


def test_contact_details_are_shown_only_when_chosen(db: Session) -> None:
    quiet = make_graduate(db, email="quiet@example.org")
    on_record = make_graduate(db, email="record@example.org")
    entered = make_graduate(db, email="record2@example.org")
    join(db, quiet, email="other@example.org", phone="052-5551234")
    join(db, on_record, show_email=True)
    join(db, entered, show_email=True, email="work@example.org", show_phone=True, phone="052 555 1234")
    page = selectors.search_directory(
        db, query=selectors.DirectoryQuery(), actor=STAFF, on=today(), limit=500, offset=0
    )
    shown = {g.official_id: (g.email, g.phone) for g in page.items}
    assert shown[quiet.id] == (None, None)
    assert shown[on_record.id] == ("record@example.org", None)
    assert shown[entered.id] == ("work@example.org", "+972525551234")


def test_a_contact_detail_shown_must_be_given(db: Session) -> None:
    graduate = make_graduate(db, email=None)
    with pytest.raises(Invalid) as refused:
        join(db, graduate, show_email=True)
    assert refused.value.field == "email"
    with pytest.raises(ValueError, match="phone"):
        GraduateProfileUpdate(opted_in=True, show_phone=True)
    with pytest.raises(ValueError, match="phone"):
        GraduateProfileUpdate(opted_in=True, phone="12")


def test_the_directory_is_searched_by_name_authority_programme_year_and_current_role(db: Session) -> None:
    budget = make_programme(db, kind="advanced")
    noa = make_graduate(
        db,
        programme=budget,
        on=date(2023, 7, 1),
        first_name_he="נוֹעָה",
        last_name_he="ברק",
        first_name_en="Noa",
        last_name_en="Barak",
        authority="0070",
        role="city_engineer",
    )
    yossi = make_graduate(db, on=date(2025, 3, 1), first_name_he="יוסי", last_name_he="לוי", first_name_en="Yossi")
    hidden = make_graduate(db, programme=budget, first_name_he="נועה", last_name_he="ברקת")
    for g in (noa, yossi):
        join(db, g)
    assert directory_ids(db, q="נועה") == [noa.id]  # niqqud or none, the registry's rule; `hidden` never joined
    assert directory_ids(db, q="barak") == [noa.id]
    assert noa.id in directory_ids(db, q="אשדוד")  # her authority's name
    assert directory_ids(db, q=noa.national_id) == []  # never by ID number
    assert directory_ids(db, programme=budget.code) == [noa.id]
    assert directory_ids(db, programme=budget.code, year=2024) == []
    assert directory_ids(db, year=2025) == [yossi.id]
    assert directory_ids(db, role="city_engineer", authority="0070") == [noa.id]
    # Only the roles held now: Yossi's past appointment as legal adviser does not find him.
    make_appointment(db, yossi, role="legal_adviser", start=date(2020, 1, 1), end=date(2021, 1, 1))
    assert yossi.id not in directory_ids(db, role="legal_adviser")
    assert hidden.id not in directory_ids(db)


def test_the_directory_shows_roles_and_programmes_with_cohort_and_year_and_pages(db: Session) -> None:
    graduate = make_official(db, last_name_he="אאא")
    make_appointment(db, graduate, authority="0031", role="treasurer", start=date(2023, 1, 1))
    certified = make_certified(db, graduate, start=date(2024, 1, 1))
    join(db, graduate)
    others = [make_graduate(db, last_name_he="תתת" + "א" * i) for i in range(3)]
    for o in others:
        join(db, o)
    page = selectors.search_directory(db, query=selectors.DirectoryQuery(), actor=STAFF, on=today(), limit=2, offset=0)
    assert page.total >= 4 and len(page.items) == 2
    first = page.items[0]
    assert first.official_id == graduate.id
    assert [(p.role_code, p.authority_code) for p in first.posts] == [("treasurer", "0031")]
    [done] = first.programmes
    assert (done.cohort_code, done.year) == (certified.cohort.code, 2024)


def test_who_may_search(db: Session) -> None:
    graduate = make_graduate(db)
    with pytest.raises(Forbidden) as refused:
        selectors.search_directory(
            db, query=selectors.DirectoryQuery(), actor=as_official(graduate), on=today(), limit=10, offset=0
        )
    assert refused.value.code == "join_required"
    join(db, graduate)
    assert selectors.standing(db, actor=as_official(graduate)) == "member"
    with pytest.raises(Forbidden) as refused:
        selectors.graduates_events(db, actor=as_official(make_official(db)), today=today())
    assert refused.value.code == "not_a_graduate"


def test_the_events_are_the_networks_meetings(db: Session) -> None:
    from app.communities.schemas import MeetingCreate

    network = make_network(db)
    for title, day in (("מפגש עבר", today() - timedelta(days=30)), ("כנס בוגרים", today() + timedelta(days=20))):
        communities.schedule_meeting(
            db, community_id=network.id, data=MeetingCreate(title=title, kind="in_person", date=day), actor=ACTOR
        )
    events = selectors.graduates_events(db, actor=STAFF, today=today())
    assert [m.title for m in events.upcoming] == ["כנס בוגרים"]
    assert [m.title for m in events.past] == ["מפגש עבר"]
