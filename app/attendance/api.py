"""JSON routes of attendance, assessment results, closing a cohort and completion by decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Path, UploadFile

from app.attendance import selectors, service
from app.attendance.schemas import (
    AssessmentResultIn,
    AssessmentResultRead,
    AttendanceRead,
    AttendanceReport,
    AttendanceSheet,
    CloseReport,
    CompletionDecisionIn,
    ProgressRead,
)
from app.audit.service import record_list, record_read
from app.cohorts import selectors as cohorts
from app.cohorts.schemas import EnrolmentRead
from app.config import get_settings
from app.imports.service import read_limited
from app.programmes.schemas import CODE_MAX_LENGTH, CODE_PATTERN
from app.web.deps import AdminOnly, Anyone, SessionDep
from app.web.errors import responses
from app.web.pagination import Page, RecordId
from app.web.routing import Router

router = Router(prefix="/api/v1", tags=["attendance"])

AssessmentCode = Annotated[
    str,
    Path(
        pattern=CODE_PATTERN,
        max_length=CODE_MAX_LENGTH,
        description="The code of a required assessment of the cohort, e.g. final_project.",
    ),
]


@router.put(
    "/sessions/{session_id}/attendance",
    response_model=AttendanceReport,
    responses=responses(401, 403, 404, 409, 422),
)
def record_attendance(
    session_id: RecordId, data: AttendanceSheet, db: SessionDep, actor: AdminOnly
) -> AttendanceReport:
    """Take or correct a session's attendance for the whole cohort in one request. Admins only.

    Each row is written or refused on its own: an official without a seat in the session's cohort (not enrolled,
    waitlisted, withdrawn) or named twice is refused with a reason, the others are written, and every change is
    in the audit trail with before and after. A note left out keeps the note recorded. A closed or cancelled
    cohort answers 409: corrections after closing are not possible.
    """
    return service.record_attendance(db, session_id=session_id, records=data.records, actor=actor)


@router.get(
    "/sessions/{session_id}/attendance", response_model=Page[AttendanceRead], responses=responses(401, 404, 422)
)
def list_session_attendance(session_id: RecordId, db: SessionDep, actor: Anyone) -> Page[AttendanceRead]:
    """A session's attendance, by name: all for admins and auditors, a liaison's authority, an official's own.
    Written to the access log with the officials listed."""
    rows = selectors.list_session_attendance(db, session_id=session_id, actor=actor)
    subject = f"/api/v1/sessions/{session_id}/attendance"
    record_list(db, actor=actor, subject=subject, official_ids=[r.official_id for r in rows])
    return Page(items=rows, total=len(rows))


@router.post(
    "/cohorts/{cohort_id}/attendance/import",
    response_model=AttendanceReport,
    responses=responses(401, 403, 404, 409, 413, 422),
)
def import_attendance(
    cohort_id: RecordId,
    db: SessionDep,
    actor: AdminOnly,
    file: UploadFile = File(
        description="CSV as Excel saves it (UTF-8 or Windows-1255; `,` `;` or tab) or XLSX, with a header row: "
        "national_id, session_date (YYYY-MM-DD or DD/MM/YYYY, or a date cell) or session_id, status (present, late, "
        "excused, absent, or נוכח, איחור, מוצדק, נעדר), note."
    ),
) -> AttendanceReport:
    """Import a cohort's attendance from a sheet; rows that are fine are written, the others refused. Admins only.

    A row naming a session of another cohort, or a date with no session of this one, is refused with a reason;
    a file that cannot be read is 422, one over the upload limit (or a workbook that would unpack too large) 413,
    a closed or cancelled cohort 409.
    """
    content = read_limited(file.file, limit=get_settings().upload_max_bytes)
    return service.import_attendance(db, cohort_id=cohort_id, content=content, filename=file.filename, actor=actor)


@router.post("/cohorts/{cohort_id}/close", response_model=CloseReport, responses=responses(401, 403, 404, 409, 422))
def close_cohort(cohort_id: RecordId, db: SessionDep, actor: AdminOnly) -> CloseReport:
    """Close a cohort, whatever its dates, and decide every seat by the cohort's rules. Admins only.

    An enrolment is completed when its attended hours (late counting for the cohort's share) reach the cohort's
    minimum share of the scheduled hours and every required assessment was passed; it is dated the cohort's last
    session and satisfies the official's requirements of the programme. The waitlist is withdrawn. A second
    close, a cancelled cohort or one without sessions answers 409.
    """
    return service.close_cohort(db, cohort_id=cohort_id, actor=actor)


@router.put(
    "/enrolments/{enrolment_id}/assessments/{code}",
    response_model=AssessmentResultRead,
    responses=responses(401, 403, 404, 409, 422),
)
def record_assessment_result(
    enrolment_id: RecordId, code: AssessmentCode, data: AssessmentResultIn, db: SessionDep, actor: AdminOnly
) -> AssessmentResultRead:
    """Record or correct the result (pass or fail, optional grade 0-100) of a required assessment. Admins only.

    A code that is not a required assessment of the enrolment's cohort is 422; a closed or cancelled cohort, or an
    official without a seat, 409.
    """
    return service.record_assessment_result(db, enrolment_id=enrolment_id, code=code, data=data, actor=actor)


@router.get(
    "/enrolments/{enrolment_id}/assessments",
    response_model=Page[AssessmentResultRead],
    responses=responses(401, 404, 422),
)
def list_assessment_results(enrolment_id: RecordId, db: SessionDep, actor: Anyone) -> Page[AssessmentResultRead]:
    """The required assessments of an enrolment's cohort and the results so far, within the caller's scope.
    Written to the access log."""
    enrolment = cohorts.read_enrolment(db, enrolment_id=enrolment_id, actor=actor)
    rows = selectors.assessment_results(db, enrolment_id=enrolment.id, cohort_id=enrolment.cohort_id)
    subject = f"/api/v1/enrolments/{enrolment_id}/assessments"
    record_read(db, actor=actor, subject=subject, official_id=enrolment.official_id)
    return Page(items=rows, total=len(rows))


@router.get("/enrolments/{enrolment_id}/progress", response_model=ProgressRead, responses=responses(401, 404, 422))
def get_progress(enrolment_id: RecordId, db: SessionDep, actor: Anyone) -> ProgressRead:
    """An enrolment's attendance session by session and its results, against the cohort's completion rules.
    Written to the access log."""
    progress = selectors.enrolment_progress(db, enrolment_id=enrolment_id, actor=actor)
    subject = f"/api/v1/enrolments/{enrolment_id}/progress"
    record_read(db, actor=actor, subject=subject, official_id=progress.official_id)
    return progress


@router.post(
    "/enrolments/{enrolment_id}/complete",
    response_model=EnrolmentRead,
    responses=responses(401, 403, 404, 409, 422),
)
def complete_by_decision(
    enrolment_id: RecordId, data: CompletionDecisionIn, db: SessionDep, actor: AdminOnly
) -> EnrolmentRead:
    """Record completion by an admin's decision, with a reason and a date; kept and shown as such. Admins only.

    For an official holding a seat, or not completed when the cohort closed; already completed is 409, a date in
    the future or before the cohort's start 422. The completion satisfies the official's requirements.
    """
    return service.complete_by_decision(db, enrolment_id=enrolment_id, data=data, actor=actor)
