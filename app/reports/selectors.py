"""Reading the records people look at from enrolments, attendance and completions: an official's transcript and
professional development hours, a cohort's attendance matrix; set-based, within the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.attendance.models import AttendanceRecord
from app.attendance.rules import attended_hours
from app.auth import Principal
from app.cohorts.models import Cohort, CohortSession, Enrolment
from app.cohorts.rules import EnrolmentStatus
from app.completions.models import Completion
from app.errors import NotFound
from app.officials.models import Official
from app.officials.scoping import check_official_visible, scope_officials, visible_official
from app.programmes.models import Programme
from app.programmes.rules import ProgrammeKind
from app.reports.rules import cpd_hours_by_year
from app.reports.schemas import (
    AttendanceMatrix,
    CpdSummary,
    CpdYear,
    MatrixRow,
    MatrixSession,
    Transcript,
    TranscriptRow,
)


def _full_name(first: str | None, last: str | None) -> str | None:
    return f"{first} {last}" if first and last else None


def _programme_fields(p: Programme) -> dict[str, Any]:
    """What a transcript row says of its programme."""
    return {
        "programme_code": p.code,
        "programme_title_he": p.title_he,
        "programme_title_en": p.title_en,
        "kind": p.kind,
    }


def official_transcript(db: Session, *, official_id: int, actor: Principal) -> Transcript:
    """Every programme an official took, in cohorts or by decision, across all appointments, oldest first."""
    official = visible_official(db, official_id=official_id, actor=actor)
    scheduled = (
        select(CohortSession.cohort_id, func.sum(CohortSession.hours).label("hours"))
        .group_by(CohortSession.cohort_id)
        .subquery()
    )
    rows: list[TranscriptRow] = []
    stmt = (
        select(Enrolment, Cohort, Programme, scheduled.c.hours)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Programme, Programme.id == Cohort.programme_id)
        .outerjoin(scheduled, scheduled.c.cohort_id == Cohort.id)
        .where(Enrolment.official_id == official.id)
    )
    for e, c, p, hours in db.execute(stmt):
        rows.append(
            TranscriptRow(
                **_programme_fields(p),
                cohort_code=c.code,
                cohort_start=c.start_date,
                cohort_end=c.end_date,
                scheduled_hours=float(hours or 0),
                attended_hours=e.attended_hours,
                result=e.status,
                completed_on=e.completed_on,
                by_decision=e.decision_reason is not None,
                decision_reason=e.decision_reason,
            )
        )
    outside = (
        select(Completion, Programme)
        .join(Programme, Programme.id == Completion.programme_id)
        .where(Completion.official_id == official.id, Completion.enrolment_id.is_(None))
    )
    for comp, p in db.execute(outside):
        rows.append(
            TranscriptRow(
                **_programme_fields(p),
                cohort_code=None,
                cohort_start=None,
                cohort_end=None,
                scheduled_hours=None,
                attended_hours=None,
                result=EnrolmentStatus.COMPLETED,
                completed_on=comp.completed_on,
                by_decision=True,
                decision_reason=comp.reason,
            )
        )
    rows.sort(key=lambda r: (r.cohort_start or r.completed_on or r.cohort_end, r.programme_code))
    return Transcript(
        official_id=official.id,
        national_id=official.national_id,
        name_he=f"{official.first_name_he} {official.last_name_he}",
        name_en=_full_name(official.first_name_en, official.last_name_en),
        items=rows,
        total=len(rows),
    )


def attendance_matrix(db: Session, *, cohort_id: int, actor: Principal) -> AttendanceMatrix:
    """A cohort's officials x sessions with each status and the attended hours, for those the caller may see."""
    cohort = db.scalar(select(Cohort).where(Cohort.id == cohort_id))
    if cohort is None:
        raise NotFound(f"no cohort with id {cohort_id}")
    sessions = list(
        db.scalars(
            select(CohortSession)
            .where(CohortSession.cohort_id == cohort.id)
            .order_by(CohortSession.date, CohortSession.id)
        )
    )
    stmt = scope_officials(
        select(Enrolment, Official.first_name_he, Official.last_name_he)
        .join(Official, Official.id == Enrolment.official_id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status != EnrolmentStatus.WAITLISTED),
        actor,
    ).order_by(Official.last_name_he, Official.first_name_he, Enrolment.id)
    enrolments = db.execute(stmt).all()
    marks: dict[tuple[int, int], str] = {}
    minutes: dict[tuple[int, int], int | None] = {}
    if sessions and enrolments:
        records = db.execute(
            select(
                AttendanceRecord.official_id,
                AttendanceRecord.session_id,
                AttendanceRecord.status,
                AttendanceRecord.minutes_late,
            ).where(
                AttendanceRecord.session_id.in_([s.id for s in sessions]),
                AttendanceRecord.official_id.in_([e.official_id for e, _, _ in enrolments]),
            )
        )
        for official_id, session_id, status, minutes_late in records:
            marks[(official_id, session_id)] = status
            minutes[(official_id, session_id)] = minutes_late
    scheduled = sum(s.hours for s in sessions)
    rows = []
    for e, first, last in enrolments:
        statuses = [marks.get((e.official_id, s.id)) for s in sessions]
        hours = attended_hours(
            [(s.hours, st, minutes.get((e.official_id, s.id))) for s, st in zip(sessions, statuses, strict=True) if st],
            late_credit_pct=cohort.late_credit_pct,
        )
        rows.append(
            MatrixRow(
                enrolment_id=e.id,
                official_id=e.official_id,
                name_he=f"{first} {last}",
                enrolment_status=e.status,
                statuses=statuses,
                attended_hours=hours,
                attended_pct=round(100 * hours / scheduled, 1) if scheduled else 0.0,
            )
        )
    return AttendanceMatrix(
        cohort_id=cohort.id,
        cohort_code=cohort.code,
        scheduled_hours=scheduled,
        min_attendance_pct=cohort.min_attendance_pct,
        late_credit_pct=cohort.late_credit_pct,
        sessions=[MatrixSession(id=s.id, date=s.date, hours=s.hours, title=s.title) for s in sessions],
        items=rows,
        total=len(rows),
    )


def cpd_summary(db: Session, *, official_id: int, actor: Principal) -> CpdSummary:
    """Hours of completed advanced programmes per year, for the official's continuing development."""
    check_official_visible(db, official_id=official_id, actor=actor)
    stmt = (
        select(Completion.completed_on, Programme.hours, Programme.code)
        .join(Programme, Programme.id == Completion.programme_id)
        .where(Completion.official_id == official_id, Programme.kind == ProgrammeKind.ADVANCED)
    )
    years = cpd_hours_by_year((d, float(h), code) for d, h, code in db.execute(stmt))
    items = [CpdYear(year=y, hours=h, programmes=p) for y, h, p in years]
    return CpdSummary(
        official_id=official_id, total_hours=round(sum(i.hours for i in items), 2), items=items, total=len(items)
    )
