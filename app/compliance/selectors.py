"""Reads of compliance, scoped to the caller: requirements with their status as of a date, the requests on them,
and the reports built on the status engine (summaries by any grouping, the rows behind them, changes between two
dates, officials at risk and seat demand). Each is a few set-based queries that answer typed rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal, get_args

from dateutil.relativedelta import relativedelta
from sqlalchemy import BindParameter, Integer, and_, bindparam, case, func, literal, or_, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.authorities.models import Authority
from app.clock import local_date, today
from app.cohorts.models import Cohort, Enrolment
from app.cohorts.rules import ACTIVE_ENROLMENT, ENROLLING_STATES, HOLDING_SEAT, SCHEDULED_STATES, EnrolmentStatus
from app.completions.models import Completion
from app.compliance.models import RequirementRequest
from app.compliance.queries import AS_OF, Restrict, as_of_parameters, status_query
from app.compliance.rules import (
    SETTLED,
    RequestKind,
    RequestState,
    RequirementStatus,
    Standing,
    compliance_rate,
)
from app.compliance.schemas import (
    AtRiskRow,
    ChangeRow,
    DrillDownRow,
    HistoryEvent,
    RequestRead,
    RequestRow,
    RequirementRow,
    SeatDemandRow,
    SummaryComparisonRow,
    SummaryCounts,
    SummaryRow,
)
from app.db import AnySelect, count_of
from app.errors import NotFound
from app.officials.models import Appointment, Official, Requirement
from app.officials.scoping import (
    check_official_visible,
    scope_appointments,
    scope_appointments_of_role,
    scope_officials,
    scope_parameters,
    visible_requirement,
)
from app.programmes.models import Programme
from app.programmes.rules import ProgrammeKind
from app.roles.models import Role
from app.schemas import Page

S = RequirementStatus

# --- requirements and their requests ------------------------------------------------------------------


def requirement_rows(
    db: Session, *, where: AnySelect | None = None, as_of: date | None = None, scope: Restrict | None = None
) -> list[RequirementRow]:
    """Requirements (filtered by `where` on requirement ids) with their status as of the date, in one query."""
    as_of = as_of or today()

    def restrict(stmt: AnySelect) -> AnySelect:
        if where is not None:
            stmt = stmt.where(Requirement.id.in_(where))
        return scope(stmt) if scope is not None else stmt

    q = status_query(as_of, restrict).subquery("status")
    stmt = select(q).order_by(q.c.appointment_start, q.c.id)
    return [RequirementRow.model_validate(r, from_attributes=True) for r in db.execute(stmt)]


def official_requirements(db: Session, *, official_id: int, as_of: date, actor: Principal) -> list[RequirementRow]:
    """An official's requirements (those the caller may see) as of the date; 404 for an official out of sight.
    The query is built once for each role and run with the official, the caller and the date as parameters."""
    check_official_visible(db, official_id=official_id, actor=actor)
    parameters = {"official_id": official_id, **scope_parameters(actor), **as_of_parameters(as_of)}
    rows = db.execute(_official_requirements_query(actor.role), parameters)
    return [RequirementRow.model_validate(r, from_attributes=True) for r in rows]


@lru_cache(maxsize=8)
def _official_requirements_query(role: str) -> AnySelect:
    """The requirements of the official `official_id` as of `as_of` (AS_OF), as a caller of the role sees them."""

    def restrict(stmt: AnySelect) -> AnySelect:
        stmt = stmt.where(Appointment.official_id == bindparam("official_id", type_=Integer))
        return scope_appointments_of_role(stmt, role)

    q = status_query(AS_OF, restrict).subquery("status")
    return select(q).order_by(q.c.appointment_start, q.c.id)


def outstanding_by_official(db: Session, *, official_ids: list[int], as_of: date, actor: Principal) -> dict[int, int]:
    """How many requirements each of these officials has outstanding as of the date (not completed, exempt or
    closed), of those the caller may see; in one query, whatever their number."""
    out = dict.fromkeys(official_ids, 0)
    if not official_ids:
        return out
    owed = (
        select(Requirement.id)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .where(Appointment.official_id.in_(official_ids))
    )
    for row in requirement_rows(db, where=owed, as_of=as_of, scope=lambda stmt: scope_appointments(stmt, actor)):
        if row.status not in SETTLED:
            out[row.official_id] += 1
    return out


def standing_of(db: Session, *, requirement_id: int, as_of: date) -> Standing | None:
    """The status of one requirement as of a date (None before its appointment starts)."""
    rows = requirement_rows(db, where=select(literal(requirement_id)), as_of=as_of)
    if not rows:
        return None
    r = rows[0]
    return Standing(status=r.status, due_date=r.due_date, due_soon=r.due_soon, late=r.late, completed_on=r.completed_on)


def _requests(actor: Principal) -> AnySelect:
    """Requests, narrowed to those on requirements whose appointment the caller may see."""
    return scope_appointments(
        select(RequirementRequest)
        .join(Requirement, Requirement.id == RequirementRequest.requirement_id)
        .join(Appointment, Appointment.id == Requirement.appointment_id),
        actor,
    )


@dataclass(frozen=True)
class RequestFilters:
    """What a list of requests is limited to; empty means every request the caller may see."""

    state: RequestState | None = None
    kind: RequestKind | None = None
    authority: str | None = None
    district: str | None = None
    role: str | None = None
    programme: str | None = None


def _filter_requests(stmt: AnySelect, filters: RequestFilters) -> AnySelect:
    """Narrow a select over requests joined to their requirement and appointment by the filters."""
    if filters.state:
        stmt = stmt.where(RequirementRequest.state == filters.state)
    if filters.kind:
        stmt = stmt.where(RequirementRequest.kind == filters.kind)
    if filters.authority:
        stmt = stmt.where(Appointment.authority_code == filters.authority)
    if filters.district:
        in_district = select(Authority.code).where(func.lower(Authority.district) == filters.district.lower())
        stmt = stmt.where(Appointment.authority_code.in_(in_district))
    if filters.role:
        stmt = stmt.where(Appointment.role_code == filters.role)
    if filters.programme:
        stmt = stmt.where(Requirement.programme_id.in_(select(Programme.id).where(Programme.code == filters.programme)))
    return stmt


def list_requests(
    db: Session,
    *,
    actor: Principal,
    requirement_id: int | None = None,
    state: RequestState | None = None,
    kind: RequestKind | None = None,
    limit: int = 50,
    offset: int = 0,
    authority: str | None = None,
    district: str | None = None,
    role: str | None = None,
    pending_first: bool = False,
) -> Page[RequestRead]:
    """Requests the caller may see (by the scope of their requirement's appointment), oldest first (with
    `pending_first`, the pending ones before the decided, each oldest first)."""
    stmt = _requests(actor)
    if requirement_id is not None:
        stmt = stmt.where(RequirementRequest.requirement_id == requirement_id)
    filters = RequestFilters(state=state, kind=kind, authority=authority, district=district, role=role)
    stmt = _filter_requests(stmt, filters)
    total = count_of(db, stmt)
    order = (_PENDING_FIRST,) if pending_first else ()
    rows = db.scalars(
        stmt.order_by(*order, RequirementRequest.requested_at, RequirementRequest.id).limit(limit).offset(offset)
    )
    return Page(items=[RequestRead.model_validate(r) for r in rows], total=total)


_PENDING_FIRST = case((RequirementRequest.state == RequestState.PENDING, 0), else_=1)


def _request_rows_query(actor: Principal) -> AnySelect:
    """Requests the caller may see, each with its official, authority, district, role and programme."""
    RR = RequirementRequest
    stmt = (
        select(
            *[c for c in RR.__table__.c],
            Appointment.official_id,
            (Official.first_name_he + " " + Official.last_name_he).label("official_name_he"),
            case(
                (Official.last_name_en.is_(None), None),
                else_=func.coalesce(Official.first_name_en, "") + " " + Official.last_name_en,
            ).label("official_name_en"),
            Official.national_id,
            Appointment.authority_code,
            Authority.name_he.label("authority_name_he"),
            Authority.name_en.label("authority_name_en"),
            Authority.district,
            Authority.district_he,
            Appointment.role_code,
            Role.name_he.label("role_name_he"),
            Role.name_en.label("role_name_en"),
            Programme.code.label("programme_code"),
            Programme.title_he.label("programme_title_he"),
            Programme.title_en.label("programme_title_en"),
            Requirement.due_date.label("base_due_date"),
            Appointment.start_date.label("appointment_start"),
            Appointment.end_date.label("appointment_end"),
        )
        .join(Requirement, Requirement.id == RR.requirement_id)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .join(Official, Official.id == Appointment.official_id)
        .join(Authority, Authority.code == Appointment.authority_code)
        .join(Role, Role.code == Appointment.role_code)
        .join(Programme, Programme.id == Requirement.programme_id)
    )
    # The appointment in the caller's scope, and the person too: a liaison no longer sees a former official.
    return scope_officials(scope_appointments(stmt, actor), actor)


def request_rows(
    db: Session, *, actor: Principal, filters: RequestFilters, limit: int = 50, offset: int = 0
) -> Page[RequestRow]:
    """The requests the caller may see, as filtered, pending first and each group oldest first, with whom and what
    they are about: a page of them and their number, in two queries."""
    stmt = _filter_requests(_request_rows_query(actor), filters)
    total = count_of(db, stmt)
    RR = RequirementRequest
    rows = db.execute(stmt.order_by(_PENDING_FIRST, RR.requested_at, RR.id).limit(limit).offset(offset))
    return Page(items=[RequestRow.model_validate(dict(r._mapping)) for r in rows], total=total)


def read_request(db: Session, *, request_id: int, actor: Principal) -> RequestRow:
    """One request the caller may see, with whom and what it is about; 404 for one out of sight (or none)."""
    row = db.execute(_request_rows_query(actor).where(RequirementRequest.id == request_id)).first()
    if row is None:
        raise NotFound(f"no request with id {request_id}")
    return RequestRow.model_validate(dict(row._mapping))


# The order of an official's events on the same day: what opens a record before what happens on it.
_HISTORY_ORDER = {
    kind: i
    for i, kind in enumerate(
        (
            "appointment_started",
            "requirement",
            "request_filed",
            "request_decided",
            "enrolled",
            "waitlisted",
            "withdrawn",
            "cohort_not_completed",
            "cohort_completed",
            "completion",
            "appointment_ended",
        )
    )
}


def requirement_history(db: Session, *, official_id: int, actor: Principal) -> list[HistoryEvent]:
    """An official's requirement history in date order: appointments starting and ending (authority, role), the
    requirements they created (programme, due date), enrolments (enrolled, waitlisted, withdrawn, completed or not),
    completions, and requests filed and decided. 404 for an official out of the caller's sight; a liaison sees the
    appointments, requirements and requests of their own authority, and what hangs on the person. One query for
    each kind of record, whatever their number."""
    check_official_visible(db, official_id=official_id, actor=actor)
    events: list[tuple[date, int, int, HistoryEvent]] = []

    def add(event: HistoryEvent, key: int) -> None:
        events.append((event.on, _HISTORY_ORDER[event.kind], key, event))

    A, R, P = Appointment, Requirement, Programme
    appointments = scope_appointments(
        select(
            A.id,
            A.start_date,
            A.end_date,
            A.authority_code,
            A.role_code,
            Authority.name_he.label("authority_name_he"),
            Authority.name_en.label("authority_name_en"),
            Role.name_he.label("role_name_he"),
            Role.name_en.label("role_name_en"),
        )
        .join(Authority, Authority.code == A.authority_code)
        .join(Role, Role.code == A.role_code)
        .where(A.official_id == official_id),
        actor,
    )
    where: dict[int, dict[str, Any]] = {}
    for a in db.execute(appointments):
        place = {
            "authority_code": a.authority_code,
            "authority_name_he": a.authority_name_he,
            "authority_name_en": a.authority_name_en,
            "role_code": a.role_code,
            "role_name_he": a.role_name_he,
            "role_name_en": a.role_name_en,
        }
        where[a.id] = place
        add(HistoryEvent(on=a.start_date, kind="appointment_started", **place), a.id)
        if a.end_date is not None:
            add(HistoryEvent(on=a.end_date, kind="appointment_ended", **place), a.id)
    programme = (P.code, P.title_he, P.title_en)

    def named(code: str, title_he: str, title_en: str) -> dict[str, str]:
        return {"programme_code": code, "programme_title_he": title_he, "programme_title_en": title_en}

    requirements = (
        select(R.id, R.appointment_id, R.due_date, A.start_date, *programme)
        .join(A, A.id == R.appointment_id)
        .join(P, P.id == R.programme_id)
        .where(A.official_id == official_id, A.id.in_(list(where) or [0]))
    )
    for r in db.execute(requirements):
        add(
            HistoryEvent(
                on=r.start_date,
                kind="requirement",
                requirement_id=r.id,
                due_date=r.due_date,
                **where[r.appointment_id],
                **named(r.code, r.title_he, r.title_en),
            ),
            r.id,
        )
    RR = RequirementRequest
    requests = (
        select(RR, R.appointment_id, *programme)
        .join(R, R.id == RR.requirement_id)
        .join(P, P.id == R.programme_id)
        .join(A, A.id == R.appointment_id)
        .where(A.official_id == official_id, A.id.in_(list(where) or [0]))
    )
    for q, appointment_id, code, title_he, title_en in db.execute(requests):
        about = {
            "requirement_id": q.requirement_id,
            "request_id": q.id,
            "request_kind": q.kind,
            "requested_due_date": q.requested_due_date,
            "reason_code": q.reason_code,
            **where[appointment_id],
            **named(code, title_he, title_en),
        }
        add(
            HistoryEvent(
                on=local_date(q.requested_at), kind="request_filed", request_state=RequestState.PENDING, **about
            ),
            q.id,
        )
        if q.decided_on is not None:
            add(
                HistoryEvent(
                    on=q.decided_on, kind="request_decided", request_state=q.state, note=q.decision_note, **about
                ),
                q.id,
            )
    enrolments = (
        select(Enrolment, Cohort.code.label("cohort_code"), Cohort.end_date.label("cohort_end"), *programme)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(P, P.id == Cohort.programme_id)
        .where(Enrolment.official_id == official_id)
    )
    for e, cohort_code, cohort_end, code, title_he, title_en in db.execute(enrolments):
        about = {"cohort_code": cohort_code, **named(code, title_he, title_en)}
        add(HistoryEvent(on=e.enrolled_on, kind="enrolled", **about), e.id)
        if e.status == EnrolmentStatus.WAITLISTED:
            add(HistoryEvent(on=e.enrolled_on, kind="waitlisted", **about), e.id)
        elif e.status == EnrolmentStatus.WITHDRAWN and e.ended_on is not None:
            add(HistoryEvent(on=e.ended_on, kind="withdrawn", **about), e.id)
        elif e.status == EnrolmentStatus.COMPLETED:
            add(HistoryEvent(on=e.completed_on or cohort_end, kind="cohort_completed", **about), e.id)
        elif e.status == EnrolmentStatus.NOT_COMPLETED:
            add(HistoryEvent(on=e.ended_on or cohort_end, kind="cohort_not_completed", **about), e.id)
    completions = (
        select(Completion.id, Completion.completed_on, Completion.source, *programme)
        .join(P, P.id == Completion.programme_id)
        .where(Completion.official_id == official_id)
    )
    for c in db.execute(completions):
        add(
            HistoryEvent(
                on=c.completed_on,
                kind="completion",
                completion_source=c.source,
                **named(c.code, c.title_he, c.title_en),
            ),
            c.id,
        )
    events.sort(key=lambda e: e[:3])
    return [e[3] for e in events]


def requirement_requests(db: Session, *, requirement_id: int, actor: Principal, limit: int = 500) -> Page[RequestRead]:
    """The requests of one requirement the caller may see, oldest first; 404 for a requirement out of sight."""
    visible_requirement(db, requirement_id=requirement_id, actor=actor)
    return list_requests(db, actor=actor, requirement_id=requirement_id, limit=limit)


@dataclass(frozen=True)
class AuthorityRequestRow:
    """A request on a requirement of one authority's official, as the authority's page lists it: whose, on which
    programme, and where it stands."""

    id: int
    requirement_id: int
    kind: RequestKind
    state: RequestState
    requested_due_date: date | None
    reason_code: str | None
    requested_at: datetime
    decided_on: date | None
    official_id: int
    official_name_he: str
    role_code: str
    programme_code: str


def authority_requests(
    db: Session, *, authority_code: str, actor: Principal, limit: int = 20
) -> Page[AuthorityRequestRow]:
    """The requests on requirements of the authority's appointments that the caller may see: pending ones first
    (oldest first, as the auditors' queue), then the decided ones (latest decision first); and how many in all.
    Two queries, whatever their number."""
    RR = RequirementRequest
    pending = RR.state == RequestState.PENDING
    stmt = scope_appointments(
        select(
            RR.id,
            RR.requirement_id,
            RR.kind,
            RR.state,
            RR.requested_due_date,
            RR.reason_code,
            RR.requested_at,
            RR.decided_on,
            Appointment.official_id,
            (Official.first_name_he + literal(" ") + Official.last_name_he).label("official_name_he"),
            Appointment.role_code,
            Programme.code.label("programme_code"),
        )
        .join(Requirement, Requirement.id == RR.requirement_id)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .join(Official, Official.id == Appointment.official_id)
        .join(Programme, Programme.id == Requirement.programme_id)
        .where(Appointment.authority_code == authority_code),
        actor,
    )
    total = count_of(db, stmt)
    ordered = stmt.order_by(
        case((pending, 0), else_=1), case((pending, RR.requested_at)), RR.decided_at.desc(), RR.id.desc()
    )
    rows = db.execute(ordered.limit(limit))
    return Page(items=[AuthorityRequestRow(**r._mapping) for r in rows], total=total)


# --- reports -------------------------------------------------------------------------------------------

# The counts of a summary row, in the order they are shown.
COUNTS = tuple(name for name in SummaryCounts.model_fields if name != "compliance_rate")


@dataclass(frozen=True)
class Filters:
    """What a report is limited to; empty means everything the caller may see."""

    authority: str | None = None
    district: str | None = None
    role: str | None = None
    programme: str | None = None
    status: RequirementStatus | None = None
    due_soon: bool | None = None
    late: bool | None = None
    authority_type: str | None = None  # Authority.type: city, local_council, regional_council


def _restriction(filters: Filters, actor: Principal) -> Restrict:
    """The caller's scope and the filters on who the requirement is of, applied before statuses are computed. The
    values are named bind parameters (`_parameters`), so that a statement built once runs for any caller of the role
    and any values of the same filters."""

    def restrict(stmt: AnySelect) -> AnySelect:
        stmt = scope_appointments_of_role(stmt, actor.role, actor)
        if filters.authority:
            stmt = stmt.where(Appointment.authority_code == bindparam("f_authority", filters.authority))
        if filters.district:
            district: BindParameter[str] = bindparam("f_district", filters.district.lower())
            in_district = select(Authority.code).where(func.lower(Authority.district) == district)
            stmt = stmt.where(Appointment.authority_code.in_(in_district))
        if filters.authority_type:
            of_type = select(Authority.code).where(
                Authority.type == bindparam("f_authority_type", filters.authority_type)
            )
            stmt = stmt.where(Appointment.authority_code.in_(of_type))
        if filters.role:
            stmt = stmt.where(Appointment.role_code == bindparam("f_role", filters.role))
        if filters.programme:
            stmt = stmt.where(Programme.code == bindparam("f_programme", filters.programme))
        return stmt

    return restrict


def _parameters(filters: Filters, actor: Principal) -> dict[str, Any]:
    """The values of the bind parameters of `_restriction` and `_status_rows` for these filters and this caller."""
    return {
        **scope_parameters(actor),
        "f_authority": filters.authority,
        "f_district": filters.district.lower() if filters.district else None,
        "f_role": filters.role,
        "f_programme": filters.programme,
        "f_status": filters.status,
        "f_due_soon": filters.due_soon,
        "f_late": filters.late,
        "f_authority_type": filters.authority_type,
    }


def _shape(filters: Filters) -> tuple[bool, ...]:
    """Which filters are set: statements built from filters of the same shape differ only in their parameters."""
    return tuple(getattr(filters, f.name) not in (None, "") for f in fields(filters))


def _status_rows(as_of: date | BindParameter[date], filters: Filters, actor: Principal) -> AnySelect:
    """The status of each requirement as of the date, with its authority's district, filtered and scoped."""
    q = status_query(as_of, _restriction(filters, actor)).subquery("st")
    stmt = select(
        q,
        Authority.name_he.label("authority_name_he"),
        Authority.district.label("district"),
        Authority.district_he.label("district_he"),
    ).join(Authority, Authority.code == q.c.authority_code)
    if filters.status:
        stmt = stmt.where(q.c.status == bindparam("f_status", filters.status))
    if filters.due_soon is not None:
        stmt = stmt.where(q.c.due_soon == bindparam("f_due_soon", filters.due_soon))
    if filters.late is not None:
        stmt = stmt.where(q.c.late == bindparam("f_late", filters.late))
    return stmt


# The summary's statements, built once for each grouping, shape of filters and role (`_summary_query`).
_SUMMARY_QUERIES: dict[tuple[Any, ...], AnySelect] = {}


def _summary_query(group_by: list[str], filters: Filters, actor: Principal) -> AnySelect:
    """The summary's statement for this grouping, filters of this shape and callers of this role: built the first
    time (with that caller's values, which `_parameters` replaces at every run), since building it costs more than
    running it for one authority."""
    key = (tuple(group_by), _shape(filters), actor.role)
    stmt = _SUMMARY_QUERIES.get(key)
    if stmt is None:
        stmt = _SUMMARY_QUERIES[key] = _build_summary_query(group_by, filters, actor)
    return stmt


def _build_summary_query(group_by: list[str], filters: Filters, actor: Principal) -> AnySelect:
    rows = _status_rows(AS_OF, filters, actor).subquery("rows")
    key_cols = {
        "authority": rows.c.authority_code,
        "district": rows.c.district,
        "role": rows.c.role_code,
        "programme": rows.c.programme_code,
    }
    keys = [key_cols[g].label(f"k_{g}") for g in group_by]
    in_force = rows.c.status != S.CLOSED

    def n(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    stmt = (
        select(
            *keys,
            n(in_force).label("required"),
            n(rows.c.status == S.COMPLETED).label("completed"),
            n(and_(rows.c.status == S.COMPLETED, rows.c.late == False)).label("completed_on_time"),  # noqa: E712
            n(and_(rows.c.status == S.COMPLETED, rows.c.late == True)).label("completed_late"),  # noqa: E712
            n(rows.c.status == S.IN_PROGRESS).label("in_progress"),
            n(rows.c.status == S.NOT_STARTED).label("not_started"),
            n(rows.c.status == S.OVERDUE).label("overdue"),
            n(rows.c.status == S.EXEMPT).label("exempt"),
            n(rows.c.status == S.CLOSED).label("closed"),
            n(rows.c.due_soon == True).label("due_soon"),  # noqa: E712
        )
        .group_by(*keys)
        .order_by(*keys)
    )
    return stmt


def summary(
    db: Session,
    *,
    as_of: date,
    group_by: list[str],
    filters: Filters,
    actor: Principal,
    names: dict[str, dict[Any, str]] | None = None,
) -> list[SummaryRow]:
    """Counts by status per group (authority, district, role, programme, or a combination), with the rate.

    `required` counts requirements in force (closed ones, whose appointment ended, are left out);
    `compliance_rate` is the share of those not overdue.
    """
    parameters = {**_parameters(filters, actor), **as_of_parameters(as_of)}
    stmt = _summary_query(group_by, filters, actor)
    found = db.execute(stmt, parameters).all()
    if names is None:
        names = _names(db, group_by, keys={g: {getattr(r, f"k_{g}") for r in found} for g in group_by})
    out = []
    for r in found:
        parts = {g: getattr(r, f"k_{g}") for g in group_by}
        counts = {k: int(getattr(r, k) or 0) for k in COUNTS}
        out.append(
            SummaryRow(
                key="|".join(str(v) for v in parts.values()),
                name=" | ".join(names[g].get(v, str(v)) for g, v in parts.items()),
                keys=parts,
                **counts,
                compliance_rate=compliance_rate(counts),
            )
        )
    return out


def compare(
    db: Session, *, since: date, until: date, group_by: list[str], filters: Filters, actor: Principal
) -> list[SummaryComparisonRow]:
    """The summary of each group on two dates and the change between them (a group found on only one date has
    zeros on the other)."""
    names = _names(db, group_by)
    before, after = (
        {r.key: r for r in summary(db, as_of=d, group_by=group_by, filters=filters, actor=actor, names=names)}
        for d in (since, until)
    )
    zero = {k: 0 for k in COUNTS}
    out = []
    for key in sorted(before.keys() | after.keys()):
        b, a = before.get(key), after.get(key)
        shown = a or b
        assert shown is not None
        old = {k: getattr(b, k) for k in COUNTS} if b else zero
        new = {k: getattr(a, k) for k in COUNTS} if a else zero
        old_rate, new_rate = compliance_rate(old), compliance_rate(new)
        out.append(
            SummaryComparisonRow(
                key=key,
                name=shown.name,
                keys=shown.keys,
                since=SummaryCounts(**old, compliance_rate=old_rate),
                until=SummaryCounts(**new, compliance_rate=new_rate),
                change=SummaryCounts(
                    **{k: new[k] - old[k] for k in COUNTS},
                    compliance_rate=round(new_rate - old_rate, 4)
                    if new_rate is not None and old_rate is not None
                    else None,
                ),
            )
        )
    return out


# The Hebrew name of each kind of group, by its key.
_NAME_OF: dict[str, tuple[Any, Any]] = {
    "authority": (Authority.code, Authority.name_he),
    "district": (Authority.district, Authority.district_he),
    "role": (Role.code, Role.name_he),
    "programme": (Programme.code, Programme.title_he),
}


def _names(db: Session, group_by: list[str], keys: dict[str, set[Any]] | None = None) -> dict[str, dict[Any, str]]:
    """The names of the groups asked for, by key: of the given keys only, when given (a query per kind of group
    that has any)."""
    out: dict[str, dict[Any, str]] = {}
    for g in group_by:
        key, name = _NAME_OF[g]
        wanted = None if keys is None else keys[g]
        if wanted is not None and not wanted:
            out[g] = {}
            continue
        stmt = select(key, name).distinct()
        out[g] = dict(db.execute(stmt if wanted is None else stmt.where(key.in_(wanted))).all())
    return out


def role_names(db: Session) -> dict[str, str]:
    """Each role's Hebrew name by its code."""
    return dict(db.execute(select(Role.code, Role.name_he)).all())


def authority_districts(db: Session) -> dict[str, str]:
    """Each authority's district (its English name, as summaries key it) by CBS code."""
    return dict(db.execute(select(Authority.code, Authority.district)).all())


@dataclass(frozen=True)
class AuthorityHeading:
    """What a report on one authority says of it in its heading."""

    code: str
    name_he: str
    type_he: str
    district_he: str


def authority_heading(db: Session, *, code: str) -> AuthorityHeading | None:
    """The authority with this CBS code, as a report's heading names it; none when there is no such authority."""
    found = db.execute(
        select(*(getattr(Authority, f.name) for f in fields(AuthorityHeading))).where(Authority.code == code)
    ).first()
    return AuthorityHeading(*found) if found is not None else None


# The drill-down's orders: a column, ascending, or descending with a leading "-".
SORT_COLUMNS = {
    "due_date": "due_date",
    "appointment_start": "appointment_start",
    "authority": "authority_code",
    "status": "status",
    "name": "official_name_he",
}
Sort = Literal[
    "due_date",
    "-due_date",
    "appointment_start",
    "-appointment_start",
    "authority",
    "-authority",
    "status",
    "-status",
    "name",
    "-name",
]
assert set(get_args(Sort)) == {d + k for k in SORT_COLUMNS for d in ("", "-")}, "Sort and SORT_COLUMNS disagree"


def drill_down_query(*, as_of: date, filters: Filters, actor: Principal, sort: Sort = "due_date") -> AnySelect:
    """The requirement rows behind any number: official, role, authority, dates, status, cohort, decisions."""
    rows = _status_rows(as_of, filters, actor).subquery("rows")
    name = (Official.first_name_he + literal(" ") + Official.last_name_he).label("official_name_he")
    stmt = select(
        rows.c.id,
        rows.c.official_id,
        name,
        Official.national_id,
        rows.c.authority_code,
        rows.c.authority_name_he,
        rows.c.district,
        rows.c.role_code,
        rows.c.programme_code,
        rows.c.appointment_start,
        rows.c.appointment_end,
        rows.c.due_date,
        rows.c.status,
        rows.c.due_soon,
        rows.c.late,
        rows.c.completed_on,
        rows.c.cohort_code,
        rows.c.cohort_end,
        rows.c.extensions,
        rows.c.exemptions,
        rows.c.pending_requests,
    ).join(Official, Official.id == rows.c.official_id)
    column = SORT_COLUMNS[sort.lstrip("-")]
    order = stmt.selected_columns[column]
    return stmt.order_by(order.desc() if sort.startswith("-") else order, rows.c.id)


def _mapping(r: Any) -> dict[str, Any]:
    """A row of the drill-down query as a dict, its flags as booleans (SQLite answers 0 and 1)."""
    out = dict(r._mapping)
    out["due_soon"], out["late"] = bool(out["due_soon"]), bool(out["late"])
    return out


def drill_down(
    db: Session, *, as_of: date, filters: Filters, actor: Principal, sort: Sort, limit: int, offset: int
) -> Page[DrillDownRow]:
    """A page of drill-down rows and how many there are in all."""
    stmt = drill_down_query(as_of=as_of, filters=filters, actor=actor, sort=sort)
    page = db.execute(stmt.add_columns(func.count().over().label("total")).limit(limit).offset(offset)).all()
    if not page:  # past the last page (or nothing at all): the count on its own
        return Page(items=[], total=count_of(db, stmt))
    return Page(items=[DrillDownRow.model_validate(_mapping(r)) for r in page], total=page[0].total)


def drill_down_rows(
    db: Session, *, as_of: date, filters: Filters, actor: Principal, sort: Sort = "due_date"
) -> list[DrillDownRow]:
    """Every drill-down row, for a list of modest length (one authority's overdue officials, say)."""
    stmt = drill_down_query(as_of=as_of, filters=filters, actor=actor, sort=sort)
    return [DrillDownRow.model_validate(_mapping(r)) for r in db.execute(stmt)]


def stream_drill_down(
    db: Session, *, as_of: date, filters: Filters, actor: Principal, sort: Sort = "authority"
) -> Iterator[dict[str, Any]]:
    """Every drill-down row, fetched in batches so that a national export stays small in memory: the columns of
    `DrillDownRow` as plain dicts, since validating each of a national export's rows would slow it down."""
    stmt = drill_down_query(as_of=as_of, filters=filters, actor=actor, sort=sort)
    for r in db.execute(stmt.execution_options(yield_per=2000)):
        yield _mapping(r)


def changes(
    db: Session, *, since: date, until: date, filters: Filters, actor: Principal, limit: int, offset: int
) -> Page[ChangeRow]:
    """Requirements whose status differs between two dates (new ones count as changed from `none`)."""
    a = _status_rows(since, replace(filters, status=None), actor).subquery("a")
    b = _status_rows(until, replace(filters, status=None), actor).subquery("b")
    stmt = (
        select(
            b.c.id,
            b.c.official_id,
            b.c.authority_code,
            b.c.role_code,
            b.c.programme_code,
            func.coalesce(a.c.status, "none").label("status_before"),
            b.c.status.label("status_after"),
            a.c.due_date.label("due_before"),
            b.c.due_date.label("due_after"),
        )
        .outerjoin(a, a.c.id == b.c.id)
        .where(or_(a.c.status.is_(None), a.c.status != b.c.status))
    )
    if filters.status:
        stmt = stmt.where(b.c.status == filters.status)
    total = count_of(db, stmt)
    rows = db.execute(stmt.order_by(b.c.authority_code, b.c.id).limit(limit).offset(offset))
    return Page(items=[ChangeRow.model_validate(dict(r._mapping)) for r in rows], total=total)


def at_risk(
    db: Session, *, as_of: date, filters: Filters, actor: Principal, limit: int, offset: int
) -> Page[AtRiskRow]:
    """Officials due within 90 days and not enrolled, or enrolled in a cohort that ends after their due date."""
    stmt = drill_down_query(as_of=as_of, filters=filters, actor=actor, sort="due_date").subquery("d")
    cond = or_(
        and_(stmt.c.status == S.NOT_STARTED, stmt.c.due_soon == True),  # noqa: E712
        and_(stmt.c.status == S.IN_PROGRESS, stmt.c.cohort_end > stmt.c.due_date),
    )
    risky = select(
        stmt,
        case((stmt.c.status == S.NOT_STARTED, literal("not_enrolled")), else_=literal("cohort_ends_after_due")).label(
            "risk"
        ),
    ).where(cond)
    total = count_of(db, risky)
    rows = db.execute(risky.order_by(stmt.c.due_date, stmt.c.id).limit(limit).offset(offset))
    return Page(items=[AtRiskRow.model_validate(_mapping(r)) for r in rows], total=total)


def seat_demand(db: Session, *, as_of: date, actor: Principal) -> list[SeatDemandRow]:
    """Per mandatory programme: officials falling due in 6 and 12 months without a seat, against free seats."""
    horizons = {"6": as_of + relativedelta(months=6), "12": as_of + relativedelta(months=12)}
    rows = _status_rows(as_of, Filters(), actor).subquery("rows")
    demand_stmt = select(
        rows.c.programme_code,
        *[
            func.sum(case((and_(rows.c.status == S.NOT_STARTED, rows.c.due_date <= h), 1), else_=0)).label(f"d{k}")
            for k, h in horizons.items()
        ],
        func.sum(case((rows.c.status == S.OVERDUE, 1), else_=0)).label("overdue_unseated"),
    ).group_by(rows.c.programme_code)
    demand = {r.programme_code: r for r in db.execute(demand_stmt)}
    seated = (
        select(Enrolment.cohort_id, func.count().label("n"))
        .where(Enrolment.status.in_(HOLDING_SEAT))
        .group_by(Enrolment.cohort_id)
        .subquery("seated")
    )
    seats_stmt = (
        select(
            Programme.code,
            *[
                func.sum(case((Cohort.start_date <= h, Cohort.capacity - func.coalesce(seated.c.n, 0)), else_=0)).label(
                    f"s{k}"
                )
                for k, h in horizons.items()
            ],
            func.count(Cohort.id).label("cohorts"),
        )
        .join(
            Cohort,
            and_(
                Cohort.programme_id == Programme.id,
                Cohort.state.in_(SCHEDULED_STATES),
                Cohort.end_date >= as_of,
            ),
        )
        .outerjoin(seated, seated.c.cohort_id == Cohort.id)
        .group_by(Programme.code)
    )
    seats = {r.code: r for r in db.execute(seats_stmt)}
    out = []
    for code, title in db.execute(
        select(Programme.code, Programme.title_he)
        .where(Programme.kind == ProgrammeKind.MANDATORY)
        .order_by(Programme.code)
    ):
        d, s = demand.get(code), seats.get(code)
        item: dict[str, Any] = {
            "programme_code": code,
            "programme_title_he": title,
            "scheduled_cohorts": int(s.cohorts) if s else 0,
            "overdue_without_completion": int(d.overdue_unseated or 0) if d else 0,
        }
        for k in horizons:
            need = int(getattr(d, f"d{k}") or 0) if d else 0
            free = int(getattr(s, f"s{k}") or 0) if s else 0
            item[f"due_within_{k}_months"] = need
            item[f"free_seats_within_{k}_months"] = free
            item[f"shortfall_within_{k}_months"] = max(0, need - free)
        out.append(SeatDemandRow.model_validate(item))
    return out


@dataclass(frozen=True)
class OpenSeats:
    """The seats an official owing a programme could take now: its cohorts open for enrolment that have not ended,
    with a free seat; the first of them to start."""

    cohorts: int
    free_seats: int
    first_code: str
    first_start: date


def open_seats_by_programme(db: Session, *, as_of: date) -> dict[str, OpenSeats]:
    """Per programme code, its cohorts taking enrolments (open or running, ending on or after the date) that have a
    free seat now, and the earliest of them; programmes with none are left out. One query."""
    seated = (
        select(Enrolment.cohort_id, func.count().label("n"))
        .where(Enrolment.status.in_(HOLDING_SEAT))
        .group_by(Enrolment.cohort_id)
        .subquery("seated")
    )
    free = Cohort.capacity - func.coalesce(seated.c.n, 0)
    stmt = (
        select(Programme.code.label("programme_code"), Cohort.code, Cohort.start_date, free.label("free"))
        .join(Cohort, Cohort.programme_id == Programme.id)
        .outerjoin(seated, seated.c.cohort_id == Cohort.id)
        .where(Cohort.state.in_(ENROLLING_STATES), Cohort.end_date >= as_of, free > 0)
        .order_by(Programme.code, Cohort.start_date, Cohort.id)
    )
    out: dict[str, OpenSeats] = {}
    for r in db.execute(stmt):
        found = out.get(r.programme_code)
        if found is None:
            out[r.programme_code] = OpenSeats(1, int(r.free), r.code, r.start_date)
        else:
            out[r.programme_code] = replace(found, cohorts=found.cohorts + 1, free_seats=found.free_seats + int(r.free))
    return out


# --- who owes a programme and has no place in any of its cohorts ----------------------------------------------


@dataclass(frozen=True)
class OwedRow:
    """An official who owes a programme (not started or overdue, as of today) and is neither enrolled nor waitlisted
    in any cohort of it: someone to enrol."""

    official_id: int
    national_id: str
    name_he: str
    name_en: str | None
    authority_code: str
    due_date: date
    status: RequirementStatus


def owed_not_enrolled(db: Session, *, programme_id: int, actor: Principal, limit: int = 200) -> list[OwedRow]:
    """The officials (the caller may see) who owe the programme and hold no enrolled or waitlisted place in any of
    its cohorts, earliest due first, one row each: three queries whatever their number."""
    of_programme = select(Requirement.id).where(Requirement.programme_id == programme_id)
    placed = (
        select(Enrolment.official_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Cohort.programme_id == programme_id, Enrolment.status.in_(ACTIVE_ENROLMENT))
    )
    due: dict[int, RequirementRow] = {}
    for row in requirement_rows(db, where=of_programme, scope=lambda stmt: scope_appointments(stmt, actor)):
        if row.status not in (S.NOT_STARTED, S.OVERDUE) or (row.appointment_end and row.appointment_end < today()):
            continue
        if row.official_id not in due or row.due_date < due[row.official_id].due_date:
            due[row.official_id] = row
    taken = set(db.scalars(placed.where(Enrolment.official_id.in_(list(due)))))
    wanted = [i for i in due if i not in taken]
    people = {o.id: o for o in db.scalars(select(Official).where(Official.id.in_(wanted)))}
    rows = [
        OwedRow(
            official_id=i,
            national_id=people[i].national_id,
            name_he=f"{people[i].first_name_he} {people[i].last_name_he}",
            name_en=f"{people[i].first_name_en} {people[i].last_name_en}" if people[i].last_name_en else None,
            authority_code=due[i].authority_code,
            due_date=due[i].due_date,
            status=due[i].status,
        )
        for i in wanted
        if i in people
    ]
    rows.sort(key=lambda r: (r.due_date, r.name_he, r.official_id))
    return rows[:limit]


# --- what the request pages show besides the requests ---------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """A code with its names in Hebrew and English."""

    code: str
    he: str
    en: str


@dataclass(frozen=True)
class RequestFilterChoices:
    """What the list of requests may be filtered by: districts and authorities (for an auditor), roles."""

    districts: list[Named]
    authorities: list[Named]
    roles: list[Named]


def request_filter_choices(db: Session, *, actor: Principal) -> RequestFilterChoices:
    """The districts, authorities and roles a list of requests may be filtered by; a liaison's list is their
    authority's, so they get roles only. Two queries at most."""
    districts: dict[str, Named] = {}
    authorities: list[Named] = []
    if actor.role != "liaison":
        found = db.execute(
            select(Authority.code, Authority.name_he, Authority.name_en, Authority.district, Authority.district_he)
            .where(Authority.active.is_(True))
            .order_by(Authority.name_he)
        )
        for a in found:
            authorities.append(Named(a.code, a.name_he, a.name_en))
            districts.setdefault(a.district, Named(a.district, a.district_he, a.district))
    roles = [Named(r.code, r.name_he, r.name_en) for r in db.execute(select(Role).order_by(Role.name_he)).scalars()]
    return RequestFilterChoices(
        districts=sorted(districts.values(), key=lambda d: d.he), authorities=authorities, roles=roles
    )


@dataclass(frozen=True)
class OfficialNames:
    """An official's names and ID number, for a page's heading."""

    id: int
    national_id: str
    name_he: str
    name_en: str | None


def official_names(db: Session, *, official_id: int) -> OfficialNames:
    """The official's names (the caller has been found to see them); 404 for none."""
    o = db.get(Official, official_id)
    if o is None:
        raise NotFound(f"no official with id {official_id}")
    name_en = f"{o.first_name_en or ''} {o.last_name_en}".strip() if o.last_name_en else None
    return OfficialNames(o.id, o.national_id, f"{o.first_name_he} {o.last_name_he}", name_en)


@dataclass(frozen=True)
class RequirementAbout:
    """A requirement as of today, with the names of its official, programme, authority and role."""

    requirement: RequirementRow
    official: OfficialNames
    programme: Named
    authority: Named
    role: Named


def requirement_about(db: Session, *, requirement_id: int, actor: Principal) -> RequirementAbout:
    """A requirement the caller may see, as of today, with its names; 404 for one out of sight (or one whose
    appointment has not started)."""
    rows = requirement_rows(
        db, where=select(literal(requirement_id)), as_of=today(), scope=lambda stmt: scope_appointments(stmt, actor)
    )
    if not rows:
        raise NotFound(f"no requirement with id {requirement_id}")
    r = rows[0]
    names = db.execute(
        select(
            Official,
            Programme.title_he,
            Programme.title_en,
            Authority.name_he,
            Authority.name_en,
            Role.name_he,
            Role.name_en,
        )
        .select_from(Official)
        .join(Programme, Programme.code == r.programme_code)
        .join(Authority, Authority.code == r.authority_code)
        .join(Role, Role.code == r.role_code)
        .where(Official.id == r.official_id)
    ).one()
    o = names[0]
    name_en = f"{o.first_name_en or ''} {o.last_name_en}".strip() if o.last_name_en else None
    return RequirementAbout(
        requirement=r,
        official=OfficialNames(o.id, o.national_id, f"{o.first_name_he} {o.last_name_he}", name_en),
        programme=Named(r.programme_code, names[1], names[2]),
        authority=Named(r.authority_code, names[3], names[4]),
        role=Named(r.role_code, names[5], names[6]),
    )
