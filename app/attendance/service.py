"""Use cases of attendance, assessments and completion: taking and correcting attendance, importing it,
recording assessment results, closing a cohort (rule 5) and recording completion by decision."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import jobs
from app.attendance import rules
from app.attendance.models import AssessmentResult, AttendanceRecord
from app.attendance.schemas import (
    AssessmentResultIn,
    AssessmentResultRead,
    AttendanceIn,
    AttendanceReport,
    AttendanceRowReport,
    CloseItem,
    CloseReport,
    CompletionDecisionIn,
)
from app.attendance.selectors import (
    assessment_codes,
    assessment_results,
    closing_basis,
    cohort_attendance,
    decide_seat,
)
from app.audit.service import add_and_record, record_change, snapshot
from app.auth import Principal
from app.clock import now_utc
from app.cohorts.models import Cohort, CohortSession, Enrolment
from app.cohorts.rules import HOLDING_SEAT, CohortState, EnrolmentStatus
from app.cohorts.schemas import EnrolmentRead
from app.cohorts.selectors import read_enrolment
from app.cohorts.service import (
    cohort_assessment,
    enrolments_of,
    get_enrolment,
    get_session,
    lock_cohort,
    mark_closed,
    remove_session,
    sessions_of,
    update_enrolment,
    withdraw,
)
from app.completions.rules import CompletionSource
from app.completions.service import record_completion
from app.config import get_settings
from app.errors import Conflict, Invalid
from app.officials.rules import normalise_national_id
from app.officials.selectors import official_ids_by_national_id
from app.schemas import MAX_ID

# --- shared checks -------------------------------------------------------------------------------------


def _refuse_if_finished(cohort: Cohort) -> None:
    """Attendance and results are written only while a cohort runs: a closed one has been decided."""
    if cohort.state == CohortState.CLOSED:
        raise Conflict(
            f"cohort {cohort.code} is closed: corrections after closing are not possible; "
            "an admin may record completion by decision instead",
            code="cohort_closed",
        )
    if cohort.state == CohortState.CANCELLED:
        raise Conflict(f"cohort {cohort.code} is cancelled: it takes no attendance or results", code="cohort_cancelled")


def _no_seat(official: str, enrolment: Enrolment | None, cohort: Cohort) -> tuple[str, str] | None:
    """Why an official's attendance cannot be taken in the cohort (error code, sentence), or None when it can."""
    if enrolment is None:
        return "not_enrolled", f"{official} is not enrolled in cohort {cohort.code}"
    if enrolment.status not in HOLDING_SEAT:
        return "no_seat", f"{official} is {enrolment.status} in cohort {cohort.code}, not holding a seat"
    return None


# --- writing attendance --------------------------------------------------------------------------------


@dataclass
class _Sheet:
    """A bulk write in progress: the cohort's records of the sessions touched, and what each row did."""

    cohort: Cohort
    enrolments: dict[int, Enrolment]
    existing: dict[tuple[int, int], AttendanceRecord]
    rows: list[AttendanceRowReport]
    seen: dict[tuple[int, int], int]


def _open_sheet(db: Session, *, cohort: Cohort, session_ids: list[int]) -> _Sheet:
    existing: dict[tuple[int, int], AttendanceRecord] = {}
    if session_ids:
        for r in db.scalars(select(AttendanceRecord).where(AttendanceRecord.session_id.in_(session_ids))):
            existing[(r.session_id, r.official_id)] = r
    return _Sheet(
        cohort=cohort,
        enrolments={e.official_id: e for e in enrolments_of(db, cohort_id=cohort.id)},
        existing=existing,
        rows=[],
        seen={},
    )


def _refuse(sheet: _Sheet, row: AttendanceRowReport, error: str, detail: str) -> None:
    sheet.rows.append(row.model_copy(update={"result": "refused", "error": error, "detail": detail}))


