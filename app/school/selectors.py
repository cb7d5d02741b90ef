"""What the school must do now, for its home (`/admin`): sessions of the past week that have no attendance yet,
cohorts whose last session has passed and that are not closed, cohorts near capacity or with a waitlist, requests of
officials pending for long (for the school to chase), certificates whose rendering failed, files of officials checked
with refused rows and not set right since. Each a short list with how many there are in all, in a fixed number of
queries whatever their number."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from app.attendance.models import AttendanceRecord
from app.certificates.models import Certificate
from app.certificates.selectors import certificates_without_pdf
from app.certificates.tasks import RENDER_GRACE
from app.cohorts.models import Cohort, CohortSession, Enrolment
from app.cohorts.rules import SCHEDULED_STATES, EnrolmentStatus
from app.compliance.models import RequirementRequest
from app.compliance.rules import RequestState
from app.imports.selectors import ImportRunRead, imports_with_refused_rows
from app.notifications.selectors import failed_count
from app.officials.models import Appointment, Official, Requirement
from app.programmes.models import Programme

# How many items of each kind the home lists (the count says how many there are in all).
SHOWN = 10
# A request (for an extension or an exemption) that has waited longer than this is for the school to chase.
LONG_PENDING_DAYS = 14
# A cohort is near capacity when its seats taken reach this percentage of its capacity.
NEAR_CAPACITY_PCT = 90
# Sessions without attendance are looked for this many days back, today included.
PAST_DAYS = 7

T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    """The first items of a kind, and how many there are in all."""

    items: list[T] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class Titled:
    """A programme's title in both languages."""

    he: str
    en: str


@dataclass(frozen=True)
class SessionDue:
    """A session that has met, of a cohort with officials in it, with no attendance taken yet."""

    session_id: int
    on: date
    hours: float
    cohort_id: int
    cohort_code: str
    programme: Titled


@dataclass(frozen=True)
class CohortToClose:
    """A cohort whose last session has passed, not closed yet."""

    cohort_id: int
    cohort_code: str
    programme: Titled
    last_session: date


@dataclass(frozen=True)
class CohortFilling:
    """A cohort near its capacity, or with officials waiting for a seat."""

    cohort_id: int
    cohort_code: str
    programme: Titled
    start_date: date
    capacity: int
    seated: int
    waitlisted: int


@dataclass(frozen=True)
class PendingRequest:
    """A request for an extension or an exemption that has waited long for a decision."""

    request_id: int
    kind: str
    official_id: int
    name_he: str
    name_en: str
    requested_at: datetime
    days: int


@dataclass(frozen=True)
class FailedCertificate:
    """A valid certificate whose PDF was still not rendered long after its issue."""

    certificate_id: int
    serial: str
    holder_name_he: str
    holder_name_en: str | None
    cohort_id: int
    cohort_code: str
    issued_at: datetime


@dataclass(frozen=True)
class SchoolHome:
    """Everything the school's home shows."""

    today: date
    sessions_today: Listing[SessionDue]
    sessions_past: Listing[SessionDue]
    to_close: Listing[CohortToClose]
    filling: Listing[CohortFilling]
    pending: Listing[PendingRequest]
    failed_certificates: Listing[FailedCertificate]
    refused_imports: Listing[ImportRunRead]
    # Messages of the outbox given up after their last try (app.notifications), for an admin to look at and resend.
    failed_mail: int = 0
    long_pending_days: int = LONG_PENDING_DAYS
    past_days: int = PAST_DAYS


def _listing(rows: list[Any], make: Any) -> Listing[Any]:
    """The rows of a query that carries `count(*) OVER ()` as its last column, made into items."""
    return Listing(items=[make(row) for row in rows], total=int(rows[0][-1]) if rows else 0)


def _sessions_due(db: Session, *, first: date, last: date) -> Listing[SessionDue]:
    taken = exists().where(AttendanceRecord.session_id == CohortSession.id)
    someone = exists().where(Enrolment.cohort_id == Cohort.id, Enrolment.status == EnrolmentStatus.ENROLLED)
    stmt = (
        select(
            CohortSession.id,
            CohortSession.date,
            CohortSession.hours,
            Cohort.id,
            Cohort.code,
            Programme.title_he,
            Programme.title_en,
            func.count().over(),
        )
        .join(Cohort, Cohort.id == CohortSession.cohort_id)
        .join(Programme, Programme.id == Cohort.programme_id)
        .where(
            CohortSession.date.between(first, last),
            Cohort.state.in_(SCHEDULED_STATES),
            ~taken,
            someone,
        )
        .order_by(CohortSession.date.desc(), Cohort.code, CohortSession.id)
        .limit(SHOWN)
    )
    return _listing(
        list(db.execute(stmt)),
        lambda r: SessionDue(r[0], r[1], r[2], r[3], r[4], Titled(r[5], r[6])),
    )


