"""The school's cohort pages: `/admin/cohorts` (the list with its filters, and a new cohort), one cohort's page
(its details, sessions, enrolments and waitlist with each official's progress, and every action on them), and the
few steps that deserve a page of their own (editing the details, moving or cancelling a session, withdrawing an
official). The rules are the services' (one rule, whichever door); a form refused is shown again with what was
typed and each error at its field, with 422. Every write is followed by a redirect (303) to the cohort's page, which
says what happened (`?done=...`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.attendance import service as attendance
from app.attendance.schemas import AssessmentResultIn
from app.attendance.selectors import assessment_results, progress_of
from app.audit.service import record_list, record_read
from app.auth import Principal
from app.cohorts import selectors, service
from app.cohorts.rules import ACTIVE_ENROLMENT, ENROLLING_STATES, CohortState, EnrolmentStatus, SessionMode
from app.cohorts.schemas import BulkReport, CohortCreate, CohortRead, CohortUpdate, SessionCreate, SessionMove
from app.compliance.selectors import owed_not_enrolled
from app.errors import DomainError
from app.officials import selectors as officials
from app.programmes.selectors import get_programme, list_programmes
from app.reminders.service import announce_if_opened
from app.web.deps import FormText, PageAdmin, SessionDep
from app.web.pages import templates
from app.web.pagination import RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)
PAGE_SIZE = 50
# What the cohort's page may say happened, after a redirect (?done=...).
DONE = frozenset(
    {
        "created",
        "updated",
        "session_added",
        "session_moved",
        "session_cancelled",
        "enrolled",
        "waitlisted",
        "withdrawn",
        "promoted",
        "moved",
    }
)
Errors = list[tuple[str, str]]


def _blank_to_none(values: dict[str, str]) -> dict[str, Any]:
    return {k: (v.strip() or None) for k, v in values.items()}


def _schema_errors(exc: ValidationError, *, whole: str) -> Errors:
    """(field, message key) of each field a schema refused; a refusal of the whole form lands on `whole`."""
    out: Errors = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else whole
        key = field if err["loc"] else f"{whole}_order"
        if (field, key) not in out:
            out.append((field, key))
    return out


def _domain_error(exc: DomainError, *, default_field: str) -> Errors:
    """The error a service raised, at its field (or the form's main one), keyed by its machine code."""
    return [(exc.field or default_field, exc.code)]


def _done(to: str, what: str) -> Response:
    return RedirectResponse(f"{to}?done={what}", status_code=303)


# --- the list and a new cohort ------------------------------------------------------------------------------------


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/admin/cohorts", response_class=HTMLResponse)
def cohort_list(
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    programme: Annotated[str, Query(max_length=40)] = "",
    state: Annotated[str, Query(max_length=20)] = "",
    date_from: Annotated[str, Query(max_length=20)] = "",
    date_to: Annotated[str, Query(max_length=20)] = "",
    place: Annotated[str, Query(max_length=20)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The school's cohorts, newest first, by programme, state, dates (meeting within from..to) and place."""
    values = {"programme": programme, "state": state, "date_from": date_from, "date_to": date_to, "place": place}
    errors: Errors = []
    start, end = _parse_date(date_from), _parse_date(date_to)
    if date_from and start is None:
        errors.append(("date_from", "date_from"))
    if date_to and end is None:
        errors.append(("date_to", "date_to"))
    if start and end and end < start:
        errors.append(("date_to", "date_to_order"))
    state_value = CohortState(state) if state in set(CohortState) else None
    online = {"online": True, "in_person": False}.get(place)
    page = selectors.list_cohorts(
        db,
        programme=programme or None,
        state=state_value,
        limit=PAGE_SIZE,
        offset=offset,
        date_from=None if errors else start,
        date_to=None if errors else end,
        online=online,
    )
    context = {
        "cohorts": page.items,
        "total": page.total,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "programmes": _programmes(db),
        "values": values,
        "errors": errors,
        "states": list(CohortState),
        "query": {k: v for k, v in values.items() if v},
    }
    return templates.TemplateResponse(request, "cohorts/list.html", context, status_code=422 if errors else 200)


def _programmes(db: Session) -> dict[str, Any]:
    """The catalogue's programmes by code, in the catalogue's order (few: one query)."""
    return {p.code: p for p in list_programmes(db, kind=None, limit=500, offset=0).items}


def _cohort_form(
    request: Request, db: Session, values: dict[str, str], errors: Errors, *, cohort: CohortRead | None = None
) -> Response:
    context = {
        "values": values,
        "errors": errors,
        "programmes": _programmes(db),
        "cohort": cohort,
        "states": [CohortState.PLANNED, CohortState.OPEN]
        if cohort is None
        else [s for s in CohortState if s != CohortState.CLOSED],
    }
    return templates.TemplateResponse(request, "cohorts/form.html", context, status_code=422 if errors else 200)


@router.get("/admin/cohorts/new", response_class=HTMLResponse)
def new_cohort(request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The form of a new cohort."""
    return _cohort_form(request, db, {"state": CohortState.OPEN}, [])


_REQUIRED_NEW = ("programme_code", "code", "start_date", "end_date", "capacity")


@router.post("/admin/cohorts", response_class=HTMLResponse)
def create_cohort(
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    programme_code: FormText = "",
    code: FormText = "",
    start_date: FormText = "",
    end_date: FormText = "",
    capacity: FormText = "",
    state: FormText = "open",
    location: FormText = "",
    online: FormText = "",
    coordinator_name: FormText = "",
    coordinator_email: FormText = "",
) -> Response:
    """Open the cohort; refused, the form again as typed with each error at its field (422)."""
    values = {
        "programme_code": programme_code,
        "code": code.strip(),
        "start_date": start_date,
        "end_date": end_date,
        "capacity": capacity,
        "state": state,
        "location": location,
        "online": online,
        "coordinator_name": coordinator_name,
        "coordinator_email": coordinator_email,
    }
    errors = _missing(values, _REQUIRED_NEW)
    data = _blank_to_none({k: v for k, v in values.items() if k not in dict(errors)})
    data["online"] = bool(online)
    data["state"] = data["state"] or CohortState.OPEN
    try:
        cohort_data = CohortCreate.model_validate(data)
    except ValidationError as exc:
        _add(errors, _dates_in_order(values) + _schema_errors(exc, whole="end_date"))
    if errors:
        return _cohort_form(request, db, values, errors)
    try:
        with db.begin_nested():
            cohort = service.create_cohort(db, data=cohort_data, actor=principal)
            announce_if_opened(db, cohort_id=cohort.id, was=None)
    except DomainError as exc:
        return _cohort_form(request, db, values, _domain_error(exc, default_field="code"))
    return _done(f"/admin/cohorts/{cohort.id}", "created")


def _missing(values: dict[str, str], required: tuple[str, ...]) -> Errors:
    return [(name, f"{name}_missing") for name in required if not values.get(name, "").strip()]


def _add(errors: Errors, more: Errors) -> Errors:
    """The errors with more added, one per field (the first found stays)."""
    fields = {f for f, _ in errors}
    for f, key in more:
        if f not in fields:
            errors.append((f, key))
            fields.add(f)
    return errors


def _dates_in_order(values: dict[str, str]) -> Errors:
    """The end date before the start date, said at the end date even when other fields are wrong too (the schema
    says it only once every field is right)."""
    start, end = _parse_date(values.get("start_date", "")), _parse_date(values.get("end_date", ""))
    return [("end_date", "end_date_order")] if start and end and end < start else []


# --- editing a cohort's details -----------------------------------------------------------------------------------


def _details(cohort: CohortRead) -> dict[str, str]:
    return {
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "capacity": str(cohort.capacity),
        "state": cohort.state,
        "location": cohort.location or "",
        "online": "on" if cohort.online else "",
        "coordinator_name": cohort.coordinator_name or "",
        "coordinator_email": cohort.coordinator_email or "",
    }


@router.get("/admin/cohorts/{cohort_id}/edit", response_class=HTMLResponse)
def edit_cohort(cohort_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The cohort's details as a form: what the API's PATCH may change."""
    cohort = selectors.read_cohort(db, cohort_id=cohort_id)
    return _cohort_form(request, db, _details(cohort), [], cohort=cohort)


@router.post("/admin/cohorts/{cohort_id}/edit", response_class=HTMLResponse)
def update_cohort(
    cohort_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    start_date: FormText = "",
    end_date: FormText = "",
    capacity: FormText = "",
    state: FormText = "",
    location: FormText = "",
    online: FormText = "",
    coordinator_name: FormText = "",
    coordinator_email: FormText = "",
) -> Response:
    """Change the details (more seats promote the waitlist in order; never fewer seats than those enrolled)."""
    cohort = selectors.read_cohort(db, cohort_id=cohort_id)
    values = {
        "start_date": start_date,
        "end_date": end_date,
        "capacity": capacity,
        "state": state,
        "location": location,
        "online": online,
        "coordinator_name": coordinator_name,
        "coordinator_email": coordinator_email,
    }
    errors = _missing(values, ("start_date", "end_date", "capacity", "state"))
    data = _blank_to_none({k: v for k, v in values.items() if k not in dict(errors)})
    data["online"] = bool(online)
    try:
        changes = CohortUpdate.model_validate(data)
    except ValidationError as exc:
        _add(errors, _schema_errors(exc, whole="end_date"))
    _add(errors, _dates_in_order(values))
    if errors:
        return _cohort_form(request, db, values, errors, cohort=cohort)
    try:
        with db.begin_nested():
            was = service.get_cohort(db, cohort_id=cohort_id).state
            service.update_cohort(db, cohort_id=cohort_id, data=changes, actor=principal)
            announce_if_opened(db, cohort_id=cohort_id, was=was)
    except DomainError as exc:
        return _cohort_form(request, db, values, _domain_error(exc, default_field="start_date"), cohort=cohort)
    return _done(f"/admin/cohorts/{cohort_id}", "updated")


# --- one cohort ---------------------------------------------------------------------------------------------------


def _cohort_page(
    request: Request,
    db: Session,
    principal: Principal,
    cohort_id: int,
    *,
    q: str = "",
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The cohort's page: details, sessions, enrolments with progress, the waitlist, and who could be enrolled; a
    fixed number of queries whatever the number of sessions, enrolments and candidates."""
    cohort = selectors.read_cohort(db, cohort_id=cohort_id)
    programme = get_programme(db, code=cohort.programme_code)
    sessions = selectors.list_sessions(db, cohort_id=cohort_id)
    enrolments = selectors.cohort_enrolments(db, cohort_id=cohort_id, actor=principal)
    progress = {p.enrolment_id: p for p in progress_of(db, enrolments)}
    owed = owed_not_enrolled(db, programme_id=programme.id, actor=principal)
    found = []
    if q.strip():
        found = officials.list_officials(db, q=q, authority=None, role=None, actor=principal, limit=20, offset=0).items
    shown = [e.official_id for e in enrolments] + [o.official_id for o in owed] + [o.id for o in found]
    record_list(db, actor=principal, subject=f"/admin/cohorts/{cohort_id}", official_ids=shown)
    in_cohort = {e.official_id: e for e in enrolments if e.status in ACTIVE_ENROLMENT}
    done = request.query_params.get("done")
    errors = errors or []
    context = {
        "cohort": cohort,
        "programme": programme,
        "sessions": sessions,
        "seated": [e for e in enrolments if e.status not in (EnrolmentStatus.WAITLISTED, EnrolmentStatus.WITHDRAWN)],
        "waitlist": [e for e in enrolments if e.status == EnrolmentStatus.WAITLISTED],
        "withdrawn": [e for e in enrolments if e.status == EnrolmentStatus.WITHDRAWN],
        "progress": progress,
        "owed": owed,
        "q": q,
        "found": found,
        "in_cohort": in_cohort,
        "others": selectors.other_cohorts(db, cohort_id=cohort_id),
        "modes": list(SessionMode),
        "done": done if done in DONE else None,
        "errors": errors,
        "values": values or {},
        "enrolling": cohort.state in (CohortState.OPEN, CohortState.RUNNING),
        "finished": cohort.state in (CohortState.CLOSED, CohortState.CANCELLED),
    }
    return templates.TemplateResponse(request, "cohorts/cohort.html", context, status_code=422 if errors else 200)


@router.get("/admin/cohorts/{cohort_id}", response_class=HTMLResponse)
def cohort_page(
    cohort_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """One cohort; `q` searches officials to enrol (a name, an ID number, or an authority)."""
    return _cohort_page(request, db, principal, cohort_id, q=q)


# --- sessions -----------------------------------------------------------------------------------------------------


@router.post("/admin/cohorts/{cohort_id}/sessions", response_class=HTMLResponse)
def add_session(
    cohort_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    date: FormText = "",
    hours: FormText = "",
    title: FormText = "",
    mode: FormText = "in_person",
    location: FormText = "",
) -> Response:
    """Schedule a session within the cohort's dates."""
    values = {"date": date, "hours": hours, "title": title, "mode": mode, "location": location}
    errors = _missing(values, ("date", "hours"))
    data = _blank_to_none({k: v for k, v in values.items() if k not in dict(errors)})
    data["mode"] = data["mode"] or SessionMode.IN_PERSON
    try:
        session_data = SessionCreate.model_validate(data)
    except ValidationError as exc:
        _add(errors, _schema_errors(exc, whole="date"))
    if not errors:
        try:
            with db.begin_nested():
                service.add_session(db, cohort_id=cohort_id, data=session_data, actor=principal)
        except DomainError as exc:
            errors = _domain_error(exc, default_field="date")
    if errors:
        return _cohort_page(request, db, principal, cohort_id, errors=errors, values=values)
    return _done(f"/admin/cohorts/{cohort_id}", "session_added")


def _session_page(
    request: Request, db: Session, session_id: int, template: str, values: dict[str, str], errors: Errors
) -> Response:
    item = selectors.read_session(db, session_id=session_id)
    cohort = selectors.read_cohort(db, cohort_id=item.cohort_id)
    context = {"session": item, "cohort": cohort, "values": values, "errors": errors}
    return templates.TemplateResponse(request, template, context, status_code=422 if errors else 200)


@router.get("/admin/sessions/{session_id}/move", response_class=HTMLResponse)
def move_session_form(session_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The form moving a session to another date."""
    item = selectors.read_session(db, session_id=session_id)
    values = {"date": item.date.isoformat(), "hours": f"{item.hours:g}"}
    return _session_page(request, db, session_id, "cohorts/session_move.html", values, [])


@router.post("/admin/sessions/{session_id}/move", response_class=HTMLResponse)
def move_session(
    session_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    date: FormText = "",
    hours: FormText = "",
) -> Response:
    """Move the session (within the cohort's dates)."""
    values = {"date": date, "hours": hours}
    errors = _missing(values, ("date",))
    try:
        data = SessionMove.model_validate(_blank_to_none({k: v for k, v in values.items() if k not in dict(errors)}))
    except ValidationError as exc:
        _add(errors, _schema_errors(exc, whole="date"))
    if not errors:
        try:
            with db.begin_nested():
                item = service.move_session(db, session_id=session_id, data=data, actor=principal)
        except DomainError as exc:
            errors = _domain_error(exc, default_field="date")
    if errors:
        return _session_page(request, db, session_id, "cohorts/session_move.html", values, errors)
    return _done(f"/admin/cohorts/{item.cohort_id}", "session_moved")


@router.get("/admin/sessions/{session_id}/cancel", response_class=HTMLResponse)
def cancel_session_check(session_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """Check before cancelling a session."""
    return _session_page(request, db, session_id, "cohorts/session_cancel.html", {}, [])


@router.post("/admin/sessions/{session_id}/cancel", response_class=HTMLResponse)
def cancel_session(session_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """Cancel the session (refused once attendance was taken at it)."""
    item = selectors.read_session(db, session_id=session_id)
    try:
        with db.begin_nested():
            attendance.cancel_session(db, session_id=session_id, actor=principal)
    except DomainError as exc:
        return _session_page(request, db, session_id, "cohorts/session_cancel.html", {}, [("cancel", exc.code)])
    return _done(f"/admin/cohorts/{item.cohort_id}", "session_cancelled")


# --- enrolment ----------------------------------------------------------------------------------------------------


@router.post("/admin/cohorts/{cohort_id}/enrolments", response_class=HTMLResponse)
def enrol(
    cohort_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    official_id: FormText = "",
    q: FormText = "",
) -> Response:
    """Enrol one official found by the search; past capacity, the waitlist."""
    if not official_id.isdigit():
        return _cohort_page(request, db, principal, cohort_id, q=q, errors=[("q", "official_missing")])
    try:
        with db.begin_nested():
            e = service.enrol_official(db, cohort_id=cohort_id, official_id=int(official_id), actor=principal)
    except DomainError as exc:
        return _cohort_page(request, db, principal, cohort_id, q=q, errors=[("q", exc.code)])
    return _done(f"/admin/cohorts/{cohort_id}", e.status)


_IDS = re.compile(r"[\s,;]+")


@router.post("/admin/cohorts/{cohort_id}/enrolments/bulk", response_class=HTMLResponse)
def enrol_many(
    cohort_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    national_ids: Annotated[str, Form(max_length=30_000)] = "",
) -> Response:
    """Enrol the pasted ID numbers in order (one per line, or separated by commas or spaces): a report per ID."""
    ids = [i for i in _IDS.split(national_ids) if i]
    values = {"national_ids": national_ids}
    if not ids:
        return _cohort_page(request, db, principal, cohort_id, errors=[("national_ids", "ids_missing")], values=values)
    if len(ids) > 1000:
        return _cohort_page(request, db, principal, cohort_id, errors=[("national_ids", "ids_many")], values=values)
    report = service.enrol_many(db, cohort_id=cohort_id, national_ids=ids, actor=principal)
    return _report(request, db, cohort_id, report)


@router.post("/admin/cohorts/{cohort_id}/enrolments/owed", response_class=HTMLResponse)
def enrol_owed(
    cohort_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    official_id: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Enrol the officials chosen from those who owe the programme and are not enrolled anywhere, in order."""
    chosen = official_id or []
    if not chosen:
        return _cohort_page(request, db, principal, cohort_id, errors=[("owed", "owed_missing")])
    ids = officials.national_ids_of(db, official_ids=chosen)
    report = service.enrol_many(db, cohort_id=cohort_id, national_ids=ids, actor=principal)
    return _report(request, db, cohort_id, report)


def _report(request: Request, db: Session, cohort_id: int, report: BulkReport) -> Response:
    cohort = selectors.read_cohort(db, cohort_id=cohort_id)
    names = officials.names_by_national_id(db, national_ids=[r.national_id for r in report.rows])
    context = {"cohort": cohort, "report": report, "names": names}
    return templates.TemplateResponse(request, "cohorts/bulk_report.html", context)


def _enrolment_cohort(db: Session, enrolment_id: int, principal: Principal) -> int:
    return selectors.read_enrolment(db, enrolment_id=enrolment_id, actor=principal).cohort_id


@router.get("/admin/enrolments/{enrolment_id}/withdraw", response_class=HTMLResponse)
def withdraw_check(enrolment_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """Check before withdrawing an official (the freed seat goes to the first on the waitlist)."""
    enrolment = selectors.read_enrolment(db, enrolment_id=enrolment_id, actor=principal)
    cohort = selectors.read_cohort(db, cohort_id=enrolment.cohort_id)
    # A seat is freed only by one who holds it, and filled from the waitlist only while the cohort enrols
    # (cohorts.service.fill_seats); the waitlist comes in its order.
    frees_a_seat = enrolment.status == EnrolmentStatus.ENROLLED and cohort.state in ENROLLING_STATES
    waiting = [
        e
        for e in selectors.cohort_enrolments(db, cohort_id=cohort.id, actor=principal)
        if e.status == EnrolmentStatus.WAITLISTED
    ]
    next_in_line = waiting[0] if waiting and frees_a_seat else None
    context = {"enrolment": enrolment, "cohort": cohort, "next_in_line": next_in_line}
    return templates.TemplateResponse(request, "cohorts/withdraw.html", context)


def _row_action(request: Request, db: Session, principal: Principal, enrolment_id: int, exc: DomainError) -> Response:
    cohort_id = _enrolment_cohort(db, enrolment_id, principal)
    return _cohort_page(request, db, principal, cohort_id, errors=[(f"enrolment-{enrolment_id}", exc.code)])


@router.post("/admin/enrolments/{enrolment_id}/withdraw", response_class=HTMLResponse)
def withdraw(enrolment_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """Withdraw the official; the first waitlisted takes the seat."""
    try:
        with db.begin_nested():
            e = service.withdraw_enrolment(db, enrolment_id=enrolment_id, actor=principal)
    except DomainError as exc:
        return _row_action(request, db, principal, enrolment_id, exc)
    return _done(f"/admin/cohorts/{e.cohort_id}", "withdrawn")


@router.post("/admin/enrolments/{enrolment_id}/promote", response_class=HTMLResponse)
def promote(enrolment_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """Give a waitlisted official a free seat (never past capacity)."""
    try:
        with db.begin_nested():
            e = service.promote_enrolment(db, enrolment_id=enrolment_id, actor=principal)
    except DomainError as exc:
        return _row_action(request, db, principal, enrolment_id, exc)
    return _done(f"/admin/cohorts/{e.cohort_id}", "promoted")


@router.post("/admin/enrolments/{enrolment_id}/move", response_class=HTMLResponse)
def move(
    enrolment_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin, cohort_id: FormText = ""
) -> Response:
    """Move the official to another cohort of the programme; back to the cohort they left."""
    source = _enrolment_cohort(db, enrolment_id, principal)
    if not cohort_id.isdigit():
        return _cohort_page(request, db, principal, source, errors=[(f"enrolment-{enrolment_id}", "target_missing")])
    try:
        with db.begin_nested():
            service.move_enrolment(db, enrolment_id=enrolment_id, cohort_id=int(cohort_id), actor=principal)
    except DomainError as exc:
        return _row_action(request, db, principal, enrolment_id, exc)
    return _done(f"/admin/cohorts/{source}", "moved")


# --- assessment results -------------------------------------------------------------------------------------------


def _assessments_page(
    request: Request,
    db: Session,
    principal: Principal,
    enrolment_id: int,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    enrolment = selectors.read_enrolment(db, enrolment_id=enrolment_id, actor=principal)
    cohort = selectors.read_cohort(db, cohort_id=enrolment.cohort_id)
    results = assessment_results(db, enrolment_id=enrolment.id, cohort_id=enrolment.cohort_id)
    record_read(
        db, actor=principal, subject=f"/admin/enrolments/{enrolment_id}/assessments", official_id=enrolment.official_id
    )
    context = {
        "enrolment": enrolment,
        "cohort": cohort,
        "results": results,
        "errors": errors or [],
        "values": values or {},
        "done": request.query_params.get("done") == "recorded",
    }
    return templates.TemplateResponse(request, "cohorts/assessments.html", context, status_code=422 if errors else 200)


@router.get("/admin/enrolments/{enrolment_id}/assessments", response_class=HTMLResponse)
def assessments(enrolment_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The required assessments of the official's cohort, each with its result so far and a form to record it."""
    return _assessments_page(request, db, principal, enrolment_id)


@router.post("/admin/enrolments/{enrolment_id}/assessments/{code}", response_class=HTMLResponse)
def record_assessment(
    enrolment_id: RecordId,
    code: Annotated[str, Path(max_length=40)],
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    passed: FormText = "",
    grade: FormText = "",
    note: FormText = "",
) -> Response:
    """Record or correct one result (passed or not, an optional grade 0-100 and note), as the API's PUT does."""
    values = {"code": code, "passed": passed, "grade": grade, "note": note}
    errors: Errors = []
    if passed not in ("true", "false"):
        errors.append((f"passed-{code}", "passed_missing"))
    try:
        data = AssessmentResultIn.model_validate(
            {"passed": passed == "true", "grade": grade.strip() or None, "note": note.strip() or None}
        )
    except ValidationError as exc:
        _add(errors, [(f"{e[0]}-{code}", e[0]) for e in _schema_errors(exc, whole="grade")])
    if not errors:
        try:
            with db.begin_nested():
                attendance.record_assessment_result(
                    db, enrolment_id=enrolment_id, code=code, data=data, actor=principal
                )
        except DomainError as exc:
            errors = [(f"passed-{code}", exc.code)]
    if errors:
        return _assessments_page(request, db, principal, enrolment_id, errors=errors, values=values)
    return RedirectResponse(f"/admin/enrolments/{enrolment_id}/assessments?done=recorded", status_code=303)
