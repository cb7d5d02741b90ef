"""Closing holds under concurrency: two closes of one cohort on separate connections give exactly one 200."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.attendance.models import AttendanceRecord
from app.attendance.schemas import AttendanceIn
from app.attendance.service import close_cohort, record_attendance
from app.audit.models import AuditEvent
from app.auth import operator
from app.cohorts.models import Cohort, CohortAssessment, CohortSession, Enrolment
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.completions.models import Completion
from app.db import get_engine, get_sessionmaker, make_engine
from app.errors import Conflict
from app.officials.models import Official
from app.officials.schemas import OfficialCreate
from app.officials.service import create_official
from app.programmes.models import Programme, ProgrammeRole
from app.programmes.schemas import ProgrammeCreate
from app.programmes.service import create_programme
from tests.factories import national_id, trail_removed

# Its own label, so that the clean-up removes exactly the audit events these tests made (SQLite reuses the ids
# of deleted rows, and a stale event would show in the trail of a later record).
ACTOR = operator("test-close-concurrency")
PARALLEL = 2
PEOPLE = 4


@pytest.fixture
def committed_cohort(database: str) -> Iterator[tuple[int, list[int]]]:
    """A cohort with two sessions and four officials who attended, committed so other connections see it."""
    with trail_removed():
        tag = uuid.uuid4().hex[:8]
        with get_sessionmaker().begin() as s:
            programme = create_programme(
                s,
                data=ProgrammeCreate(
                    code=f"CLOSE-{tag}", kind="advanced", title_he="ניהול תקציב", title_en="Budgeting", hours=6
                ),
                actor=ACTOR,
            )
            cohort = create_cohort(
                s,
                data=CohortCreate(
                    programme_code=programme.code,
                    code=f"CL-{tag}",
                    start_date=date(2025, 1, 1),
                    end_date=date(2025, 2, 28),
                    capacity=PEOPLE,
                ),
                actor=ACTOR,
            )
            sessions = [
                add_session(s, cohort_id=cohort.id, data=SessionCreate(date=d, hours=3), actor=ACTOR).id
                for d in (date(2025, 1, 5), date(2025, 2, 5))
            ]
            officials = [
                create_official(
                    s,
                    data=OfficialCreate(national_id=national_id(), first_name_he="רון", last_name_he="לוי"),
                    actor=ACTOR,
                ).id
                for _ in range(PEOPLE)
            ]
            for official_id in officials:
                enrol_official(s, cohort_id=cohort.id, official_id=official_id, actor=ACTOR)
            for sid in sessions:
                records = [AttendanceIn(official_id=o, status="present") for o in officials]
                record_attendance(s, session_id=sid, records=records, actor=ACTOR)
            ids = (programme.id, cohort.id)
        yield ids[1], officials
        with get_sessionmaker().begin() as s:
            enrolments = select(Enrolment.id).where(Enrolment.cohort_id == ids[1])
            s.execute(delete(Completion).where(Completion.enrolment_id.in_(enrolments)))
            s.execute(delete(AttendanceRecord).where(AttendanceRecord.session_id.in_(sessions)))
            s.execute(delete(Enrolment).where(Enrolment.cohort_id == ids[1]))
            s.execute(delete(CohortSession).where(CohortSession.cohort_id == ids[1]))
            s.execute(delete(CohortAssessment).where(CohortAssessment.cohort_id == ids[1]))
            s.execute(delete(Cohort).where(Cohort.id == ids[1]))
            s.execute(delete(ProgrammeRole).where(ProgrammeRole.programme_id == ids[0]))
            s.execute(delete(Programme).where(Programme.id == ids[0]))
            s.execute(delete(Official).where(Official.id.in_(officials)))
            s.execute(delete(AuditEvent).where(AuditEvent.actor_label == ACTOR.label))


@pytest.fixture(scope="module")
def parallel_sessions(database: str) -> Iterator[sessionmaker[Session]]:
    """A session factory whose pool gives every thread a connection of its own."""
    engine = make_engine(get_engine().url.render_as_string(hide_password=False), pool_size=PARALLEL + 2, max_overflow=0)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def test_two_parallel_closes_give_exactly_one_decision(committed_cohort, parallel_sessions):
    cohort_id, _ = committed_cohort
    barrier = threading.Barrier(PARALLEL)
    results: list[object] = [None] * PARALLEL

    def work(i: int) -> None:
        barrier.wait()
        try:
            with parallel_sessions.begin() as s:
                results[i] = close_cohort(s, cohort_id=cohort_id, actor=ACTOR).total
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert [r for r in results if isinstance(r, int)] == [PEOPLE]
    conflicts = [r for r in results if isinstance(r, Exception)]
    assert len(conflicts) == 1 and isinstance(conflicts[0], Conflict) and conflicts[0].code == "cohort_closed"
    with get_sessionmaker().begin() as s:
        enrolments = s.execute(
            select(Enrolment.id, Enrolment.status, Enrolment.completed_on).where(Enrolment.cohort_id == cohort_id)
        ).all()
        completions = s.scalars(
            select(Completion.enrolment_id).where(Completion.enrolment_id.in_([e.id for e in enrolments]))
        ).all()
        state = s.scalar(select(Cohort.state).where(Cohort.id == cohort_id))
    assert state == "closed"
    assert {(e.status, e.completed_on) for e in enrolments} == {("completed", date(2025, 2, 5))}
    assert sorted(completions) == sorted(e.id for e in enrolments)  # one completion each, never two