def _to_close(db: Session, *, today: date) -> Listing[CohortToClose]:
    last = (
        select(CohortSession.cohort_id, func.max(CohortSession.date).label("last_date"))
        .group_by(CohortSession.cohort_id)
        .subquery()
    )
    stmt = (
        select(Cohort.id, Cohort.code, Programme.title_he, Programme.title_en, last.c.last_date, func.count().over())
        .join(last, last.c.cohort_id == Cohort.id)
        .join(Programme, Programme.id == Cohort.programme_id)
        .where(Cohort.state.in_(SCHEDULED_STATES), last.c.last_date < today)
        .order_by(last.c.last_date, Cohort.code)
        .limit(SHOWN)
    )
    return _listing(list(db.execute(stmt)), lambda r: CohortToClose(r[0], r[1], Titled(r[2], r[3]), r[4]))


def _filling(db: Session) -> Listing[CohortFilling]:
    counts = (
        select(
            Enrolment.cohort_id.label("cohort_id"),
            func.sum(case((Enrolment.status == EnrolmentStatus.ENROLLED, 1), else_=0)).label("seated"),
            func.sum(case((Enrolment.status == EnrolmentStatus.WAITLISTED, 1), else_=0)).label("waitlisted"),
        )
        .group_by(Enrolment.cohort_id)
        .subquery()
    )
    stmt = (
        select(
            Cohort.id,
            Cohort.code,
            Programme.title_he,
            Programme.title_en,
            Cohort.start_date,
            Cohort.capacity,
            counts.c.seated,
            counts.c.waitlisted,
            func.count().over(),
        )
        .join(counts, counts.c.cohort_id == Cohort.id)
        .join(Programme, Programme.id == Cohort.programme_id)
        .where(
            Cohort.state.in_(SCHEDULED_STATES),
            (counts.c.waitlisted > 0) | (counts.c.seated * 100 >= Cohort.capacity * NEAR_CAPACITY_PCT),
        )
        .order_by(counts.c.waitlisted.desc(), Cohort.start_date, Cohort.code)
        .limit(SHOWN)
    )
    return _listing(
        list(db.execute(stmt)),
        lambda r: CohortFilling(r[0], r[1], Titled(r[2], r[3]), r[4], r[5], int(r[6] or 0), int(r[7] or 0)),
    )


def _pending(db: Session, *, now: datetime) -> Listing[PendingRequest]:
    stmt = (
        select(
            RequirementRequest.id,
            RequirementRequest.kind,
            Official.id,
            Official.first_name_he,
            Official.last_name_he,
            Official.first_name_en,
            Official.last_name_en,
            RequirementRequest.requested_at,
            func.count().over(),
        )
        .join(Requirement, Requirement.id == RequirementRequest.requirement_id)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .join(Official, Official.id == Appointment.official_id)
        .where(
            RequirementRequest.state == RequestState.PENDING,
            RequirementRequest.requested_at < now - timedelta(days=LONG_PENDING_DAYS),
        )
        .order_by(RequirementRequest.requested_at, RequirementRequest.id)
        .limit(SHOWN)
    )

    def make(r: Any) -> PendingRequest:
        name_he = f"{r[3]} {r[4]}"
        name_en = " ".join(p for p in (r[5], r[6]) if p) or name_he
        return PendingRequest(r[0], r[1], r[2], name_he, name_en, r[7], (now - r[7]).days)

    return _listing(list(db.execute(stmt)), make)


def _failed_certificates(db: Session, *, now: datetime) -> Listing[FailedCertificate]:
    ids = certificates_without_pdf(db, issued_before=now - RENDER_GRACE)
    if not ids:
        return Listing()
    stmt = (
        select(
            Certificate.id,
            Certificate.serial,
            Certificate.holder_name_he,
            Certificate.holder_name_en,
            Certificate.cohort_id,
            Certificate.cohort_code,
            Certificate.issued_at,
        )
        .where(Certificate.id.in_(ids[:SHOWN]))
        .order_by(Certificate.id)
    )
    return Listing(items=[FailedCertificate(*row) for row in db.execute(stmt)], total=len(ids))


def school_home(db: Session, *, today: date, now: datetime) -> SchoolHome:
    """What the school must do now, as of today (in the school's time) and now."""
    return SchoolHome(
        today=today,
        sessions_today=_sessions_due(db, first=today, last=today),
        sessions_past=_sessions_due(db, first=today - timedelta(days=PAST_DAYS - 1), last=today - timedelta(days=1)),
        to_close=_to_close(db, today=today),
        filling=_filling(db),
        pending=_pending(db, now=now),
        failed_certificates=_failed_certificates(db, now=now),
        refused_imports=_refused_imports(db),
        failed_mail=failed_count(db),
    )


# Files with refused rows counted at most this far back (a file is set right by importing one of the same name).
_IMPORTS_COUNTED = 500


def _refused_imports(db: Session) -> Listing[ImportRunRead]:
    found = imports_with_refused_rows(db, limit=_IMPORTS_COUNTED)
    return Listing(items=found[:SHOWN], total=len(found))