def _write_row(
    db: Session,
    sheet: _Sheet,
    *,
    row: AttendanceRowReport,
    item: CohortSession,
    official_id: int,
    status: str,
    note: str | None,
    keep_note: bool,
    actor: Principal,
    minutes_late: int | None = None,
) -> None:
    """Write one official's attendance at one session, or refuse the row, and report it. Minutes late are written
    as given (checked by the caller): none clears them, and only a late arrival keeps any."""
    who = f"official {official_id}" if row.national_id is None else f"the official with ID {row.national_id}"
    enrolment = sheet.enrolments.get(official_id)
    why = _no_seat(who, enrolment, sheet.cohort)
    if why is not None:
        _refuse(sheet, row, *why)
        return
    assert enrolment is not None
    key = (item.id, official_id)
    if key in sheet.seen:
        _refuse(sheet, row, "duplicate_row", f"{who} at the session of {item.date} is already in row {sheet.seen[key]}")
        return
    sheet.seen[key] = row.row
    if status != rules.AttendanceStatus.LATE:
        minutes_late = None
    record = sheet.existing.get(key)
    if record is None:
        record = AttendanceRecord(
            session_id=item.id,
            enrolment_id=enrolment.id,
            official_id=official_id,
            status=status,
            note=note,
            minutes_late=minutes_late,
            recorded_at=now_utc(),
            recorded_by_user_id=actor.user_id,
        )
        add_and_record(db, record, actor=actor, entity_type="attendance")
        sheet.existing[key] = record
        sheet.rows.append(row.model_copy(update={"result": "created", "record_id": record.id}))
        return
    new_note = record.note if keep_note else note
    if (record.status, record.note, record.minutes_late) == (status, new_note, minutes_late):
        sheet.rows.append(row.model_copy(update={"result": "unchanged", "record_id": record.id}))
        return
    before = snapshot(record)
    record.status, record.note, record.minutes_late = status, new_note, minutes_late
    record.recorded_at, record.recorded_by_user_id = now_utc(), actor.user_id
    record_change(db, record, before=before, actor=actor, entity_type="attendance")
    sheet.rows.append(row.model_copy(update={"result": "updated", "record_id": record.id}))


def _report(sheet: _Sheet) -> AttendanceReport:
    def count(result: str) -> int:
        return sum(r.result == result for r in sheet.rows)

    return AttendanceReport(
        created=count("created"),
        updated=count("updated"),
        unchanged=count("unchanged"),
        refused=count("refused"),
        rows=sheet.rows,
    )


def record_attendance(
    db: Session, *, session_id: int, records: list[AttendanceIn], actor: Principal
) -> AttendanceReport:
    """Take or correct a session's attendance in bulk; each change is audited, unfit rows are refused one by one."""
    item = get_session(db, session_id=session_id)
    # Minutes late beyond the session's length are a bad request, not a row to refuse: nothing is written.
    for i, rec in enumerate(records):
        why = rules.minutes_late_error(rec.status, rec.minutes_late, session_hours=item.hours)
        if why is not None:
            field = f"records.{i}.minutes_late"
            raise Invalid(f"{field}: {why}", field=field, code="invalid")
    # The cohort's lock orders attendance against a close: nothing is written into a cohort being decided.
    cohort = lock_cohort(db, cohort_id=item.cohort_id)
    _refuse_if_finished(cohort)
    sheet = _open_sheet(db, cohort=cohort, session_ids=[item.id])
    for i, rec in enumerate(records, start=1):
        row = AttendanceRowReport(
            row=i,
            official_id=rec.official_id,
            session_id=item.id,
            status=rec.status,
            minutes_late=rec.minutes_late,
            result="refused",
        )
        _write_row(
            db,
            sheet,
            row=row,
            item=item,
            official_id=rec.official_id,
            status=rec.status,
            note=rec.note,
            keep_note="note" not in rec.model_fields_set,
            actor=actor,
            minutes_late=rec.minutes_late,
        )
    return _report(sheet)


def _sheet_session(
    line: rules.SheetRow, sessions: dict[int, CohortSession], by_date: dict[Any, list[CohortSession]], cohort: Cohort
) -> CohortSession | tuple[str, str]:
    """The session a sheet row means, or why it cannot be told (error code, sentence)."""
    chosen: CohortSession | None = None
    if line.session_id:
        if not re.fullmatch(r"[0-9]{1,10}", line.session_id) or not 1 <= int(line.session_id) <= MAX_ID:
            return "invalid", f"session_id: {line.session_id!r} is not a session id"
        chosen = sessions.get(int(line.session_id))
        if chosen is None:
            return "other_cohort", f"session_id: session {line.session_id} is not a session of cohort {cohort.code}"
    if line.session_date:
        try:
            day = rules.parse_session_date(line.session_date)
        except ValueError as exc:
            return "invalid", f"session_date: {exc}"
        if chosen is not None:
            if chosen.date != day:
                return "invalid", f"session_date: session {chosen.id} is on {chosen.date}, not {day}"
            return chosen
        on_day = by_date.get(day, [])
        if not on_day:
            return "no_session", f"session_date: cohort {cohort.code} has no session on {day}"
        if len(on_day) > 1:
            ids = ", ".join(str(s.id) for s in on_day)
            detail = f"session_date: cohort {cohort.code} has {len(on_day)} sessions on {day} (ids {ids})"
            return "ambiguous_session", detail + "; give session_id instead"
        return on_day[0]
    if chosen is None:
        return "invalid", "session_date: is empty; give the session's date or its session_id"
    return chosen


