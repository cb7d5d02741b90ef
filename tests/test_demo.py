"""The demo school: every district, every status reachable today, idempotent, and its logins work."""

from __future__ import annotations

import pyotp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.authorities.models import Authority
from app.completions.models import Completion
from app.compliance.selectors import requirement_rows
from app.demo import COMMUNITY_LOGINS, DEMO_LOGINS, DEMO_TOTP_SECRETS, OFFICIAL_EMAIL, load_demo
from app.officials.models import Appointment, Official, Requirement
from app.programmes.models import Programme

COUNTED = (Official, Appointment, Requirement, Completion, Programme, User, AuditEvent)


def _counts(db: Session) -> dict[str, int]:
    return {m.__name__: db.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED}


def test_demo_fills_every_district_and_every_status_once(db: Session) -> None:
    assert load_demo(db) is True

    officials = db.scalar(select(func.count()).select_from(Official)) or 0
    assert 120 <= officials <= 1600  # the school's, and the members of its communities (wider circles of hundreds)
    districts = set(db.scalars(select(Authority.district).where(Authority.active.is_(True))))
    served = set(db.scalars(select(Authority.district).join(Appointment, Appointment.authority_code == Authority.code)))
    assert districts and served == districts

    rows = requirement_rows(db)
    seen = {(r.status, r.late, r.due_soon) for r in rows}
    assert ("completed", False, False) in seen
    assert ("completed", True, False) in seen
    assert ("not_started", False, True) in seen
    statuses = {status for status, _, _ in seen}
    assert statuses == {"completed", "overdue", "closed", "not_started", "in_progress", "exempt"}
    assert {r.programme_code for r in rows} == {"DG-ENTRY", "TREAS-ENTRY", "ENG-ENTRY", "HR-ENTRY", "SPA-ENTRY"}

    # The school's older records are completions by decision, with a reason; last year's cohort was closed.
    assert db.scalar(select(func.count()).where(Completion.source == "decision", Completion.reason.is_(None))) == 0
    assert db.scalar(select(func.count()).where(Completion.source == "cohort")) >= 1
    audited = set(db.scalars(select(AuditEvent.entity_type).where(AuditEvent.actor_label == "demo")))
    assert {"official", "appointment", "requirement", "completion", "programme", "user"} <= audited
    # Some officials moved between authorities.
    movers = select(Appointment.official_id).group_by(Appointment.official_id)
    movers = movers.having(func.count(func.distinct(Appointment.authority_code)) > 1)
    assert len(db.scalars(movers).all()) >= 3

    _the_demo_officials_home_shows_every_kind_of_state(db)
    _the_demo_communities_run_for_a_year(db)
    _the_demo_surveys_reproduce_an_evaluation(db)
    _the_demo_schools_home_has_work_to_show(db)
    _the_demo_graduates_network(db)

    # A second run finds the demo there and adds nothing.
    before = _counts(db)
    assert load_demo(db) is False
    assert _counts(db) == before


def _the_demo_communities_run_for_a_year(db: Session) -> None:
    """The four pilot communities with 30-40 core members each, a wider circle of hundreds, a coordinator and a leading
    team, from authorities across the country; a year of meetings of every kind with attendance, one cancelled; a
    network of authorities with representative teams, the demo official on one; and a meeting to come on the demo
    official's home. The load invites no one to a meeting in the past."""
    from datetime import timedelta

    from app.clock import today
    from app.communities.models import (
        Community,
        CommunityAttendance,
        CommunityAuthority,
        CommunityMeeting,
        CommunityMember,
    )
    from app.communities.selectors import upcoming_meetings_of

    current = CommunityMember.left_on.is_(None)
    for community in db.scalars(select(Community).where(Community.kind == "community")):

        def count(*where: object, community_id: int = community.id) -> int:
            stmt = select(func.count()).where(CommunityMember.community_id == community_id, current, *where)
            return db.scalar(stmt) or 0

        assert 30 <= count(CommunityMember.circle == "core") <= 41, community.code
        assert count(CommunityMember.circle == "wider") >= 150, community.code  # the pilot's wider circle of hundreds
        cancelled = select(func.count()).where(
            CommunityMeeting.community_id == community.id, CommunityMeeting.cancelled_at.is_not(None)
        )
        assert db.scalar(cancelled) == 1, community.code
        assert count(CommunityMember.role == "coordinator") == 1
        assert count(CommunityMember.role == "leading_team") == 4
        kinds = set(db.scalars(select(CommunityMeeting.kind).where(CommunityMeeting.community_id == community.id)))
        assert kinds == {"in_person", "online", "seminar", "field_tour"}
    assert db.scalar(select(func.count()).select_from(Community).where(Community.kind == "community")) == 4
    from app.notifications.models import OutboxMessage

    invited = db.scalars(select(OutboxMessage.key).where(OutboxMessage.kind == "meeting_invitation")).all()
    meeting_ids = {int(key.split(":")[1]) for key in invited}
    dates = db.scalars(select(CommunityMeeting.date).where(CommunityMeeting.id.in_(meeting_ids))).all()
    assert all(d >= today() for d in dates)
    assert db.scalar(select(func.count()).select_from(CommunityAttendance)) > 500
    assert db.scalar(select(func.count()).where(CommunityMember.left_on.is_not(None))) >= 8
    network = db.scalars(select(Community).where(Community.kind == "network")).one()
    assert (db.scalar(select(func.count()).where(CommunityAuthority.community_id == network.id)) or 0) >= 5
    user = db.scalar(select(User).where(User.email == OFFICIAL_EMAIL))
    assert user is not None and user.official_id is not None
    upcoming = upcoming_meetings_of(db, official_id=user.official_id, today=today())
    assert upcoming and upcoming[0].meeting.date <= today() + timedelta(days=60)
    _the_demo_knowledge_centre_holds_the_communities_work(db)


