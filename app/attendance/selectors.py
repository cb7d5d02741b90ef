"""Reading attendance and assessment results: a session's attendance, an enrolment's results and progress, and
what closing a cohort decides on; set-based, scoped to the officials the caller may see."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.attendance import rules
from app.attendance.models import AssessmentResult, AttendanceRecord
from app.attendance.schemas import AssessmentResultRead, AttendanceRead, ProgressRead, SessionProgress
from app.auth import Principal
from app.authorities.models import Authority
from app.cohorts.models import Cohort, CohortAssessment, CohortSession, Enrolment
from app.cohorts.rules import HOLDING_SEAT, EnrolmentStatus
from app.cohorts.schemas import CohortRead, EnrolmentRead, SessionRead
from app.cohorts.selectors import cohort_enrolments, read_cohort, read_cohorts, read_enrolment, read_session
from app.db import AnySelect
from app.officials.models import Appointment, Official, Requirement
from app.officials.scoping import scope_officials

# --- attendance ----------------------------------------------------------------------------------------


def list_session_attendance(db: Session, *, session_id: int, actor: Principal) -> list[AttendanceRead]:
    """A session's attendance records of the officials the caller may see, by name; 404 when there is no session."""
    item = read_session(db, session_id=session_id)
    rows: AnySelect = (
        select(AttendanceRecord, Official.first_name_he, Official.last_name_he)
        .join(Official, Official.id == AttendanceRecord.official_id)
        .where(AttendanceRecord.session_id == item.id)
    )
    stmt = scope_officials(rows, actor).order_by(Official.last_name_he, Official.first_name_he, AttendanceRecord.id)
    return [
        AttendanceRead(
            id=r.id,
            session_id=r.session_id,
            session_date=item.date,
            enrolment_id=r.enrolment_id,
            official_id=r.official_id,
            official_name_he=f"{first} {last}",
            status=r.status,
            note=r.note,
            minutes_late=r.minutes_late,
            recorded_at=r.recorded_at,
            recorded_by_user_id=r.recorded_by_user_id,
        )
        for r, first, last in db.execute(stmt)
    ]


def cohort_attendance(db: Session, *, cohort_id: int) -> dict[int, list[rules.AttendanceFact]]:
    """(session hours, status, minutes late) of every record in the cohort's sessions, by official: one query."""
    out: dict[int, list[rules.AttendanceFact]] = defaultdict(list)
    stmt = (
        select(
            AttendanceRecord.official_id, CohortSession.hours, AttendanceRecord.status, AttendanceRecord.minutes_late
        )
        .join(CohortSession, CohortSession.id == AttendanceRecord.session_id)
        .where(CohortSession.cohort_id == cohort_id)
    )
    for official_id, hours, status, minutes_late in db.execute(stmt):
        out[official_id].append((hours, status, minutes_late))
    return out


# --- assessments ---------------------------------------------------------------------------------------


def assessment_codes(db: Session, *, cohort_id: int) -> list[str]:
    """The codes of a cohort's required assessments, in the order they were set."""
    stmt = select(CohortAssessment.code).where(CohortAssessment.cohort_id == cohort_id).order_by(CohortAssessment.id)
    return list(db.scalars(stmt))


def assessment_results(db: Session, *, enrolment_id: int, cohort_id: int) -> list[AssessmentResultRead]:
    """The required assessments of the enrolment's cohort, each with its result so far (none: null fields)."""
    return _results(db, {enrolment_id: cohort_id})[enrolment_id]


def assessment_results_of(db: Session, enrolments: list[EnrolmentRead]) -> dict[int, list[AssessmentResultRead]]:
    """The required assessments of each enrolment's cohort with its results so far, by enrolment: one query."""
    return _results(db, {e.id: e.cohort_id for e in enrolments})