def import_attendance(
    db: Session, *, cohort_id: int, content: bytes, filename: str | None = None, actor: Principal
) -> AttendanceReport:
    """Import a cohort's attendance from a CSV or XLSX sheet; rows that are fine are written, the others refused."""
    cohort = lock_cohort(db, cohort_id=cohort_id)
    _refuse_if_finished(cohort)
    limit = get_settings().xlsx_max_uncompressed_bytes
    lines = rules.read_sheet(content, filename=filename, max_uncompressed=limit)
    cohort_sessions = sessions_of(db, cohort_id=cohort.id)
    sessions = {s.id: s for s in cohort_sessions}
    by_date: dict[Any, list[CohortSession]] = defaultdict(list)
    for s in cohort_sessions:
        by_date[s.date].append(s)
    # Excel drops an ID's leading zeros; normalising restores them (or says why the value is no ID).
    ids: dict[str, str | ValueError] = {}
    for line in lines:
        try:
            ids[line.national_id] = normalise_national_id(line.national_id)
        except ValueError as exc:
            ids[line.national_id] = exc
    valid = {v for v in ids.values() if isinstance(v, str)}
    officials = official_ids_by_national_id(db, national_ids=valid)
    sheet = _open_sheet(db, cohort=cohort, session_ids=list(sessions))
    for line in lines:
        row = AttendanceRowReport(row=line.row, national_id=line.national_id, result="refused")
        nid = ids[line.national_id]
        if isinstance(nid, ValueError):
            _refuse(sheet, row, "invalid", f"national_id: {line.national_id!r} {nid}")
            continue
        official_id = officials.get(nid)
        row = row.model_copy(update={"national_id": nid, "official_id": official_id})
        if official_id is None:
            _refuse(sheet, row, "unknown_official", f"national_id: no official has the ID {nid}")
            continue
        try:
            status = rules.parse_status(line.status)
        except ValueError as exc:
            _refuse(sheet, row, "invalid", f"status: {exc}")
            continue
        row = row.model_copy(update={"status": status})
        try:
            minutes_late = rules.parse_minutes_late(line.minutes_late)
        except ValueError as exc:
            _refuse(sheet, row, "invalid", f"minutes_late: {exc}")
            continue
        row = row.model_copy(update={"minutes_late": minutes_late})
        chosen = _sheet_session(line, sessions, by_date, cohort)
        if isinstance(chosen, tuple):
            _refuse(sheet, row, *chosen)
            continue
        row = row.model_copy(update={"session_id": chosen.id})
        why = rules.minutes_late_error(status, minutes_late, session_hours=chosen.hours)
        if why is not None:
            _refuse(sheet, row, "invalid", f"minutes_late: {why}")
            continue
        _write_row(
            db,
            sheet,
            row=row,
            item=chosen,
            official_id=official_id,
            status=status,
            note=line.note or None,
            keep_note=False,
            actor=actor,
            minutes_late=minutes_late,
        )
    return _report(sheet)


# --- assessments ---------------------------------------------------------------------------------------


