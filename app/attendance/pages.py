"""The school's pages of attendance and closing: a session's attendance on one screen (saved row by row by
app/web/static/js/attendance.js through `PUT /api/v1/sessions/{id}/attendance`, or as a whole by the form without
the script), a sign-in sheet uploaded with the API's per-row report, the printable sign-in sheet (PDF), and the
check before closing a cohort, then closing it and issuing its certificates. The rules are the services' and the
selectors' (one rule, whichever door)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import pdf
from app.attendance import selectors, service
from app.attendance.rules import AttendanceStatus, minutes_late_error, parse_minutes_late, session_minutes
from app.attendance.schemas import AttendanceIn, AttendanceReport
from app.audit.service import record_list
from app.certificates import service as certificates
from app.clock import now_utc
from app.cohorts.rules import FINISHED_STATES
from app.cohorts.selectors import list_sessions
from app.config import get_settings
from app.errors import Invalid
from app.imports.service import read_limited
from app.web.deps import PageAdmin, SessionDep
from app.web.pages import page_language, templates
from app.web.pagination import RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)

STATUSES = [s.value for s in AttendanceStatus]


def _roll_page(
    request: Request,
    roll: selectors.SessionRoll,
    *,
    report: AttendanceReport | None = None,
    session_dates: dict[int, date] | None = None,
    errors: list[tuple[str, str]] | None = None,
    sent_minutes: dict[int, str] | None = None,
    sent_statuses: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "roll": roll,
        "max_minutes": session_minutes(roll.session.hours),
        "sent_minutes": sent_minutes or {},
        "sent_statuses": sent_statuses or {},
        "statuses": STATUSES,
        "finished": roll.cohort.state in FINISHED_STATES,
        "report": report,
        "session_dates": session_dates or {},
        "errors": errors or [],
    }
    return templates.TemplateResponse(request, "attendance/session.html", context, status_code=status_code)


@router.get("/admin/sessions/{session_id}/attendance", response_class=HTMLResponse)
def attendance_page(session_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """Every official holding a seat in the session's cohort, with present / late / excused / absent each."""
    roll = selectors.session_roll(db, session_id=session_id, actor=principal)
    subject = f"/admin/sessions/{session_id}/attendance"
    record_list(db, actor=principal, subject=subject, official_ids=[r.official_id for r in roll.rows])
    return _roll_page(request, roll)


@router.post("/admin/sessions/{session_id}/attendance", response_class=HTMLResponse)
async def save_attendance(session_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The whole screen at once (the form without the script): each row marked is written by the API's service, and
    with "all present" everyone not marked is present; a late row's minutes late go with it (those of a row not
    late are not sent: their field is hidden). An empty form, a status that is none, or minutes late that are no
    whole number from 1 to the session's length are refused at their row (422) and nothing is written."""
    form = await request.form()
    roll = selectors.session_roll(db, session_id=session_id, actor=principal)
    all_present = bool(form.get("all_present"))
    records: list[AttendanceIn] = []
    errors: list[tuple[str, str]] = []
    sent_minutes: dict[int, str] = {}
    sent_statuses: dict[int, str] = {}
    for row in roll.rows:
        sent = form.get(f"status-{row.official_id}")
        value = sent if isinstance(sent, str) and sent else None
        if value is None and all_present:
            value = AttendanceStatus.PRESENT.value
        if value is None:
            continue
        if value not in STATUSES:
            errors.append((f"status-{row.official_id}", row.name_he))
            continue
        note = form.get(f"note-{row.official_id}")
        status = AttendanceStatus(value)
        sent_statuses[row.official_id] = status.value
        fields: dict[str, Any] = {"official_id": row.official_id, "status": status}
        if isinstance(note, str) and (note.strip() or row.note):
            fields["note"] = note[:2000]
        raw = form.get(f"minutes_late-{row.official_id}")
        if status == AttendanceStatus.LATE and isinstance(raw, str) and raw.strip():
            sent_minutes[row.official_id] = raw[:20]
            try:
                minutes = parse_minutes_late(raw)
            except ValueError:
                minutes = 0
            if minutes_late_error(status, minutes, session_hours=roll.session.hours) is not None:
                errors.append((f"minutes_late-{row.official_id}", row.name_he))
                continue
            fields["minutes_late"] = minutes
        records.append(AttendanceIn(**fields))
    if errors or not records:
        return _roll_page(
            request,
            roll,
            errors=errors or [("attendance", "")],
            sent_minutes=sent_minutes,
            sent_statuses=sent_statuses,
            status_code=422,
        )
    service.record_attendance(db, session_id=session_id, records=records, actor=principal)
    return RedirectResponse(f"/admin/sessions/{session_id}/attendance?notice=attendance_saved", status_code=303)


