"""Capacity holds under concurrency: parallel enrolments on separate connections never overfill a cohort."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth import operator
from app.clock import today
from app.cohorts.models import Cohort, CohortAssessment, Enrolment
from app.cohorts.schemas import CohortCreate
from app.cohorts.service import create_cohort, enrol_official, withdraw_enrolment
from app.db import get_engine, get_sessionmaker, make_engine
from app.officials.models import Official
from app.programmes.models import Programme, ProgrammeRole
from tests.factories import make_official, make_programme, trail_removed

# Each test opens dozens of connections at once (pyproject.toml, markers).
pytestmark = pytest.mark.many_connections

PARALLEL = 50
SEATS = 10


@pytest.fixture
def committed_cohort(database: str) -> Iterator[tuple[int, list[int]]]:
    """A cohort with 10 seats and 50 officials, committed so that other connections see them; removed after, with
    the trail of their changes."""
    with trail_removed():
        tag = uuid.uuid4().hex[:8]
        with get_sessionmaker().begin() as s:
            programme = make_programme(s, code=f"CONC-{tag}", kind="advanced")
            cohort = create_cohort(
                s,
                data=CohortCreate(
                    programme_code=programme.code,
                    code=f"C-{tag}",
                    start_date=today(),
                    end_date=today() + timedelta(days=60),
                    capacity=SEATS,
                ),
                actor=operator("test"),
            )
            officials = [make_official(s).id for _ in range(PARALLEL)]
            ids = (programme.id, cohort.id)
        yield ids[1], officials
        with get_sessionmaker().begin() as s:
            s.execute(delete(Enrolment).where(Enrolment.cohort_id == ids[1]))
            s.execute(delete(CohortAssessment).where(CohortAssessment.cohort_id == ids[1]))
            s.execute(delete(Cohort).where(Cohort.id == ids[1]))
            s.execute(delete(ProgrammeRole).where(ProgrammeRole.programme_id == ids[0]))
            s.execute(delete(Programme).where(Programme.id == ids[0]))
            s.execute(delete(Official).where(Official.id.in_(officials)))


@pytest.fixture(scope="module")
def parallel_sessions(database: str) -> Iterator[sessionmaker[Session]]:
    """A session factory whose pool gives every thread a connection of its own."""
    engine = make_engine(get_engine().url.render_as_string(hide_password=False), pool_size=PARALLEL + 5, max_overflow=0)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def _run_parallel(factory: sessionmaker[Session], fn, args: list) -> list:
    barrier = threading.Barrier(len(args))
    results: list = [None] * len(args)

    def work(i: int) -> None:
        barrier.wait()
        try:
            with factory.begin() as s:
                results[i] = fn(s, args[i])
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(args))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_fifty_parallel_enrolments_fill_exactly_ten_seats(committed_cohort, parallel_sessions):
    cohort_id, officials = committed_cohort

    def enrol(s, official_id):
        e = enrol_official(s, cohort_id=cohort_id, official_id=official_id, actor=operator("test"))
        return e.status, e.waitlist_position

    results = _run_parallel(parallel_sessions, enrol, officials)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    with get_sessionmaker().begin() as s:
        rows = s.execute(
            select(Enrolment.status, Enrolment.waitlist_position, Enrolment.id)
            .where(Enrolment.cohort_id == cohort_id)
            .order_by(Enrolment.id)
        ).all()
    assert sum(1 for r in rows if r.status == "enrolled") == SEATS
    waitlisted = [r for r in rows if r.status == "waitlisted"]
    assert len(waitlisted) == PARALLEL - SEATS
    # A consistent order: positions 1..40, each once, in the order the enrolments were made.
    assert sorted(r.waitlist_position for r in waitlisted) == list(range(1, PARALLEL - SEATS + 1))
    assert [r.waitlist_position for r in sorted(waitlisted, key=lambda r: r.id)] == list(range(1, PARALLEL - SEATS + 1))

    # Parallel withdrawals of five seated officials promote exactly the first five waitlisted.
    seated = [r.id for r in rows if r.status == "enrolled"][:5]
    first_five = [r.id for r in sorted(waitlisted, key=lambda r: r.waitlist_position)][:5]
    results = _run_parallel(
        parallel_sessions, lambda s, eid: withdraw_enrolment(s, enrolment_id=eid, actor=operator("test")).status, seated
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    with get_sessionmaker().begin() as s:
        after = {
            r.id: r
            for r in s.execute(
                select(Enrolment.id, Enrolment.status, Enrolment.waitlist_position).where(
                    Enrolment.cohort_id == cohort_id
                )
            )
        }
    assert sum(1 for r in after.values() if r.status == "enrolled") == SEATS
    assert all(after[i].status == "enrolled" for i in first_five)
    assert sorted(r.waitlist_position for r in after.values() if r.status == "waitlisted") == list(
        range(1, PARALLEL - SEATS - 5 + 1)
    )
