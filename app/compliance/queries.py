"""Rule 3 as one set-based SQL query: the status of every requirement as of a date, for the whole country.

It computes exactly what `rules.status_as_of` computes one requirement at a time (a property test holds the
two together), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Date, and_, bindparam, case, extract, func, literal, or_, select

from app.cohorts.models import Cohort, Enrolment
from app.completions.models import Completion
from app.compliance.models import RequirementRequest
from app.compliance.rules import DUE_SOON_DAYS, RequestKind, RequestState, RequirementStatus
from app.db import AnySelect
from app.officials.models import Appointment, Requirement
from app.programmes.models import Programme


def seated_on(as_of: date | BindParameter[date]) -> ColumnElement[bool]:
    """An enrolment held a seat on the date: seated by then, and not yet withdrawn (a withdrawal ends it)."""
    return and_(Enrolment.seated_on <= as_of, or_(Enrolment.ended_on.is_(None), Enrolment.ended_on > as_of))


def _date_key(col: Any) -> ColumnElement[Any]:
    """YYYYMMDD as a number: adding N years is adding N*10000, and comparing keys compares dates exactly as
    relativedelta's clamping does (29 Feb + 1 year = 28 Feb, and nothing lies between 28 Feb and 1 Mar)."""
    return extract("year", col) * 10000 + extract("month", col) * 100 + extract("day", col)


# Narrows a select over requirements, appointments and programmes (adds WHERE clauses; the columns stay).
Restrict = Callable[[AnySelect], AnySelect]


# The date as bind parameters, for a status query built once and run for any date (`status_query(AS_OF)`, executed
# with `as_of_parameters(day)`): building the query costs more than running it for one official.
AS_OF = bindparam("as_of", type_=Date)
DUE_SOON_UNTIL = bindparam("due_soon_until", type_=Date)


def as_of_parameters(as_of: date) -> dict[str, date]:
    """The values of AS_OF and DUE_SOON_UNTIL for a date."""
    return {"as_of": as_of, "due_soon_until": as_of + timedelta(days=DUE_SOON_DAYS)}


def status_query(as_of: date | BindParameter[date], restrict: Restrict | None = None) -> AnySelect:
    """Requirements whose appointment started by the date, with due_date, status, due_soon, late, completed_on;
    the cohort the official held a seat in on the date (cohort_code, cohort_end); and the requests on it
    (extensions and exemptions approved by the date, requests pending now).

    `restrict` narrows the requirements first (it may add WHERE clauses on Requirement, Appointment and
    Programme): completions and seats are looked up for those requirements only, so that one authority or one
    official costs a few index look-ups, not the country. `as_of` is a date, or AS_OF (then the statement is run
    with `as_of_parameters`).
    """
    soon_limit: date | BindParameter[date] = (
        DUE_SOON_UNTIL if isinstance(as_of, BindParameter) else as_of + timedelta(days=DUE_SOON_DAYS)
    )
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
    seats = (  # seats held on the date, in cohorts of a programme
        select(Enrolment.official_id, Cohort.programme_id, Cohort.code, Cohort.end_date)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(seated_on(as_of))
        .subquery("seats")
    )
    # One pass: each requirement joined once to its appointment, its official's counting completions of the
    # programme and their seats in its cohorts, folded by min and max (grouping by the primary keys lets the
    # other columns of those rows be selected as they are).
    joined = (
        select(
            R.id,
            R.appointment_id,
            R.due_date.label("base_due"),
            A.official_id,
            A.role_code,
            A.authority_code,
            A.start_date,
            A.end_date,
            P.code.label("programme_code"),
            func.min(C.completed_on).label("first_done"),
            func.max(seats.c.code).label("cohort_code"),
            func.max(seats.c.end_date).label("cohort_end"),
        )
        .join(A, A.id == R.appointment_id)
        .join(P, P.id == R.programme_id)
        .outerjoin(
            C,
            and_(C.official_id == A.official_id, C.programme_id == R.programme_id, C.completed_on <= as_of, counts),
        )
        .outerjoin(seats, and_(seats.c.official_id == A.official_id, seats.c.programme_id == R.programme_id))
        .where(A.start_date <= as_of)
    )
    folded = (restrict(joined) if restrict else joined).group_by(R.id, A.id, P.id).subquery("folded")
    RR = RequirementRequest
    approved = and_(RR.state == RequestState.APPROVED, RR.decided_on <= as_of)

    def n(cond: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((cond, 1), else_=0))

    requests = (
        select(
            RR.requirement_id.label("rid"),
            func.max(case((and_(RR.kind == RequestKind.EXTENSION, approved), RR.requested_due_date))).label(
                "extended_to"
            ),
            n(and_(RR.kind == RequestKind.EXTENSION, approved)).label("extensions"),
            n(and_(RR.kind == RequestKind.EXEMPTION, approved)).label("exemptions"),
            n(RR.state == RequestState.PENDING).label("pending_requests"),
        )
        .group_by(RR.requirement_id)
        .subquery("requests")
    )
    f, rq = folded.c, requests.c
    S = RequirementStatus
    due = case((rq.extended_to > f.base_due, rq.extended_to), else_=f.base_due)
    exempt = rq.exemptions > 0
    status = case(
        (f.first_done.is_not(None), literal(S.COMPLETED.value)),
        (exempt, literal(S.EXEMPT.value)),
        (f.end_date < as_of, literal(S.CLOSED.value)),
        (due < as_of, literal(S.OVERDUE.value)),
        (f.cohort_end >= as_of, literal(S.IN_PROGRESS.value)),
        else_=literal(S.NOT_STARTED.value),
    )
    due_soon = and_(
        f.first_done.is_(None),
        or_(rq.exemptions.is_(None), rq.exemptions == 0),
        or_(f.end_date.is_(None), f.end_date >= as_of),
        due >= as_of,
        due <= soon_limit,
    )
    late = and_(f.first_done.is_not(None), f.first_done > due)
    return (
        select(
            f.id.label("id"),
            f.appointment_id.label("appointment_id"),
            f.official_id.label("official_id"),
            f.role_code.label("role_code"),
            f.authority_code.label("authority_code"),
            f.programme_code.label("programme_code"),
            f.start_date.label("appointment_start"),
            f.end_date.label("appointment_end"),
            due.label("due_date"),
            status.label("status"),
            case((due_soon, True), else_=False).label("due_soon"),
            case((late, True), else_=False).label("late"),
            f.first_done.label("completed_on"),
            f.cohort_code.label("cohort_code"),
            f.cohort_end.label("cohort_end"),
            func.coalesce(rq.extensions, 0).label("extensions"),
            func.coalesce(rq.exemptions, 0).label("exemptions"),
            func.coalesce(rq.pending_requests, 0).label("pending_requests"),
        )
        .select_from(folded)
        .outerjoin(requests, rq.rid == f.id)
    )