@router.post("/admin/sessions/{session_id}/attendance/import", response_class=HTMLResponse)
def import_sheet(
    session_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """A sign-in sheet (CSV or XLSX) of the cohort, by the API's import service: the per-row report as a table; a
    file that cannot be read is named at the field (422), and nothing is written."""
    roll = selectors.session_roll(db, session_id=session_id, actor=principal)
    if file is None or not file.filename:
        return _roll_page(request, roll, errors=[("file", "missing")], status_code=422)
    content = read_limited(file.file, limit=get_settings().upload_max_bytes)
    try:
        report = service.import_attendance(
            db, cohort_id=roll.cohort.id, content=content, filename=file.filename, actor=principal
        )
    except Invalid as exc:
        return _roll_page(request, roll, errors=[("file", exc.code or "invalid")], status_code=422)
    roll = selectors.session_roll(db, session_id=session_id, actor=principal)
    dates = {s.id: s.date for s in list_sessions(db, cohort_id=roll.cohort.id)}
    return _roll_page(request, roll, report=report, session_dates=dates)


@router.get("/admin/sessions/{session_id}/sign-in-sheet.pdf")
def sign_in_sheet(session_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The printable sign-in sheet of the session: each official's name in Hebrew, ID and authority, and a column
    to sign in; the session's date in both calendars and its place."""
    roll = selectors.session_roll(db, session_id=session_id, actor=principal)
    subject = f"/admin/sessions/{session_id}/sign-in-sheet.pdf"
    record_list(db, actor=principal, subject=subject, official_ids=[r.official_id for r in roll.rows])
    settings = get_settings()
    lang = page_language(request)
    context = {
        "roll": roll,
        "lang": lang,
        "dir": "rtl" if lang == "he" else "ltr",
        "school_name": settings.school_name_he if lang == "he" else settings.school_name_en,
        "produced_at": now_utc().astimezone(ZoneInfo(settings.timezone)),
    }
    content = pdf.render_pdf("attendance/sign_in_sheet.html", context)
    filename = f"sign-in-{roll.cohort.code}-{roll.session.date.isoformat()}.pdf"
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# --- closing a cohort ----------------------------------------------------------------------------------


@router.get("/admin/cohorts/{cohort_id}/close", response_class=HTMLResponse)
def close_check(cohort_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The check before closing: who will complete and who will not, and why, by the rule closing applies."""
    outlook = selectors.closing_outlook(db, cohort_id=cohort_id, actor=principal)
    subject = f"/admin/cohorts/{cohort_id}/close"
    record_list(db, actor=principal, subject=subject, official_ids=[line.official_id for line in outlook.lines])
    return templates.TemplateResponse(request, "attendance/close.html", {"outlook": outlook})


@router.post("/admin/cohorts/{cohort_id}/close")
def close(cohort_id: RecordId, db: SessionDep, principal: PageAdmin) -> Response:
    """Close the cohort (the API's close service) and issue the certificates of those who completed (the service of
    `POST /api/v1/cohorts/{id}/certificates`; the job the close asks for then finds them issued)."""
    service.close_cohort(db, cohort_id=cohort_id, actor=principal)
    certificates.issue_cohort_certificates(db, cohort_id=cohort_id, actor=principal)
    return RedirectResponse(f"/admin/cohorts/{cohort_id}/certificates?notice=cohort_closed", status_code=303)