def _the_demo_knowledge_centre_holds_the_communities_work(db: Session) -> None:
    """Each pilot community's minutes filed as notes, documents, links and notes of every visibility."""
    from app.communities.models import CommunityMeeting
    from app.knowledge.models import KnowledgeItem

    with_minutes = select(func.count()).where(CommunityMeeting.minutes.is_not(None))
    minutes = select(func.count()).where(KnowledgeItem.is_minutes)
    assert (db.scalar(minutes) or 0) == (db.scalar(with_minutes) or 0) > 0
    kinds = set(db.execute(select(KnowledgeItem.kind, KnowledgeItem.visibility)))
    assert {k for k, _ in kinds} == {"document", "link", "note"}
    assert {v for _, v in kinds} == {"public", "wider", "core"}


def test_demo_is_deterministic(db: Session) -> None:
    # The plan is a pure function of the seed, the date and the authorities: the same twice.
    from datetime import date
    from random import Random

    from app.demo import SEED, _demo_authorities, _Planner

    authorities = _demo_authorities(db)

    def plan() -> list[tuple[object, ...]]:
        people = _Planner(Random(SEED), date(2026, 3, 1), authorities).plan()
        return [(p.community, p.female, repr(p.holdings), tuple(p.completions)) for p in people]

    assert plan() == plan()


