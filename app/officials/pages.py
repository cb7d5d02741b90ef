"""The school's registry of officials in the browser: `/admin/officials` (search by name in Hebrew, Arabic or English,
by ID number with or without leading zeros, by authority and role), a person's page (details, appointments,
requirements, enrolments, certificates, requests and the history of their records), adding and editing an official,
and adding, correcting and ending appointments. The reads and writes are the API's selectors and services; a form
refused is shown again with what was typed and each error at its field, with 422."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.audit.rules import AccessKind
from app.audit.selectors import history_of
from app.audit.service import record_access, record_list, record_read
from app.authorities.selectors import authority_names
from app.clock import today
from app.compliance.selectors import outstanding_by_official
from app.errors import Conflict, Invalid
from app.home.selectors import official_home
from app.officials import selectors, service
from app.officials.rules import national_id_query
from app.officials.schemas import AppointmentCreate, AppointmentRead, AppointmentUpdate, OfficialCreate, OfficialUpdate
from app.roles.selectors import role_names
from app.web.deps import FormText, PageAdmin, SessionDep
from app.web.pages import templates
from app.web.pagination import RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)
PER_PAGE = 25
OFFICIAL_FIELDS = ("national_id", "first_name_he", "last_name_he", "first_name_en", "last_name_en", "email")
Errors = list[tuple[str, str]]


def _names(rows: list[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    return {code: {"he": he, "en": en} for code, he, en in rows}


# --- the registry ---------------------------------------------------------------------------------------------------


@router.get("/admin/officials", response_class=HTMLResponse)
def officials(
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    q: Annotated[str, Query(max_length=200)] = "",
    authority: Annotated[str, Query(max_length=8)] = "",
    role: Annotated[str, Query(max_length=60)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The registry: officials found by name, ID, authority and role, a page at a time, each with their current
    appointments and how many requirements they have outstanding."""
    found = selectors.list_officials(
        db,
        q=q or None,
        authority=authority or None,
        role=role or None,
        actor=principal,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    ids = [o.id for o in found.items]
    if (digits := national_id_query(q)) is not None:
        record_access(
            db,
            actor=principal,
            kind=AccessKind.NATIONAL_ID_SEARCH,
            subject="/admin/officials",
            official_ids=ids,
            detail={"q": digits, "found": found.total},
        )
    else:
        record_list(db, actor=principal, subject="/admin/officials", official_ids=ids)
    context = {
        "found": found,
        "appointments": selectors.appointments_of(db, official_ids=ids, actor=principal),
        "outstanding": outstanding_by_official(db, official_ids=ids, as_of=today(), actor=principal),
        "authorities": _names(authority_names(db)),
        "roles": _names(role_names(db)),
        "q": q,
        "authority": authority,
        "role": role,
        "page": page,
        "pages": max(1, -(-found.total // PER_PAGE)),
        "searched": bool(q or authority or role),
    }
    return templates.TemplateResponse(request, "officials/list.html", context)


# --- a person's page ------------------------------------------------------------------------------------------------


@router.get("/admin/officials/new", response_class=HTMLResponse)
def new_official(request: Request, principal: PageAdmin) -> Response:
    """The form of a new official."""
    return _official_form(request, values={}, errors=[])


@router.get("/admin/officials/{official_id}", response_class=HTMLResponse)
def official_page(official_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """One official: details, appointments, requirements (status, due date in both calendars), enrolments,
    certificates, requests with their decisions, and the history of their records, before and after."""
    official = selectors.get_official(db, official_id=official_id, actor=principal)
    home = official_home(db, official_id=official_id, actor=principal, today=today())
    appointments = selectors.list_appointments(db, official_id=official_id, actor=principal)
    requests = [q for row in home.requirements for q in ([row.pending] if row.pending else []) + row.decided]
    records: list[tuple[str, object]] = [("official", official.id)]
    records += [("appointment", a.id) for a in appointments]
    records += [("requirement", r.requirement.id) for r in home.requirements]
    records += [("enrolment", c.enrolment.id) for c in home.cohorts]
    records += [("certificate", c.id) for c in home.certificates]
    records += [("requirement_request", q.id) for q in requests]
    record_read(db, actor=principal, subject=f"/admin/officials/{official_id}", official_id=official_id)
    context = {
        "official": official,
        "home": home,
        "appointments": appointments,
        "requests": sorted(requests, key=lambda q: q.requested_at, reverse=True),
        "programme_of": {r.requirement.id: r.programme for r in home.requirements},
        "history": history_of(db, records=records),
        "authorities": _names(authority_names(db)),
        "roles": _names(role_names(db)),
        "today": today(),
    }
    return templates.TemplateResponse(request, "officials/show.html", context)


# --- adding and editing an official ---------------------------------------------------------------------------------


def _official_errors(exc: ValidationError) -> Errors:
    """(field, message key) of each field the schema refused; the keys are the form's messages."""
    out: Errors = []
    for err in exc.errors():
        msg = str(err.get("msg", ""))
        field = str(err["loc"][0]) if err["loc"] else next((f for f in REQUIRED if f in msg), "national_id")
        if err["type"] == "missing" or "is empty" in msg or "cannot be removed" in msg:
            key = "required"
        elif field == "national_id":
            key = "id_check_digit" if "check digit" in msg else "id_digits"
        elif field == "email":
            key = "email"
        elif "Hebrew letters" in msg:
            key = "hebrew"
        elif "longer" in msg or err["type"] == "string_too_long":
            key = "too_long"
        else:
            key = "letters"
        out.append((field, key))
    return out


REQUIRED = ("national_id", "first_name_he", "last_name_he")


def _validate_official(
    schema: type[OfficialCreate] | type[OfficialUpdate], values: dict[str, str]
) -> tuple[OfficialCreate | OfficialUpdate | None, Errors]:
    """The form's values as the API's schema takes them (an empty optional field: none), or the errors at each field;
    a required field left empty is named as such."""
    errors: Errors = [(name, "required") for name in REQUIRED if not values[name].strip()]
    sent: dict[str, Any] = {k: (v if v.strip() else None) for k, v in values.items() if k not in REQUIRED or v.strip()}
    try:
        data = schema.model_validate(sent)
    except ValidationError as exc:
        return None, errors + [e for e in _official_errors(exc) if e[0] not in dict(errors)]
    return (None if errors else data), errors


def _official_form(
    request: Request,
    *,
    values: dict[str, str],
    errors: Errors,
    official_id: int | None = None,
    existing_id: int | None = None,
) -> Response:
    context = {"values": values, "errors": errors, "official_id": official_id, "existing_id": existing_id}
    # A duplicate ID answers as the API does (409); any other refusal 422.
    status = 409 if existing_id is not None else 422 if errors else 200
    return templates.TemplateResponse(request, "officials/form.html", context, status_code=status)


def _sent(**fields: str) -> dict[str, str]:
    return {name: fields[name] for name in OFFICIAL_FIELDS}


@router.post("/admin/officials", response_class=HTMLResponse)
def create_official(
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    national_id: FormText = "",
    first_name_he: FormText = "",
    last_name_he: FormText = "",
    first_name_en: FormText = "",
    last_name_en: FormText = "",
    email: FormText = "",
) -> Response:
    """Register the official (the API's rules); refused: the form again, as typed, each error at its field."""
    values = _sent(
        national_id=national_id,
        first_name_he=first_name_he,
        last_name_he=last_name_he,
        first_name_en=first_name_en,
        last_name_en=last_name_en,
        email=email,
    )
    data, errors = _validate_official(OfficialCreate, values)
    if not isinstance(data, OfficialCreate):
        return _official_form(request, values=values, errors=errors)
    try:
        official = service.create_official(db, data=data, actor=principal)
    except Conflict as exc:
        return _official_form(
            request, values=values, errors=[("national_id", "duplicate")], existing_id=exc.extra.get("existing_id")
        )
    return RedirectResponse(f"/admin/officials/{official.id}?notice=official_created", status_code=303)


@router.get("/admin/officials/{official_id}/edit", response_class=HTMLResponse)
def edit_official(official_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The form of an official's details, as they are."""
    official = selectors.get_official(db, official_id=official_id, actor=principal)
    values = {name: getattr(official, name) or "" for name in OFFICIAL_FIELDS}
    return _official_form(request, values=values, errors=[], official_id=official_id)


@router.post("/admin/officials/{official_id}/edit", response_class=HTMLResponse)
def update_official(
    official_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    national_id: FormText = "",
    first_name_he: FormText = "",
    last_name_he: FormText = "",
    first_name_en: FormText = "",
    last_name_en: FormText = "",
    email: FormText = "",
) -> Response:
    """Change the official's details (the API's rules): an emptied English name or email is removed, the ID and the
    Hebrew names are required."""
    selectors.get_official(db, official_id=official_id, actor=principal)  # 404 first
    values = _sent(
        national_id=national_id,
        first_name_he=first_name_he,
        last_name_he=last_name_he,
        first_name_en=first_name_en,
        last_name_en=last_name_en,
        email=email,
    )
    data, errors = _validate_official(OfficialUpdate, values)
    if not isinstance(data, OfficialUpdate):
        return _official_form(request, values=values, errors=errors, official_id=official_id)
    try:
        service.update_official(db, official_id=official_id, data=data, actor=principal)
    except Conflict as exc:
        return _official_form(
            request,
            values=values,
            errors=[("national_id", "duplicate")],
            official_id=official_id,
            existing_id=exc.extra.get("existing_id"),
        )
    return RedirectResponse(f"/admin/officials/{official_id}?notice=official_saved", status_code=303)


# --- appointments ---------------------------------------------------------------------------------------------------


def _appointment_errors(exc: ValidationError) -> Errors:
    out: Errors = []
    for err in exc.errors():
        msg = str(err.get("msg", ""))
        if err["loc"]:
            field = str(err["loc"][0])
            empty = err["type"] == "missing" or err.get("input") in ("", None) or "cannot be removed" in msg
            key = "required" if empty else ("code" if field in ("authority_code", "role_code") else "date")
        elif "cannot be removed" in msg:
            field, key = "start_date", "required"
        else:  # a rule across fields: the end before the start
            field, key = "end_date", "end_before_start"
        out.append((field, key))
    return out


def _domain_errors(exc: Invalid | Conflict) -> Errors:
    if exc.code == "overlapping_appointment":
        return [("start_date", "overlap")]
    if exc.code == "inactive_authority":
        return [("authority_code", "inactive")]
    if exc.field == "end_date":
        return [("end_date", "end_before_start")]
    return [(exc.field or "authority_code", "code")]


def _appointment_form(
    request: Request,
    db: SessionDep,
    *,
    official: Any,
    values: dict[str, str],
    errors: Errors,
    appointment: AppointmentRead | None = None,
) -> Response:
    context = {
        "official": official,
        "appointment": appointment,
        "values": values,
        "errors": errors,
        "authorities": _names(authority_names(db)),
        "roles": _names(role_names(db)),
    }
    return templates.TemplateResponse(
        request, "officials/appointment_form.html", context, status_code=422 if errors else 200
    )


@router.get("/admin/officials/{official_id}/appointments/new", response_class=HTMLResponse)
def new_appointment(official_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The form of a new appointment of the official."""
    official = selectors.get_official(db, official_id=official_id, actor=principal)
    return _appointment_form(request, db, official=official, values={}, errors=[])


@router.post("/admin/officials/{official_id}/appointments", response_class=HTMLResponse)
def create_appointment(
    official_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    authority_code: FormText = "",
    role_code: FormText = "",
    start_date: FormText = "",
    end_date: FormText = "",
) -> Response:
    """Appoint the official (the API's rules: a role with a mandatory programme creates its requirement)."""
    official = selectors.get_official(db, official_id=official_id, actor=principal)
    values = {"authority_code": authority_code, "role_code": role_code, "start_date": start_date, "end_date": end_date}
    data_in = {k: v for k, v in values.items() if v.strip() or k != "end_date"}
    try:
        data = AppointmentCreate.model_validate(data_in)
    except ValidationError as exc:
        return _appointment_form(request, db, official=official, values=values, errors=_appointment_errors(exc))
    try:
        with db.begin_nested():
            service.create_appointment(db, official_id=official_id, data=data, actor=principal)
    except (Invalid, Conflict) as exc:
        return _appointment_form(request, db, official=official, values=values, errors=_domain_errors(exc))
    return RedirectResponse(f"/admin/officials/{official_id}?notice=appointment_saved#appointments", status_code=303)


@router.get("/admin/appointments/{appointment_id}/edit", response_class=HTMLResponse)
def edit_appointment(appointment_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The form correcting an appointment's start, or ending it (its last day in the role)."""
    appointment = selectors.get_appointment(db, appointment_id=appointment_id, actor=principal)
    official = selectors.get_official(db, official_id=appointment.official_id, actor=principal)
    values = {"start_date": _iso(appointment.start_date), "end_date": _iso(appointment.end_date)}
    return _appointment_form(request, db, official=official, values=values, errors=[], appointment=appointment)


@router.post("/admin/appointments/{appointment_id}/edit", response_class=HTMLResponse)
def update_appointment(
    appointment_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    start_date: FormText = "",
    end_date: FormText = "",
) -> Response:
    """Correct the start or set the end (the API's rules: the requirement's due date follows the start)."""
    appointment = selectors.get_appointment(db, appointment_id=appointment_id, actor=principal)
    official = selectors.get_official(db, official_id=appointment.official_id, actor=principal)
    values = {"start_date": start_date, "end_date": end_date}
    data_in = {"start_date": start_date or None, "end_date": end_date or None}
    try:
        data = AppointmentUpdate.model_validate(data_in)
    except ValidationError as exc:
        errors = _appointment_errors(exc)
        return _appointment_form(request, db, official=official, values=values, errors=errors, appointment=appointment)
    try:
        with db.begin_nested():
            service.update_appointment(db, appointment_id=appointment_id, data=data, actor=principal)
    except (Invalid, Conflict) as exc:
        errors = _domain_errors(exc)
        return _appointment_form(request, db, official=official, values=values, errors=errors, appointment=appointment)
    return RedirectResponse(
        f"/admin/officials/{appointment.official_id}?notice=appointment_saved#appointments", status_code=303
    )


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
