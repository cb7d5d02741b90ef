"""The reads of cohorts, attendance and records are set-based: the statements they run do not grow with the
number of officials in a cohort."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import count

from sqlalchemy.orm import Session

from app.attendance import selectors as attendance
from app.attendance.schemas import AssessmentResultIn, AttendanceIn
from app.attendance.service import record_assessment_result, record_attendance
from app.auth import operator
from app.cohorts import selectors as cohorts
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.programmes.rules import ProgrammeKind
from app.programmes.schemas import AssessmentIn, ProgrammeCreate
from app.programmes.service import create_programme
from app.reports import selectors as reports
from tests.factories import counting_statements, make_official

ACTOR = operator("test-selectors")
DATES = (date(2025, 3, 10), date(2025, 3, 17), date(2025, 3, 24))
_codes = count(1)


def _cohort(db: Session, people: int) -> dict[str, int]:
    """A cohort of three sessions and a required assessment, with `people` officials, their attendance and results."""
    programme = create_programme(
        db,
        data=ProgrammeCreate(
            code=f"SEL{next(_codes)}",
            kind=ProgrammeKind.ADVANCED,
            title_he="ניהול תקציב",
            title_en="Budgeting",
            hours=9,
            assessments=[AssessmentIn(code="final_project", title_he="עבודת גמר", title_en="Final project")],
        ),
        actor=ACTOR,
    )
    cohort = create_cohort(
        db,
        data=CohortCreate(
            programme_code=programme.code,
            code=f"{programme.code}-C",
            start_date=date(2025, 3, 1),
            end_date=date(2025, 4, 30),
            capacity=people,
        ),
        actor=ACTOR,
    )
    sessions = [add_session(db, cohort_id=cohort.id, data=SessionCreate(date=d, hours=3), actor=ACTOR) for d in DATES]
    officials = [make_official(db).id for _ in range(people)]
    enrolments = [enrol_official(db, cohort_id=cohort.id, official_id=o, actor=ACTOR).id for o in officials]
    for s in sessions:
        records = [AttendanceIn(official_id=o, status="present") for o in officials]
        record_attendance(db, session_id=s.id, records=records, actor=ACTOR)
    for e in enrolments:
        data = AssessmentResultIn(passed=True, grade=90)
        record_assessment_result(db, enrolment_id=e, code="final_project", data=data, actor=ACTOR)
    db.flush()
    return {
        "cohort": cohort.id,
        "session": sessions[0].id,
        "official": officials[0],
        "enrolment": enrolments[0],
    }


READS: dict[str, Callable[[Session, dict[str, int]], object]] = {
    "cohort": lambda db, ids: cohorts.read_cohort(db, cohort_id=ids["cohort"]),
    "cohorts": lambda db, ids: cohorts.list_cohorts(db, programme=None, state=None, limit=50, offset=0),
    "sessions": lambda db, ids: cohorts.list_sessions(db, cohort_id=ids["cohort"]),
    "cohort enrolments": lambda db, ids: cohorts.cohort_enrolments(db, cohort_id=ids["cohort"], actor=ACTOR),
    "official enrolments": lambda db, ids: cohorts.official_enrolments(db, official_id=ids["official"], actor=ACTOR),
    "session attendance": lambda db, ids: attendance.list_session_attendance(
        db, session_id=ids["session"], actor=ACTOR
    ),
    "results": lambda db, ids: attendance.assessment_results(
        db, enrolment_id=ids["enrolment"], cohort_id=ids["cohort"]
    ),
    "progress": lambda db, ids: attendance.enrolment_progress(db, enrolment_id=ids["enrolment"], actor=ACTOR),
    "closing basis": lambda db, ids: attendance.closing_basis(db, cohort_id=ids["cohort"]),
    "matrix": lambda db, ids: reports.attendance_matrix(db, cohort_id=ids["cohort"], actor=ACTOR),
    "transcript": lambda db, ids: reports.official_transcript(db, official_id=ids["official"], actor=ACTOR),
    "cpd": lambda db, ids: reports.cpd_summary(db, official_id=ids["official"], actor=ACTOR),
}


def _statements(db: Session, ids: dict[str, int]) -> dict[str, int]:
    counts = {}
    for name, read in READS.items():
        db.expire_all()
        with counting_statements(db) as statements:
            read(db, ids)
        counts[name] = len(statements)
    return counts


def test_reads_run_as_many_statements_for_many_officials_as_for_two(db: Session) -> None:
    few = _cohort(db, 2)
    many = _cohort(db, 12)
    assert _statements(db, many) == _statements(db, few)


def test_the_closing_basis_holds_the_cohort_as_it_stands(db: Session) -> None:
    ids = _cohort(db, 3)
    basis = attendance.closing_basis(db, cohort_id=ids["cohort"])
    assert [s.date for s in basis.sessions] == list(DATES)
    assert basis.required == ["final_project"]
    assert len(basis.attendance) == 3
    assert all(marks == [(3.0, "present", None)] * len(DATES) for marks in basis.attendance.values())
    assert basis.results == {e: {"final_project": True} for e in basis.names_he}
    assert len(basis.names_he) == 3