def record_assessment_result(
    db: Session, *, enrolment_id: int, code: str, data: AssessmentResultIn, actor: Principal
) -> AssessmentResultRead:
    """Record or correct the result of a required assessment of the enrolment's cohort; audited."""
    enrolment = get_enrolment(db, enrolment_id=enrolment_id, actor=actor)
    cohort = lock_cohort(db, cohort_id=enrolment.cohort_id)
    db.refresh(enrolment)
    assessment = cohort_assessment(db, cohort_id=cohort.id, code=code)
    if assessment is None:
        known = assessment_codes(db, cohort_id=cohort.id)
        which = f"its required assessments are {', '.join(known)}" if known else "it requires no assessment"
        raise Invalid(
            f"code: {code!r} is not a required assessment of cohort {cohort.code}; {which}",
            field="code",
            code="unknown_assessment",
        )
    _refuse_if_finished(cohort)
    if enrolment.status not in HOLDING_SEAT:
        raise Conflict(
            f"enrolment {enrolment.id} is {enrolment.status}: results are recorded for officials holding a seat",
            code="no_seat",
        )
    result = db.scalar(
        select(AssessmentResult).where(
            AssessmentResult.enrolment_id == enrolment.id, AssessmentResult.assessment_id == assessment.id
        )
    )
    if result is None:
        result = AssessmentResult(
            enrolment_id=enrolment.id,
            assessment_id=assessment.id,
            passed=data.passed,
            grade=data.grade,
            note=data.note,
            recorded_at=now_utc(),
            recorded_by_user_id=actor.user_id,
        )
        add_and_record(db, result, actor=actor, entity_type="assessment_result")
    elif (result.passed, result.grade, result.note) != (data.passed, data.grade, data.note):
        before = snapshot(result)
        result.passed, result.grade, result.note = data.passed, data.grade, data.note
        result.recorded_at, result.recorded_by_user_id = now_utc(), actor.user_id
        record_change(db, result, before=before, actor=actor, entity_type="assessment_result")
    results = assessment_results(db, enrolment_id=enrolment.id, cohort_id=cohort.id)
    return next(r for r in results if r.code == code)


# --- closing a cohort ----------------------------------------------------------------------------------


def _add_completion(
    db: Session,
    *,
    enrolment: Enrolment,
    cohort: Cohort,
    source: CompletionSource,
    reason: str | None,
    actor: Principal,
) -> None:
    assert enrolment.completed_on is not None
    record_completion(
        db,
        official_id=enrolment.official_id,
        programme_id=cohort.programme_id,
        completed_on=enrolment.completed_on,
        source=source,
        reason=reason,
        enrolment_id=enrolment.id,
        actor=actor,
    )


def close_cohort(db: Session, *, cohort_id: int, actor: Principal) -> CloseReport:
    """Close a cohort whatever its dates: decide every seat by rule 5 as of its last session; waitlist withdrawn;
    the certificates of those who completed are queued for issuing once the close commits."""
    cohort = lock_cohort(db, cohort_id=cohort_id)
    if cohort.state == CohortState.CLOSED:
        closed = cohort.closed_at.date() if cohort.closed_at else "earlier"
        raise Conflict(f"cohort {cohort.code} was already closed (on {closed})", code="cohort_closed")
    if cohort.state == CohortState.CANCELLED:
        raise Conflict(f"cohort {cohort.code} is cancelled and cannot be closed", code="cohort_cancelled")
    basis = closing_basis(db, cohort_id=cohort.id)
    sessions = basis.sessions
    if not sessions:
        raise Conflict(
            f"cohort {cohort.code} has no sessions: there is nothing to decide completion on", code="no_sessions"
        )
    last = max(s.date for s in sessions)
    scheduled = sum(s.hours for s in sessions)
    rows = enrolments_of(
        db,
        cohort_id=cohort.id,
        statuses=(EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.WAITLISTED),
    )
    items: list[CloseItem] = []
    withdrawn = 0
    for enrolment in rows:
        if enrolment.status == EnrolmentStatus.WAITLISTED:
            withdraw(db, enrolment=enrolment, actor=actor, on=last)
            withdrawn += 1
            continue
        decision = decide_seat(
            basis,
            official_id=enrolment.official_id,
            enrolment_id=enrolment.id,
            min_attendance_pct=cohort.min_attendance_pct,
            late_credit_pct=cohort.late_credit_pct,
        )
        if enrolment.status == EnrolmentStatus.COMPLETED:
            # Completed earlier by an admin's decision: that stands; the hours are recorded if they were not.
            if enrolment.attended_hours is None:
                update_enrolment(db, enrolment=enrolment, actor=actor, attended_hours=decision.attended_hours)
            by_decision = True
        else:
            update_enrolment(
                db,
                enrolment=enrolment,
                actor=actor,
                status=EnrolmentStatus.COMPLETED if decision.completed else EnrolmentStatus.NOT_COMPLETED,
                attended_hours=decision.attended_hours,
                completed_on=last if decision.completed else None,
                ended_on=last,
            )
            if decision.completed:
                _add_completion(
                    db,
                    enrolment=enrolment,
                    cohort=cohort,
                    source=CompletionSource.COHORT,
                    reason=None,
                    actor=actor,
                )
            by_decision = False
        items.append(
            CloseItem(
                enrolment_id=enrolment.id,
                official_id=enrolment.official_id,
                official_name_he=basis.names_he[enrolment.id],
                result=enrolment.status,
                attended_hours=enrolment.attended_hours if by_decision else decision.attended_hours,
                completed_on=enrolment.completed_on,
                by_decision=by_decision,
                reasons=[] if by_decision else list(decision.reasons),
            )
        )
    mark_closed(db, cohort=cohort, actor=actor)
    # The certificates of those who completed are issued by the worker once the close has committed (by the
    # job's name: certificates sits above attendance and is not imported here).
    jobs.enqueue_after_commit(db, "certificates.issue_cohort", cohort.id)
    return CloseReport(
        cohort_id=cohort.id,
        closed_on=last,
        scheduled_hours=rules.round_hours(scheduled),
        required_hours=rules.required_hours(scheduled, min_attendance_pct=cohort.min_attendance_pct),
        withdrawn_from_waitlist=withdrawn,
        items=items,
        total=len(items),
    )


