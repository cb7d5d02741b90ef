"""Reading cohorts, their sessions and enrolments: the rows the JSON routes and the pages show, set-based."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import BindParameter, ScalarSelect, bindparam, case, func, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.cohorts.models import Cohort, CohortAssessment, CohortSession, Enrolment
from app.cohorts.rules import ENROLLING_STATES, HOLDING_SEAT, CohortState, EnrolmentStatus
from app.cohorts.schemas import CohortRead, EnrolmentRead, SessionRead
from app.db import AnySelect, count_of, read_rows
from app.errors import NotFound
from app.officials.models import Official
from app.officials.scoping import check_official_visible, scope_officials
from app.programmes.models import Programme
from app.schemas import Page

# --- cohorts -------------------------------------------------------------------------------------------


_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
# The enrolments a cohort's row counts, by status (withdrawn ones are not shown).
_COUNTED = (
    EnrolmentStatus.ENROLLED,
    EnrolmentStatus.WAITLISTED,
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.NOT_COMPLETED,
)


def _enrolled_with(status: EnrolmentStatus) -> ScalarSelect[int]:
    return (
        select(func.count())
        .where(Enrolment.cohort_id == Cohort.id, Enrolment.status == status)
        .correlate(Cohort)
        .scalar_subquery()
    )


# What a cohort's reading shows of its own columns.
_COHORT_COLUMNS = (
    Cohort.id,
    Cohort.code,
    Cohort.start_date,
    Cohort.end_date,
    Cohort.capacity,
    Cohort.state,
    Cohort.location,
    Cohort.online,
    Cohort.coordinator_name,
    Cohort.coordinator_email,
    Cohort.min_attendance_pct,
    Cohort.late_credit_pct,
)
# Built once, run with the ids as a parameter: each cohort with its programme's code, its scheduled hours and its
# counts of enrolments by status in one statement, and the assessments it requires in a second.
_COHORTS = (
    select(
        *_COHORT_COLUMNS,
        Programme.code.label("programme_code"),
        select(func.coalesce(func.sum(CohortSession.hours), 0))
        .where(CohortSession.cohort_id == Cohort.id)
        .correlate(Cohort)
        .scalar_subquery()
        .label("scheduled_hours"),
        *(_enrolled_with(status).label(status.value) for status in _COUNTED),
    )
    .join(Programme, Programme.id == Cohort.programme_id)
    .where(Cohort.id.in_(_IDS))
)
_ASSESSMENTS = (
    select(CohortAssessment.cohort_id, CohortAssessment.code)
    .where(CohortAssessment.cohort_id.in_(_IDS))
    .order_by(CohortAssessment.id)
)


def read_cohorts(db: Session, ids: list[int]) -> list[CohortRead]:
    """The cohorts with these ids, in that order, with their programme, scheduled hours, counts and assessments."""
    if not ids:
        return []
    found = {row.id: row._mapping for row in read_rows(db, _COHORTS, {"ids": ids})}
    assessments: dict[int, list[str]] = {i: [] for i in ids}
    for row in read_rows(db, _ASSESSMENTS, {"ids": ids}):
        assessments[row.cohort_id].append(row.code)
    return [
        CohortRead(
            **{column.key: found[i][column.key] for column in _COHORT_COLUMNS},
            programme_code=found[i]["programme_code"],
            required_assessments=assessments[i],
            scheduled_hours=float(found[i]["scheduled_hours"] or 0),
            enrolled=found[i][EnrolmentStatus.ENROLLED.value],
            waitlisted=found[i][EnrolmentStatus.WAITLISTED.value],
            completed=found[i][EnrolmentStatus.COMPLETED.value],
            not_completed=found[i][EnrolmentStatus.NOT_COMPLETED.value],
        )
        for i in ids
        if i in found
    ]


def read_cohort(db: Session, *, cohort_id: int) -> CohortRead:
    """One cohort with its scheduled hours and counts; 404 when there is none."""
    rows = read_cohorts(db, [cohort_id])
    if not rows:
        raise NotFound(f"no cohort with id {cohort_id}")
    return rows[0]


def list_cohorts(
    db: Session,
    *,
    programme: str | None,
    state: CohortState | None,
    limit: int,
    offset: int,
    date_from: date | None = None,
    date_to: date | None = None,
    online: bool | None = None,
) -> Page[CohortRead]:
    """Cohorts, newest first, by programme code and state, meeting (any day of theirs) within the dates given, online
    or in person; with the total before paging."""
    stmt = select(Cohort.id)
    if programme:
        stmt = stmt.join(Programme, Programme.id == Cohort.programme_id).where(Programme.code == programme)
    if state:
        stmt = stmt.where(Cohort.state == state)
    if date_from is not None:
        stmt = stmt.where(Cohort.end_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(Cohort.start_date <= date_to)
    if online is not None:
        stmt = stmt.where(Cohort.online.is_(online))
    total = count_of(db, stmt)
    ids = db.scalars(stmt.order_by(Cohort.start_date.desc(), Cohort.id.desc()).limit(limit).offset(offset))
    return Page(items=read_cohorts(db, list(ids)), total=total)


def other_cohorts(db: Session, *, cohort_id: int) -> list[tuple[int, str, date]]:
    """(id, code, start date) of the other cohorts of the same programme open for enrolment (or running): where an
    enrolment may move to."""
    programme_id = select(Cohort.programme_id).where(Cohort.id == cohort_id).scalar_subquery()
    stmt = (
        select(Cohort.id, Cohort.code, Cohort.start_date)
        .where(Cohort.programme_id == programme_id, Cohort.id != cohort_id, Cohort.state.in_(ENROLLING_STATES))
        .order_by(Cohort.start_date, Cohort.id)
    )
    return [(i, code, start) for i, code, start in db.execute(stmt)]


def _require_cohort(db: Session, cohort_id: int) -> None:
    if db.scalar(select(Cohort.id).where(Cohort.id == cohort_id)) is None:
        raise NotFound(f"no cohort with id {cohort_id}")


# --- sessions ------------------------------------------------------------------------------------------


def list_sessions(db: Session, *, cohort_id: int) -> list[SessionRead]:
    """A cohort's sessions in date order; 404 when there is no such cohort."""
    _require_cohort(db, cohort_id)
    stmt = select(CohortSession).where(CohortSession.cohort_id == cohort_id)
    return [SessionRead.model_validate(s) for s in db.scalars(stmt.order_by(CohortSession.date, CohortSession.id))]


