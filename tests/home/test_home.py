"""The official's home: what to do next about each requirement, the cohorts with their progress, the
certificates; read in the same number of statements for ten of each as for one."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import today
from app.cohorts.rules import EnrolmentStatus
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.compliance.rules import RequirementStatus
from app.compliance.service import request_extension
from app.home import rules
from app.home.rules import OpenCohort, Place, Step
from app.home.selectors import official_home
from tests.factories import (
    ACTOR,
    counting_statements,
    headers,
    make_appointment,
    make_certified,
    make_official,
    make_programme,
    make_user,
)

S = RequirementStatus
DAY = date(2026, 12, 1)


# --- the rule ----------------------------------------------------------------------------------------------


def _place(status: EnrolmentStatus, next_session: date | None = None, position: int | None = None) -> Place:
    return Place(status=status, cohort_id=7, cohort_code="C7", waitlist_position=position, next_session=next_session)


def test_the_next_step_of_each_kind_of_requirement() -> None:
    opening = OpenCohort(cohort_id=9, cohort_code="C9", start_date=date(2027, 1, 10))
    for settled in (S.COMPLETED, S.EXEMPT, S.CLOSED):
        assert rules.next_step(settled, place=None, open_cohort=opening).step == Step.DONE
    attend = rules.next_step(S.IN_PROGRESS, place=_place(EnrolmentStatus.ENROLLED, date(2026, 12, 8)), open_cohort=None)
    assert (attend.step, attend.on, attend.cohort_code) == (Step.ATTEND, date(2026, 12, 8), "C7")
    held = rules.next_step(S.OVERDUE, place=_place(EnrolmentStatus.ENROLLED), open_cohort=opening)
    assert held.step == Step.AWAIT_RESULT
    waiting = rules.next_step(S.NOT_STARTED, place=_place(EnrolmentStatus.WAITLISTED, position=3), open_cohort=opening)
    assert (waiting.step, waiting.position) == (Step.WAITLISTED, 3)
    enrol = rules.next_step(S.NOT_STARTED, place=None, open_cohort=opening)
    assert (enrol.step, enrol.on, enrol.cohort_id) == (Step.ENROL, date(2027, 1, 10), 9)
    assert rules.next_step(S.OVERDUE, place=None, open_cohort=None).step == Step.AWAIT_COHORT
    assert rules.days_left(date(2026, 12, 31), today=DAY) == 30
    assert rules.days_left(date(2026, 11, 30), today=DAY) == -1


# --- the home ----------------------------------------------------------------------------------------------


def _cohort(db: Session, programme_code: str, *, start: date, capacity: int = 10, sessions: int = 1) -> int:
    cohort = create_cohort(
        db,
        data=CohortCreate(
            programme_code=programme_code,
            code=f"{programme_code}-{start:%y%m%d}",
            start_date=start,
            end_date=start + timedelta(days=60),
            capacity=capacity,
        ),
        actor=ACTOR,
    )
    for i in range(sessions):
        add_session(
            db, cohort_id=cohort.id, data=SessionCreate(date=start + timedelta(days=7 * i), hours=3), actor=ACTOR
        )
    return cohort.id


ROLES = (
    "treasurer",
    "director_general",
    "city_engineer",
    "hr_manager",
    "town_appearance_manager",
    "council_secretary",
    "legal_adviser",
    "internal_auditor",
    "education_head",
    "economic_development_manager",
    "strategy_manager",
)


def _official_of_every_kind(db: Session, roles: tuple[str, ...] = ROLES[:1]) -> int:
    """An official of Ofakim appointed to each of these roles, each owing a mandatory programme of its own for which a
    cohort is open; enrolled in as many cohorts of advanced programmes with sessions to come, with as many
    certificates, and an extension asked for on one requirement."""
    start = today() + timedelta(days=14)
    official = make_official(db)
    for role in roles:
        owed = make_programme(db, roles=[role])
        make_appointment(db, official, role=role, start=today() - timedelta(days=400))
        _cohort(db, owed.code, start=start)
        attending = make_programme(db, kind="advanced")
        cohort_id = _cohort(db, attending.code, start=start, sessions=2)
        enrol_official(db, cohort_id=cohort_id, official_id=official.id, actor=ACTOR)
        make_certified(db, official, start=today() - timedelta(days=200))
    db.flush()
    home = official_home(db, official_id=official.id, actor=ACTOR, today=today())
    first = home.requirements[0].requirement
    later = first.due_date + timedelta(days=90)
    request_extension(db, requirement_id=first.id, requested_due_date=later, reason="a long leave", actor=ACTOR)
    db.flush()
    return official.id


def test_the_home_says_what_to_do_next_and_shows_cohorts_progress_and_certificates(db: Session) -> None:
    official_id = _official_of_every_kind(db)
    home = official_home(db, official_id=official_id, actor=ACTOR, today=today())
    [owed] = home.requirements
    assert owed.requirement.status == S.NOT_STARTED
    assert owed.next.step == Step.ENROL and owed.next.on == today() + timedelta(days=14)
    assert owed.days_left == (owed.requirement.due_date - today()).days
    assert owed.pending is not None and owed.pending.kind == "extension" and owed.can_ask is False
    assert owed.role.he and owed.authority.en == "Ofaqim" and owed.programme.en
    # Newest cohort first: the one to come, with its next session and progress; then the completed one.
    coming, done = home.cohorts
    assert coming.enrolment.status == EnrolmentStatus.ENROLLED
    assert coming.next_session is not None and coming.next_session.date == today() + timedelta(days=14)
    assert coming.progress.scheduled_hours == 6 and coming.progress.attended_hours == 0
    assert done.enrolment.status == EnrolmentStatus.COMPLETED and done.next_session is None
    assert done.progress.attended_hours == 3
    [certificate] = home.certificates
    assert certificate.enrolment_id == done.enrolment.id and certificate.verification_url.endswith(
        certificate.verification_code
    )


def test_the_home_of_ten_of_each_runs_as_many_statements_as_the_home_of_one(db: Session) -> None:
    one, ten = _official_of_every_kind(db, ROLES[:1]), _official_of_every_kind(db, ROLES[1:])
    with counting_statements(db) as of_one:
        small = official_home(db, official_id=one, actor=ACTOR, today=today())
    with counting_statements(db) as of_ten:
        big = official_home(db, official_id=ten, actor=ACTOR, today=today())
    assert (len(small.requirements), len(small.cohorts), len(small.certificates)) == (1, 2, 1)
    assert (len(big.requirements), len(big.cohorts), len(big.certificates)) == (10, 20, 10)
    assert len(of_ten) == len(of_one)


def test_an_official_reads_their_own_home_and_nobody_elses(db: Session, client: TestClient) -> None:
    official_id = _official_of_every_kind(db)
    me = make_user(
        db,
        "official",
        official=db.get_one(__import__("app.officials.models", fromlist=["Official"]).Official, official_id),
    )
    r = client.get(f"/api/v1/officials/{official_id}/home", headers=headers(me))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["requirements"][0]["next"]["step"] == "enrol"
    assert body["requirements"][0]["pending"]["state"] == "pending"
    other = make_official(db)
    assert client.get(f"/api/v1/officials/{other.id}/home", headers=headers(me)).status_code == 404


def test_a_cohort_already_under_way_is_not_proposed(db: Session) -> None:
    official_id = _official_of_every_kind(db, ROLES[2:3])
    home = official_home(db, official_id=official_id, actor=ACTOR, today=today() + timedelta(days=15))
    [owed] = home.requirements
    assert owed.next.step == Step.AWAIT_COHORT  # its only open cohort started yesterday
