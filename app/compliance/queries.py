"""Rule 3 as one set-based SQL query: the status of every requirement as of a date, for the whole country.

It computes exactly what `rules.status_as_of` computes one requirement at a time (a property test holds the
two together), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, extract, func, literal, or_, select

from app.cohorts.models import Cohort, Enrolment
from app.compliance.models import Completion, Requirement, RequirementRequest
from app.compliance.rules import DUE_SOON_DAYS
from app.officials.models import Appointment
from app.programmes.models import Programme


def seated_on(as_of: date) -> ColumnElement[bool]:
    """An enrolment held a seat on the date: seated by then, and not yet withdrawn (a withdrawal ends it)."""
    return and_(Enrolment.seated_on <= as_of, or_(Enrolment.ended_on.is_(None), Enrolment.ended_on > as_of))


def _date_key(col: Any) -> ColumnElement[Any]:
    """YYYYMMDD as a number: adding N years is adding N*10000, and comparing keys compares dates exactly as
    relativedelta's clamping does (29 Feb + 1 year = 28 Feb, and nothing lies between 28 Feb and 1 Mar)."""
    return extract("year", col) * 10000 + extract("month", col) * 100 + extract("day", col)


def status_query(as_of: date) -> Select[Any]:
    """Requirements whose appointment started by the date, with due_date, status, due_soon, late, completed_on."""
    R, A, P, C = Requirement, Appointment, Programme, Completion
    counts = or_(
        and_(C.completed_on >= A.start_date, or_(A.end_date.is_(None), C.completed_on <= A.end_date)),
        and_(
            C.completed_on < A.start_date,
            or_(
                P.validity_years.is_(None),
                _date_key(C.completed_on) + P.validity_years * 10000 >= _date_key(A.start_date),
            ),
        ),
    )
    done = (
        select(R.id.label("rid"), func.min(C.completed_on).label("first_done"))
        .join(A, A.id == R.appointment_id)
        .join(P, P.id == R.programme_id)
        .join(C, and_(C.official_id == A.official_id, C.programme_id == R.programme_id))
        .where(C.completed_on <= as_of, A.start_date <= as_of, counts)
        .group_by(R.id)
        .subquery("done")
    )
    decided = and_(RequirementRequest.state == "approved", RequirementRequest.decided_on <= as_of)
    extended = (
        select(
            RequirementRequest.requirement_id.label("rid"), func.max(RequirementRequest.requested_due_date).label("to")
        )
        .where(RequirementRequest.kind == "extension", decided)
        .group_by(RequirementRequest.requirement_id)
        .subquery("extended")
    )
    exempted = (
        select(RequirementRequest.requirement_id.label("rid"))
        .where(RequirementRequest.kind == "exemption", decided)
        .group_by(RequirementRequest.requirement_id)
        .subquery("exempted")
    )
    busy = (
        select(R.id.label("rid"))
        .join(A, A.id == R.appointment_id)
        .join(Enrolment, Enrolment.official_id == A.official_id)
        .join(Cohort, and_(Cohort.id == Enrolment.cohort_id, Cohort.programme_id == R.programme_id))
        .where(
            A.start_date <= as_of,
            seated_on(as_of),
            Cohort.end_date >= as_of,
        )
        .group_by(R.id)
        .subquery("busy")
    )
    due = case((extended.c.to > R.due_date, extended.c.to), else_=R.due_date)
    status = case(
        (done.c.first_done.is_not(None), literal("completed")),
        (exempted.c.rid.is_not(None), literal("exempt")),
        (A.end_date < as_of, literal("closed")),
        (due < as_of, literal("overdue")),
        (busy.c.rid.is_not(None), literal("in_progress")),
        else_=literal("not_started"),
    )
    soon_limit = as_of + timedelta(days=DUE_SOON_DAYS)
    due_soon = and_(
        done.c.first_done.is_(None),
        exempted.c.rid.is_(None),
        or_(A.end_date.is_(None), A.end_date >= as_of),
        due >= as_of,
        due <= soon_limit,
    )
    late = and_(done.c.first_done.is_not(None), done.c.first_done > due)
    return (
        select(
            R.id.label("id"),
            R.appointment_id.label("appointment_id"),
            A.official_id.label("official_id"),
            A.role_code.label("role_code"),
            A.authority_code.label("authority_code"),
            P.code.label("programme_code"),
            A.start_date.label("appointment_start"),
            A.end_date.label("appointment_end"),
            due.label("due_date"),
            status.label("status"),
            case((due_soon, True), else_=False).label("due_soon"),
            case((late, True), else_=False).label("late"),
            done.c.first_done.label("completed_on"),
        )
        .join(A, A.id == R.appointment_id)
        .join(P, P.id == R.programme_id)
        .outerjoin(done, done.c.rid == R.id)
        .outerjoin(extended, extended.c.rid == R.id)
        .outerjoin(exempted, exempted.c.rid == R.id)
        .outerjoin(busy, busy.c.rid == R.id)
        .where(A.start_date <= as_of)
    )