def read_session(db: Session, *, session_id: int) -> SessionRead:
    """One session of a cohort; 404 when there is none."""
    item = db.scalar(select(CohortSession).where(CohortSession.id == session_id))
    if item is None:
        raise NotFound(f"no session with id {session_id}")
    return SessionRead.model_validate(item)


# --- enrolments ----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _enrolment_query() -> AnySelect:
    """Enrolments with their cohort, programme and official name: the columns of `EnrolmentRead`, in its order."""
    return (
        select(
            Enrolment.id,
            Enrolment.cohort_id,
            Cohort.code.label("cohort_code"),
            Programme.code.label("programme_code"),
            Enrolment.official_id,
            (Official.first_name_he + " " + Official.last_name_he).label("official_name_he"),
            Enrolment.status,
            Enrolment.waitlist_position,
            Enrolment.requirement_id,
            Enrolment.enrolled_on,
            Enrolment.ended_on,
            Enrolment.attended_hours,
            Enrolment.completed_on,
            Enrolment.decision_reason,
        )
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Programme, Programme.id == Cohort.programme_id)
        .join(Official, Official.id == Enrolment.official_id)
    )


_ENROLMENT_READS = TypeAdapter(list[EnrolmentRead])


def _enrolment_reads(db: Session, stmt: AnySelect, parameters: dict[str, Any] | None = None) -> list[EnrolmentRead]:
    """The rows of a select of `_enrolment_query`'s columns, checked as `EnrolmentRead`s in one call."""
    return _ENROLMENT_READS.validate_python(read_rows(db, stmt, parameters).all(), from_attributes=True)


def read_enrolment(db: Session, *, enrolment_id: int, actor: Principal) -> EnrolmentRead:
    """One enrolment the caller may see; 404 otherwise."""
    rows = _enrolment_reads(db, scope_officials(_enrolment_query().where(Enrolment.id == enrolment_id), actor))
    if not rows:
        raise NotFound(f"no enrolment with id {enrolment_id}")
    return rows[0]


# Seats first, then the waitlist, then those who left.
_STATUS_ORDER = case(
    {**dict.fromkeys(HOLDING_SEAT, 0), EnrolmentStatus.WAITLISTED: 1, EnrolmentStatus.WITHDRAWN: 2},
    value=Enrolment.status,
)


def cohort_enrolments(db: Session, *, cohort_id: int, actor: Principal) -> list[EnrolmentRead]:
    """A cohort's enrolments the caller may see: seats first, then the waitlist in order, then withdrawn."""
    _require_cohort(db, cohort_id)
    return _enrolment_reads(db, scope_officials(_cohort_enrolments_query(), actor), {"cohort_id": cohort_id})


@lru_cache(maxsize=1)
def _cohort_enrolments_query() -> AnySelect:
    """A cohort's enrolments (the parameter `cohort_id`) in the order of its roster (built once)."""
    stmt = _enrolment_query().where(Enrolment.cohort_id == bindparam("cohort_id"))
    return stmt.order_by(_STATUS_ORDER, Enrolment.waitlist_position, Official.last_name_he, Enrolment.id)


def official_enrolments(db: Session, *, official_id: int, actor: Principal) -> list[EnrolmentRead]:
    """An official's enrolments, newest cohort first; 404 when the official is not within the caller's scope."""
    check_official_visible(db, official_id=official_id, actor=actor)
    return _enrolment_reads(db, _official_enrolments_query(), {"official_id": official_id})


@lru_cache(maxsize=1)
def _official_enrolments_query() -> AnySelect:
    """An official's enrolments (the parameter `official_id`), newest cohort first (built once: it keeps its cache
    key)."""
    stmt = _enrolment_query().where(Enrolment.official_id == bindparam("official_id"))
    return stmt.order_by(Cohort.start_date.desc(), Enrolment.id.desc())