# --- completion by decision ----------------------------------------------------------------------------


def complete_by_decision(
    db: Session, *, enrolment_id: int, data: CompletionDecisionIn, actor: Principal
) -> EnrolmentRead:
    """Record an enrolment as completed by an admin's decision, with its reason and date; shown as such."""
    enrolment = get_enrolment(db, enrolment_id=enrolment_id, actor=actor)
    cohort = lock_cohort(db, cohort_id=enrolment.cohort_id)
    db.refresh(enrolment)
    if enrolment.status == EnrolmentStatus.COMPLETED:
        how = "by decision" if enrolment.decision_reason else "by the cohort's rules"
        raise Conflict(
            f"enrolment {enrolment.id} is already completed ({how}, on {enrolment.completed_on})",
            code="already_completed",
        )
    if enrolment.status not in (EnrolmentStatus.ENROLLED, EnrolmentStatus.NOT_COMPLETED):
        raise Conflict(
            f"enrolment {enrolment.id} is {enrolment.status}: only an official holding a seat, or one not "
            "completed when the cohort closed, can be completed by decision",
            code="wrong_state",
        )
    if cohort.state == CohortState.CANCELLED:
        raise Conflict(f"cohort {cohort.code} is cancelled", code="cohort_cancelled")
    if data.completed_on < cohort.start_date:
        raise Invalid(
            f"completed_on: {data.completed_on} is before cohort {cohort.code} started on {cohort.start_date}",
            field="completed_on",
        )
    hours = enrolment.attended_hours
    if hours is None:
        records = cohort_attendance(db, cohort_id=cohort.id).get(enrolment.official_id)
        if records:
            hours = rules.attended_hours(records, late_credit_pct=cohort.late_credit_pct)
    update_enrolment(
        db,
        enrolment=enrolment,
        actor=actor,
        status=EnrolmentStatus.COMPLETED,
        completed_on=data.completed_on,
        decision_reason=data.reason,
        attended_hours=hours,
    )
    _add_completion(
        db, enrolment=enrolment, cohort=cohort, source=CompletionSource.DECISION, reason=data.reason, actor=actor
    )
    return read_enrolment(db, enrolment_id=enrolment.id, actor=actor)


# --- cancelling a session ------------------------------------------------------------------------------------


def cancel_session(db: Session, *, session_id: int, actor: Principal) -> None:
    """Cancel (delete) a session of a cohort that is not finished; refused (409 `attendance_taken`) once any
    attendance was recorded at it, since that record counts towards completion."""
    item = get_session(db, session_id=session_id)
    taken = db.scalar(select(AttendanceRecord.id).where(AttendanceRecord.session_id == item.id).limit(1))
    if taken is not None:
        raise Conflict(
            f"attendance was already taken at session {item.id}: it cannot be cancelled", code="attendance_taken"
        )
    remove_session(db, session=item, actor=actor)