def _results(db: Session, cohort_of: dict[int, int]) -> dict[int, list[AssessmentResultRead]]:
    stmt = (
        select(CohortAssessment, AssessmentResult)
        .outerjoin(
            AssessmentResult,
            (AssessmentResult.assessment_id == CohortAssessment.id)
            & AssessmentResult.enrolment_id.in_(list(cohort_of)),
        )
        .where(CohortAssessment.cohort_id.in_(set(cohort_of.values())))
        .order_by(CohortAssessment.id)
    )
    assessments: dict[int, list[CohortAssessment]] = defaultdict(list)
    found: dict[tuple[int, int], AssessmentResult] = {}
    for a, r in db.execute(stmt):
        if not assessments[a.cohort_id] or assessments[a.cohort_id][-1].id != a.id:
            assessments[a.cohort_id].append(a)
        if r is not None:
            found[(a.id, r.enrolment_id)] = r
    out: dict[int, list[AssessmentResultRead]] = {}
    for enrolment_id, cohort_id in cohort_of.items():
        out[enrolment_id] = []
        for a in assessments[cohort_id]:
            result = found.get((a.id, enrolment_id))
            out[enrolment_id].append(
                AssessmentResultRead(
                    enrolment_id=enrolment_id,
                    code=a.code,
                    title_he=a.title_he,
                    title_en=a.title_en,
                    passed=result.passed if result else None,
                    grade=result.grade if result else None,
                    note=result.note if result else None,
                    recorded_at=result.recorded_at if result else None,
                )
            )
    return out


def _passed_by_enrolment(db: Session, cohort_id: int) -> dict[int, dict[str, bool]]:
    """code -> passed of every assessment result in the cohort, by enrolment: one query."""
    out: dict[int, dict[str, bool]] = defaultdict(dict)
    stmt = (
        select(AssessmentResult.enrolment_id, CohortAssessment.code, AssessmentResult.passed)
        .join(CohortAssessment, CohortAssessment.id == AssessmentResult.assessment_id)
        .where(CohortAssessment.cohort_id == cohort_id)
    )
    for enrolment_id, code, passed in db.execute(stmt):
        out[enrolment_id][code] = passed
    return out


# --- progress ------------------------------------------------------------------------------------------


def enrolment_progress(db: Session, *, enrolment_id: int, actor: Principal) -> ProgressRead:
    """An enrolment's attendance session by session and its assessment results, against the cohort's rules."""
    return progress_of(db, [read_enrolment(db, enrolment_id=enrolment_id, actor=actor)])[0]


def progress_of(db: Session, enrolments: list[EnrolmentRead]) -> list[ProgressRead]:
    """The progress of each of these enrolments (read by the caller within their scope), in their order: three
    queries whatever their number."""
    if not enrolments:
        return []
    cohort_ids = {e.cohort_id for e in enrolments}
    official_ids = {e.official_id for e in enrolments}
    pcts = {
        cid: (min_pct, late_pct)
        for cid, min_pct, late_pct in db.execute(
            select(Cohort.id, Cohort.min_attendance_pct, Cohort.late_credit_pct).where(Cohort.id.in_(cohort_ids))
        )
    }
    # Every session of these cohorts with each of these officials' record at it, if any (one per session and
    # official); sessions without any of their records come once, with no official.
    stmt = (
        select(
            CohortSession.cohort_id,
            CohortSession.id,
            CohortSession.date,
            CohortSession.hours,
            AttendanceRecord.official_id,
            AttendanceRecord.status,
            AttendanceRecord.note,
            AttendanceRecord.minutes_late,
        )
        .outerjoin(
            AttendanceRecord,
            (AttendanceRecord.session_id == CohortSession.id) & AttendanceRecord.official_id.in_(official_ids),
        )
        .where(CohortSession.cohort_id.in_(cohort_ids))
        .order_by(CohortSession.date, CohortSession.id)
    )
    sessions: dict[int, list[tuple[int, dt.date, float]]] = defaultdict(list)
    records: dict[tuple[int, int], tuple[str | None, str | None, int | None]] = {}
    for cid, sid, day, hours, official_id, status, note, minutes_late in db.execute(stmt):
        if not sessions[cid] or sessions[cid][-1][0] != sid:
            sessions[cid].append((sid, day, hours))
        if official_id is not None:
            records[(sid, official_id)] = (status, note, minutes_late)
    results = assessment_results_of(db, enrolments)
    out = []
    for e in enrolments:
        min_pct, late_pct = pcts[e.cohort_id]
        lines = []
        for sid, day, hours in sessions[e.cohort_id]:
            mark, note, minutes_late = records.get((sid, e.official_id), (None, None, None))
            attended = rules.attended_hours([(hours, mark, minutes_late)] if mark else [], late_credit_pct=late_pct)
            lines.append(
                SessionProgress(
                    session_id=sid,
                    date=day,
                    hours=hours,
                    status=mark,
                    note=note,
                    attended_hours=attended,
                    minutes_late=minutes_late,
                )
            )
        scheduled = float(sum(line.hours for line in lines))
        out.append(
            ProgressRead(
                enrolment_id=e.id,
                cohort_id=e.cohort_id,
                official_id=e.official_id,
                status=e.status,
                min_attendance_pct=min_pct,
                late_credit_pct=late_pct,
                scheduled_hours=rules.round_hours(scheduled),
                required_hours=rules.required_hours(scheduled, min_attendance_pct=min_pct),
                attended_hours=rules.attended_hours(
                    [(line.hours, line.status, line.minutes_late) for line in lines if line.status],
                    late_credit_pct=late_pct,
                ),
                sessions=lines,
                assessments=results[e.id],
            )
        )
    return out