def test_every_demo_login_gets_a_token_and_sees_its_scope(client, db: Session) -> None:
    load_demo(db)
    tokens = {}
    for role, email, password in DEMO_LOGINS:
        assert len(password) >= 10
        form = {"username": email, "password": password}
        if email in DEMO_TOTP_SECRETS:  # the admin and the auditor have a second factor, as their roles must
            form["totp"] = pyotp.TOTP(DEMO_TOTP_SECRETS[email]).now()
        r = client.post("/api/v1/auth/token", data=form)
        assert r.status_code == 200, (role, r.text)
        tokens[role] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        me = client.get("/api/v1/auth/me", headers=tokens[role]).json()
        assert me["role"] == role

    for _role, email, password in COMMUNITY_LOGINS:
        r = client.post("/api/v1/auth/token", data={"username": email, "password": password})
        assert r.status_code == 200, (email, r.text)
        led = client.get("/api/v1/communities", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
        assert led.json()["items"][0]["my_role"] == "coordinator"

    everyone = client.get("/api/v1/officials", headers=tokens["auditor"]).json()["total"]
    mine = client.get("/api/v1/officials", headers=tokens["liaison"]).json()
    assert 0 < mine["total"] < everyone

    own = client.get("/api/v1/officials", headers=tokens["official"]).json()
    assert own["total"] == 1
    official_id = own["items"][0]["id"]
    reqs = client.get(f"/api/v1/officials/{official_id}/requirements", headers=tokens["official"]).json()
    assert reqs["total"] >= 1


def _the_demo_officials_home_shows_every_kind_of_state(db: Session) -> None:
    """A certificate of a completed course, an entry training in progress with a session to come, one not started
    and due soon with an extension waiting for an auditor."""
    from app.auth import operator
    from app.clock import today
    from app.home.rules import Step
    from app.home.selectors import official_home

    user = db.scalar(select(User).where(User.email == OFFICIAL_EMAIL))
    assert user is not None and user.official_id is not None
    home = official_home(db, official_id=user.official_id, actor=operator("test"), today=today())
    by_programme = {r.requirement.programme_code: r for r in home.requirements if r.requirement.status != "closed"}
    treasurer, hr = by_programme["TREAS-ENTRY"], by_programme["HR-ENTRY"]
    assert (treasurer.requirement.status, treasurer.requirement.due_soon) == ("not_started", True)
    assert treasurer.pending is not None and treasurer.pending.requested_by_user_id == user.id
    # The next treasurers' cohort starts after her due date (hence the extension she asked for).
    assert treasurer.next.step == Step.ENROL and treasurer.next.on is not None
    assert treasurer.next.on > treasurer.requirement.due_date
    assert hr.requirement.status == "in_progress" and hr.next.step == Step.ATTEND and hr.next.on is not None
    assert [c.status for c in home.certificates] == ["valid"]
    assert any(c.enrolment.status == "completed" for c in home.cohorts)


def _the_demo_schools_home_has_work_to_show(db: Session) -> None:
    """The running cohorts' sessions of four days ago wait for their attendance on the school's home."""
    from app.clock import now_utc, today
    from app.school.selectors import school_home

    home = school_home(db, today=today(), now=now_utc())
    assert home.sessions_past.total >= 1


def _the_demo_surveys_reproduce_an_evaluation(db: Session) -> None:
    """The trust series has three waves of N 90, 65 and 40 with high agreement rising; a satisfaction survey; two
    waves of the network with more ties in the second; and a short survey after each past meeting of a community."""
    from app.surveys.selectors import list_surveys, network, series_report

    trust = series_report(db, code="trust")
    assert [w.n for w in trust.waves] == [90, 65, 40]
    high = [next(i for i in w.items if i.code == "trust1").high_agreement_pct for w in trust.waves]
    assert high == sorted(high) and all(h is not None and 30 < h < 90 for h in high)
    after = "edu-heads-after-meeting"  # the heads of education departments' short survey after each meeting
    assert {s.series_code for s in list_surveys(db)} == {"trust", "satisfaction", "network", after}
    meetings = list_surveys(db, series=after)
    assert len(meetings) >= 6 and all(s.meeting_id is not None and s.responses > 0 for s in meetings)
    waves = [s for s in list_surveys(db, series="network")]
    first, second = (network(db, survey_id=s.id).figures for s in waves)
    assert first.members == second.members == 30
    assert 0 < first.ties < second.ties and first.central and first.cross_authority_pct is not None


def _the_demo_graduates_network(db: Session) -> None:
    """The graduates network: its community with a coordinator and events past and to come, a few dozen graduates in
    the directory (every one a member of the community, some showing contact details), and the demo official a
    graduate left to join it."""
    from app.auth import Principal
    from app.clock import today
    from app.communities.models import Community, CommunityMember
    from app.graduates.models import GraduateProfile
    from app.graduates.selectors import DirectoryQuery, graduates_events, search_directory, standing

    staff = Principal(user_id=None, label="test", role="auditor")
    network = db.scalars(select(Community).where(Community.kind == "graduates")).one()
    assert (network.name_he, network.name_en) == ("רשת בוגרי בית הספר", "School graduates network")
    events = graduates_events(db, actor=staff, today=today())
    assert len(events.upcoming) >= 2 and len(events.past) >= 1
    directory = search_directory(db, query=DirectoryQuery(), actor=staff, on=today(), limit=500, offset=0)
    assert 24 <= directory.total <= 60
    assert sum(1 for g in directory.items if g.email) >= 5 and sum(1 for g in directory.items if g.phone) >= 5
    assert all(g.posts and g.programmes for g in directory.items)
    members = set(
        db.scalars(
            select(CommunityMember.official_id).where(
                CommunityMember.community_id == network.id, CommunityMember.left_on.is_(None)
            )
        )
    )
    assert {g.official_id for g in directory.items} <= members
    assert (
        db.scalar(
            select(func.count()).where(
                CommunityMember.role == "coordinator", CommunityMember.community_id == network.id
            )
        )
        == 1
    )
    official = db.scalars(select(User).where(User.email == OFFICIAL_EMAIL)).one()
    me = Principal(user_id=official.id, label="official", role="official", official_id=official.official_id)
    assert db.scalar(select(GraduateProfile.id).where(GraduateProfile.official_id == official.official_id)) is None
    assert standing(db, actor=me) == "not_joined"
