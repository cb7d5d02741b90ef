"""JSON, CSV and XLSX routes of transcripts, attendance matrices and professional development hours."""

from __future__ import annotations

from typing import Literal

from starlette.responses import Response

from app.audit.rules import AccessKind
from app.audit.service import record_access, record_list, record_read
from app.reports import exports, selectors
from app.reports.schemas import AttendanceMatrix, CpdSummary, Transcript
from app.web.deps import Anyone, SessionDep
from app.web.errors import responses
from app.web.exports import FILE_RESPONSES, export_response
from app.web.pagination import RecordId
from app.web.routing import Router

router = Router(prefix="/api/v1", tags=["records"])
Lang = Literal["he", "en"]


@router.get("/officials/{official_id}/transcript", response_model=Transcript, responses=responses(401, 404))
def transcript(official_id: RecordId, db: SessionDep, actor: Anyone) -> Transcript:
    """Every programme, cohort, hours and result of an official, across all appointments; within scope. Written
    to the access log."""
    t = selectors.official_transcript(db, official_id=official_id, actor=actor)
    subject = f"/api/v1/officials/{official_id}/transcript"
    record_access(db, actor=actor, kind=AccessKind.TRANSCRIPT, subject=subject, official_ids=[official_id])
    return t


@router.get(
    "/officials/{official_id}/transcript.{fmt}",
    response_class=Response,
    responses={**FILE_RESPONSES, **responses(401, 404, 422)},
)
def transcript_file(
    official_id: RecordId, fmt: Literal["csv", "xlsx"], db: SessionDep, actor: Anyone, lang: Lang = "he"
) -> Response:
    """The transcript as CSV or XLSX (right-to-left in Hebrew, or English with lang=en); within scope. Written to
    the access log."""
    t = selectors.official_transcript(db, official_id=official_id, actor=actor)
    subject = f"/api/v1/officials/{official_id}/transcript.{fmt}"
    record_access(db, actor=actor, kind=AccessKind.EXPORT, subject=subject, official_ids=[official_id])
    title = f"{t.name_he} · {t.national_id}" if lang == "he" else f"{t.name_en or t.name_he} · {t.national_id}"
    return export_response(
        fmt,
        exports.TRANSCRIPT_COLUMNS,
        [r.model_dump() for r in t.items],
        filename=f"transcript-{t.national_id}",
        lang=lang,
        sheet="transcript",
        title=title,
    )


@router.get("/cohorts/{cohort_id}/attendance", response_model=AttendanceMatrix, responses=responses(401, 404))
def attendance_matrix(cohort_id: RecordId, db: SessionDep, actor: Anyone) -> AttendanceMatrix:
    """The cohort's attendance, officials x sessions, with totals; officials within the caller's scope. Written to
    the access log with the officials listed."""
    matrix = selectors.attendance_matrix(db, cohort_id=cohort_id, actor=actor)
    subject = f"/api/v1/cohorts/{cohort_id}/attendance"
    record_list(db, actor=actor, subject=subject, official_ids=[row.official_id for row in matrix.items])
    return matrix


@router.get(
    "/cohorts/{cohort_id}/attendance.{fmt}",
    response_class=Response,
    responses={**FILE_RESPONSES, **responses(401, 404, 422)},
)
def attendance_matrix_file(
    cohort_id: RecordId, fmt: Literal["csv", "xlsx"], db: SessionDep, actor: Anyone, lang: Lang = "he"
) -> Response:
    """The attendance matrix as CSV or XLSX, with a row counting those present at each session. Written to the
    access log, with the officials in the file."""
    matrix = selectors.attendance_matrix(db, cohort_id=cohort_id, actor=actor)
    record_access(
        db,
        actor=actor,
        kind=AccessKind.EXPORT,
        subject=f"/api/v1/cohorts/{cohort_id}/attendance.{fmt}",
        official_ids=[row.official_id for row in matrix.items],
    )
    columns, rows = exports.matrix_export(matrix, lang=lang)
    return export_response(
        fmt,
        columns,
        rows,
        filename=f"attendance-{matrix.cohort_code}",
        lang=lang,
        sheet="attendance",
        title=matrix.cohort_code,
    )


@router.get("/officials/{official_id}/cpd", response_model=CpdSummary, responses=responses(401, 404))
def cpd(official_id: RecordId, db: SessionDep, actor: Anyone) -> CpdSummary:
    """Hours of completed advanced programmes per year (continuing professional development); within scope.
    Written to the access log."""
    summary = selectors.cpd_summary(db, official_id=official_id, actor=actor)
    record_read(db, actor=actor, subject=f"/api/v1/officials/{official_id}/cpd", official_id=official_id)
    return summary