# --- closing a cohort ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosingBasis:
    """What closing a cohort decides on (rule 5): its sessions, required assessments, attendance and results."""

    sessions: list[SessionRead]  # in date order
    required: list[str]  # codes of the required assessments
    attendance: dict[int, list[rules.AttendanceFact]]  # (hours, status, minutes late) of each record, by official
    results: dict[int, dict[str, bool]]  # code -> passed of each result, by enrolment
    names_he: dict[int, str]  # the official's name in Hebrew, by enrolment


def closing_basis(db: Session, *, cohort_id: int) -> ClosingBasis:
    """Everything closing a cohort decides on, read in a few set-based queries."""
    sessions = db.scalars(
        select(CohortSession).where(CohortSession.cohort_id == cohort_id).order_by(CohortSession.date, CohortSession.id)
    )
    names = db.execute(
        select(Enrolment.id, Official.first_name_he, Official.last_name_he)
        .join(Official, Official.id == Enrolment.official_id)
        .where(Enrolment.cohort_id == cohort_id)
    )
    return ClosingBasis(
        sessions=[SessionRead.model_validate(s) for s in sessions],
        required=assessment_codes(db, cohort_id=cohort_id),
        attendance=cohort_attendance(db, cohort_id=cohort_id),
        results=_passed_by_enrolment(db, cohort_id),
        names_he={eid: f"{first} {last}" for eid, first, last in names},
    )


def decide_seat(
    basis: ClosingBasis, *, official_id: int, enrolment_id: int, min_attendance_pct: int, late_credit_pct: int
) -> rules.CompletionDecision:
    """Rule 5 for one seat over what closing decides on: what `close_cohort` writes and the check before it shows."""
    results = basis.results.get(enrolment_id, {})
    return rules.decide_completion(
        scheduled_hours=sum(s.hours for s in basis.sessions),
        attended=rules.attended_hours(basis.attendance.get(official_id, []), late_credit_pct=late_credit_pct),
        min_attendance_pct=min_attendance_pct,
        required_assessments=basis.required,
        passed={c for c, ok in results.items() if ok},
        failed={c for c, ok in results.items() if not ok},
    )


# --- the attendance screen and the sign-in sheet -------------------------------------------------------


@dataclass(frozen=True)
class RollRow:
    """One official holding a seat in the session's cohort, with their attendance at the session (None: not taken)."""

    enrolment_id: int
    official_id: int
    national_id: str
    name_he: str
    name_en: str | None
    authority_he: str | None
    authority_en: str | None
    status: str | None
    note: str | None
    minutes_late: int | None = None


@dataclass(frozen=True)
class SessionRoll:
    """A session, its cohort, and every official holding a seat in the cohort, by name."""

    session: SessionRead
    cohort: CohortRead
    rows: list[RollRow]

    @property
    def taken(self) -> int:
        return sum(r.status is not None for r in self.rows)


def session_roll(db: Session, *, session_id: int, actor: Principal) -> SessionRoll:
    """The attendance screen of a session: everyone holding a seat in its cohort (those the caller may see), their
    ID, the authority they were enrolled for, and their record at the session; a fixed number of queries."""
    item = read_session(db, session_id=session_id)
    cohort = read_cohorts(db, [item.cohort_id])[0]
    stmt: AnySelect = (
        select(
            Enrolment.id,
            Official.id,
            Official.national_id,
            Official.first_name_he,
            Official.last_name_he,
            Official.first_name_en,
            Official.last_name_en,
            Authority.name_he,
            Authority.name_en,
            AttendanceRecord.status,
            AttendanceRecord.note,
            AttendanceRecord.minutes_late,
        )
        .join(Official, Official.id == Enrolment.official_id)
        .outerjoin(Requirement, Requirement.id == Enrolment.requirement_id)
        .outerjoin(Appointment, Appointment.id == Requirement.appointment_id)
        .outerjoin(Authority, Authority.code == Appointment.authority_code)
        .outerjoin(
            AttendanceRecord,
            (AttendanceRecord.session_id == item.id) & (AttendanceRecord.official_id == Enrolment.official_id),
        )
        .where(Enrolment.cohort_id == item.cohort_id, Enrolment.status.in_(HOLDING_SEAT))
    )
    stmt = scope_officials(stmt, actor).order_by(Official.last_name_he, Official.first_name_he, Enrolment.id)
    rows = [
        RollRow(
            enrolment_id=eid,
            official_id=oid,
            national_id=nid,
            name_he=f"{first_he} {last_he}",
            name_en=f"{first_en} {last_en}" if first_en and last_en else None,
            authority_he=auth_he,
            authority_en=auth_en,
            status=status,
            note=note,
            minutes_late=minutes_late,
        )
        for eid, oid, nid, first_he, last_he, first_en, last_en, auth_he, auth_en, status, note, minutes_late in (
            db.execute(stmt)
        )
    ]
    return SessionRoll(session=item, cohort=cohort, rows=rows)


# --- the check before closing --------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosingLine:
    """What closing the cohort now would decide for one seat, and why."""

    enrolment_id: int
    official_id: int
    name_he: str
    decision: rules.CompletionDecision
    by_decision: bool  # completed earlier by an admin's decision: that stands

    @property
    def completes(self) -> bool:
        return self.by_decision or self.decision.completed


@dataclass(frozen=True)
class ClosingOutlook:
    """What closing a cohort now would decide: each seat by rule 5, and the waitlist that would be withdrawn."""

    cohort: CohortRead
    sessions: list[SessionRead]
    scheduled_hours: float
    required_hours: float
    lines: list[ClosingLine]
    waitlisted: int

    @property
    def completing(self) -> list[ClosingLine]:
        return [line for line in self.lines if line.completes]

    @property
    def not_completing(self) -> list[ClosingLine]:
        return [line for line in self.lines if not line.completes]


def closing_outlook(db: Session, *, cohort_id: int, actor: Principal) -> ClosingOutlook:
    """The check before closing: the decision `close_cohort` would write for each seat (the same rule, over the same
    basis), in a fixed number of queries; 404 without the cohort."""
    cohort = read_cohort(db, cohort_id=cohort_id)
    basis = closing_basis(db, cohort_id=cohort_id)
    enrolments = cohort_enrolments(db, cohort_id=cohort_id, actor=actor)
    lines = [
        ClosingLine(
            enrolment_id=e.id,
            official_id=e.official_id,
            name_he=e.official_name_he,
            decision=decide_seat(
                basis,
                official_id=e.official_id,
                enrolment_id=e.id,
                min_attendance_pct=cohort.min_attendance_pct,
                late_credit_pct=cohort.late_credit_pct,
            ),
            by_decision=e.status == EnrolmentStatus.COMPLETED,
        )
        for e in enrolments
        if e.status in (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED)
    ]
    scheduled = sum(s.hours for s in basis.sessions)
    return ClosingOutlook(
        cohort=cohort,
        sessions=basis.sessions,
        scheduled_hours=rules.round_hours(scheduled),
        required_hours=rules.required_hours(scheduled, min_attendance_pct=cohort.min_attendance_pct),
        lines=lines,
        waitlisted=sum(e.status == EnrolmentStatus.WAITLISTED for e in enrolments),
    )
