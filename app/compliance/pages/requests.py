"""`/compliance/requests`: extension and exemption requests, pending first, and their decisions; an official's
requirement history.

- `/compliance/requests` (and `.csv`, `.xlsx`): the requests the caller may see, pending first and oldest first,
  filtered by state, kind, district, authority and role; an auditor sees all, a liaison their authority's.
- `/compliance/requests/{id}`: one request, its requirement's standing today, the reason, the official's history,
  and for an auditor the decision form (`POST .../decision`); a liaison reads it, and a decision of theirs is 403.
- `/compliance/officials/{official_id}?as_of=`: an official's requirements as of a date and their history; a
  liaison asks there for an extension or an exemption (`/compliance/requirements/{id}/requests/new?kind=`).

The rules are the services' (`compliance.service.decide_request`, `request_extension`, `request_exemption`); a form
refused is shown again, as typed, with each error at its field (422; a second decision, 409)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.audit.rules import AccessKind
from app.audit.service import record_access, record_list, record_read
from app.auth import AUDITOR, LIAISON, Principal
from app.clock import local_date, today
from app.compliance import selectors, service
from app.compliance.rules import (
    SETTLED,
    ReasonCode,
    RequestKind,
    RequestState,
    extension_limit,
    extension_problem,
)
from app.compliance.schemas import (
    DecisionCreate,
    ExemptionRequestCreate,
    ExtensionRequestCreate,
    HistoryEvent,
    RequestRow,
    RequirementRow,
)
from app.config import get_settings
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.schemas import plan_date_problem
from app.web.deps import FormText, SessionDep, page_allow
from app.web.exports import Column, export_response
from app.web.pages import page_language, templates
from app.web.pagination import Offset, RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)
PAGE_SIZE = 50
Errors = list[tuple[str, str]]

Reader = Annotated[Principal, page_allow(AUDITOR, LIAISON)]
Decider = Annotated[Principal, page_allow(AUDITOR)]
Filer = Annotated[Principal, page_allow(LIAISON)]
Short = Annotated[str, Query(max_length=60)]


# --- the list ---------------------------------------------------------------------------------------------------


def _filters(values: dict[str, str], actor: Principal) -> selectors.RequestFilters:
    """The list's filters as typed; a value that is not one of the choices is ignored (the select offers only those)."""
    state = RequestState(values["state"]) if values["state"] in set(RequestState) else None
    kind = RequestKind(values["kind"]) if values["kind"] in set(RequestKind) else None
    own = actor.role == LIAISON  # a liaison's list is their authority's already
    return selectors.RequestFilters(
        state=state,
        kind=kind,
        district=None if own else values["district"] or None,
        authority=None if own else values["authority"] or None,
        role=values["role"] or None,
    )


def _values(state: str, kind: str, district: str, authority: str, role: str) -> dict[str, str]:
    return {"state": state, "kind": kind, "district": district, "authority": authority.strip(), "role": role}


@router.get("/compliance/requests", response_class=HTMLResponse)
def request_list(
    request: Request,
    db: SessionDep,
    actor: Reader,
    state: Short = "",
    kind: Short = "",
    district: Short = "",
    authority: Annotated[str, Query(max_length=8)] = "",
    role: Short = "",
    offset: Offset = 0,
) -> Response:
    """Extension and exemption requests, pending first and oldest first, filtered and paged."""
    values = _values(state, kind, district, authority, role)
    page = selectors.request_rows(db, actor=actor, filters=_filters(values, actor), limit=PAGE_SIZE, offset=offset)
    record_list(db, actor=actor, subject="/compliance/requests", official_ids=[r.official_id for r in page.items])
    query = urlencode([(k, v) for k, v in values.items() if v])
    context = {
        "rows": page.items,
        "total": page.total,
        "offset": offset,
        "size": PAGE_SIZE,
        "values": values,
        "query": query,
        "base": "/compliance/requests" + (f"?{query}" if query else ""),
        "choices": selectors.request_filter_choices(db, actor=actor),
        "states": list(RequestState),
        "kinds": list(RequestKind),
    }
    return templates.TemplateResponse(request, "compliance/requests.html", context)


_STATE_WORDS = {
    "he": {"pending": "ממתינה להחלטה", "approved": "אושרה", "refused": "נדחתה"},
    "en": {"pending": "Waiting for a decision", "approved": "Approved", "refused": "Refused"},
}
_KIND_WORDS = {
    "he": {"extension": "הארכת מועד", "exemption": "פטור מהדרישה"},
    "en": {"extension": "Extension", "exemption": "Exemption"},
}
_REASON_WORDS = {
    "he": {
        "equivalent_prior_training": "הכשרה קודמת שקולה",
        "acting_appointment": "מינוי בפועל (ממלא/ת מקום)",
        "short_tenure": "כהונה קצרה",
        "other": "סיבה אחרת",
    },
    "en": {
        "equivalent_prior_training": "Equivalent prior training",
        "acting_appointment": "Acting appointment",
        "short_tenure": "Short tenure",
        "other": "Other reason",
    },
}

EXPORT_COLUMNS = [
    Column("id", "מספר בקשה", "Request number", 9),
    Column("state_name", "מצב", "State", 14),
    Column("state", "קוד מצב", "State code", 10),
    Column("kind_name", "סוג", "Kind", 12),
    Column("kind", "קוד סוג", "Kind code", 10),
    Column("requested_on", "תאריך הגשה", "Asked on", 12),
    Column("official_name", "שם", "Name", 22),
    Column("national_id", 'ת"ז', "National ID", 12),
    Column("authority_name", "רשות", "Authority", 22),
    Column("authority_code", "סמל רשות", "Authority code", 10),
    Column("district_name", "מחוז", "District", 14),
    Column("role_name", "תפקיד", "Role", 22),
    Column("role_code", "קוד תפקיד", "Role code", 16),
    Column("programme_name", "תוכנית", "Programme", 24),
    Column("programme_code", "קוד תוכנית", "Programme code", 12),
    Column("base_due_date", "מועד אחרון מקורי", "Original due date", 12),
    Column("requested_due_date", "מועד מבוקש", "Due date asked", 12),
    Column("reason_name", "סיבת הפטור", "Exemption reason", 22),
    Column("reason_code", "קוד סיבה", "Reason code", 16),
    Column("reason", "נימוק", "Reason", 40),
    Column("requested_by_label", "הוגשה על ידי", "Asked by", 22),
    Column("decided_on", "תאריך ההחלטה", "Decided on", 12),
    Column("decision_note", "הערת ההחלטה", "Decision note", 40),
]


def _export_row(r: RequestRow, lang: Literal["he", "en"]) -> dict[str, Any]:
    he = lang == "he"
    return {
        **r.model_dump(),
        "state_name": _STATE_WORDS[lang][r.state],
        "kind_name": _KIND_WORDS[lang][r.kind],
        "requested_on": local_date(r.requested_at),
        "official_name": r.official_name_he if he or not r.official_name_en else r.official_name_en,
        "authority_name": r.authority_name_he if he else r.authority_name_en,
        "district_name": r.district_he if he else r.district,
        "role_name": r.role_name_he if he else r.role_name_en,
        "programme_name": r.programme_title_he if he else r.programme_title_en,
        "reason_name": _REASON_WORDS[lang][r.reason_code] if r.reason_code else None,
    }


@router.get("/compliance/requests.{fmt}", response_class=Response)
def request_list_export(
    fmt: Literal["csv", "xlsx"],
    request: Request,
    db: SessionDep,
    actor: Reader,
    state: Short = "",
    kind: Short = "",
    district: Short = "",
    authority: Annotated[str, Query(max_length=8)] = "",
    role: Short = "",
) -> Response:
    """The list as filtered, every row, as CSV or XLSX in the page's language (words, and codes in their own
    columns); written to the access log with its filters."""
    values = _values(state, kind, district, authority, role)
    page = selectors.request_rows(db, actor=actor, filters=_filters(values, actor), limit=100_000, offset=0)
    record_access(
        db,
        actor=actor,
        kind=AccessKind.EXPORT,
        subject=f"/compliance/requests.{fmt}",
        official_ids=[r.official_id for r in page.items],
        detail={k: v for k, v in values.items() if v},
    )
    lang: Literal["he", "en"] = "en" if page_language(request) == "en" else "he"
    title = f"בקשות הארכה ופטור נכון ל-{today().isoformat()}" if lang == "he" else f"Requests as of {today()}"
    return export_response(
        fmt,
        EXPORT_COLUMNS,
        [_export_row(r, lang) for r in page.items],
        filename=f"requests-{today().isoformat()}",
        lang=lang,
        sheet="requests",
        title=title,
    )


# --- one request and its decision -------------------------------------------------------------------------------


def _request_page(
    request: Request,
    db: Session,
    actor: Principal,
    request_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int | None = None,
) -> Response:
    """The request, its requirement as of today, the official's history, and the decision form for an auditor."""
    row = selectors.read_request(db, request_id=request_id, actor=actor)
    now = today()
    standing = selectors.standing_of(db, requirement_id=row.requirement_id, as_of=now)
    try:
        history: list[HistoryEvent] | None = selectors.requirement_history(db, official_id=row.official_id, actor=actor)
    except NotFound:  # the authority's record of a person no longer theirs (past the liaison's grace days)
        history = None
    record_read(db, actor=actor, subject=f"/compliance/requests/{request_id}", official_id=row.official_id)
    due_now = standing.due_date if standing else row.base_due_date
    limit = extension_limit(due_now, max_months=get_settings().max_extension_months)
    deciding = actor.role == AUDITOR and row.state == RequestState.PENDING
    defaults = {
        "approve": "",
        "requested_due_date": row.requested_due_date.isoformat() if row.requested_due_date else "",
        "note": "",
        "decided_on": now.isoformat(),
    }
    context = {
        "row": row,
        "standing": standing,
        "due_now": due_now,
        "limit": limit,
        "max_months": get_settings().max_extension_months,
        "today": now,
        "requested_on": local_date(row.requested_at),
        "history": history,
        "deciding": deciding,
        "values": {**defaults, **(values or {})},
        "errors": errors or [],
        "reason_codes": list(ReasonCode),
    }
    code = status_code or (422 if errors else 200)
    return templates.TemplateResponse(request, "compliance/request.html", context, status_code=code)


@router.get("/compliance/requests/{request_id}", response_class=HTMLResponse)
def request_page(request_id: RecordId, request: Request, db: SessionDep, actor: Reader) -> Response:
    """One request: who, what, why, the official's history; an auditor decides it here."""
    return _request_page(request, db, actor, request_id)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@router.post("/compliance/requests/{request_id}/decision", response_class=HTMLResponse)
def decide(
    request_id: RecordId,
    request: Request,
    db: SessionDep,
    actor: Decider,
    approve: FormText = "",
    requested_due_date: FormText = "",
    note: FormText = "",
    decided_on: FormText = "",
) -> Response:
    """Approve (an extension to the date asked, or another within the cap) or refuse, with a note, effective on
    `decided_on` (today unless an earlier paper decision); then back to the request, which says what was decided."""
    row = selectors.read_request(db, request_id=request_id, actor=actor)
    values = {"approve": approve, "requested_due_date": requested_due_date, "note": note, "decided_on": decided_on}
    errors: Errors = []
    if approve not in ("true", "false"):
        errors.append(("approve", "approve_missing"))
    if not note.strip():
        errors.append(("note", "note_missing"))
    elif len(note.strip()) > 4000:
        errors.append(("note", "note_long"))
    day = _day(decided_on) if decided_on.strip() else today()
    if day is None:
        errors.append(("decided_on", "decided_on_invalid"))
    elif day > today():
        errors.append(("decided_on", "decided_on_future"))
    elif day < local_date(row.requested_at):
        errors.append(("decided_on", "decided_on_before_request"))
    granted: date | None = None
    extending = approve == "true" and row.kind == RequestKind.EXTENSION
    if extending:
        granted = _day(requested_due_date) if requested_due_date.strip() else row.requested_due_date
        if granted is None or plan_date_problem(granted, today=today()):
            errors.append(("requested_due_date", "due_invalid"))
    if not errors:
        try:
            data = DecisionCreate(approve=approve == "true", note=note.strip(), decided_on=day)
            with db.begin_nested():
                service.decide_request(
                    db,
                    request_id=request_id,
                    approve=data.approve,
                    note=data.note,
                    decided_on=data.decided_on,
                    actor=actor,
                    new_due_date=granted,
                )
        except ValidationError:
            errors.append(("decided_on", "decided_on_invalid"))
        except Conflict as exc:
            if exc.code == "already_decided":
                return _request_page(
                    request,
                    db,
                    actor,
                    request_id,
                    values=values,
                    errors=[("approve", "already_decided")],
                    status_code=409,
                )
            errors.append(
                ("requested_due_date", "due_too_far" if exc.code == "extension_too_long" else "due_not_later")
            )
        except Invalid as exc:
            errors.append((exc.field or "decided_on", "decided_on_invalid"))
    if errors:
        return _request_page(request, db, actor, request_id, values=values, errors=errors)
    notice = "request_approved" if approve == "true" else "request_refused"
    return RedirectResponse(f"/compliance/requests/{request_id}?notice={notice}", status_code=303)


# --- an official's requirements and history ---------------------------------------------------------------------


@router.get("/compliance/officials/{official_id}", response_class=HTMLResponse)
def official_page(
    official_id: RecordId,
    request: Request,
    db: SessionDep,
    actor: Reader,
    as_of: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """An official's requirements with their status as of the date (default today) and their history in date
    order; a liaison asks here for an extension or an exemption of a requirement still open."""
    errors: Errors = []
    now = today()
    day = _day(as_of) if as_of.strip() else now
    if day is None or plan_date_problem(day, today=now):
        errors.append(("as_of", "as_of_invalid"))
        day = now
    rows = selectors.official_requirements(db, official_id=official_id, as_of=day, actor=actor)
    current = (
        rows if day == now else selectors.official_requirements(db, official_id=official_id, as_of=now, actor=actor)
    )
    history = selectors.requirement_history(db, official_id=official_id, actor=actor)
    person = selectors.official_names(db, official_id=official_id)
    record_read(db, actor=actor, subject=f"/compliance/officials/{official_id}", official_id=official_id)
    context = {
        "person": person,
        "official_id": official_id,
        "rows": rows,
        "as_of": day,
        "today": now,
        "values": {"as_of": as_of if errors else day.isoformat()},
        "errors": errors,
        "history": history,
        "about": _requirements_about(history),
        "asks": _asks(actor, current, history),
    }
    return templates.TemplateResponse(request, "compliance/official.html", context, status_code=422 if errors else 200)


def _requirements_about(history: list[HistoryEvent]) -> dict[int, HistoryEvent]:
    """Each requirement's event in the history: its programme, authority and role by name."""
    return {e.requirement_id: e for e in history if e.kind == "requirement" and e.requirement_id is not None}


def _asks(actor: Principal, current: list[RequirementRow], history: list[HistoryEvent]) -> dict[int, list[str]]:
    """The kinds of request a liaison may still file on each requirement: open today, none of that kind pending."""
    if actor.role != LIAISON:
        return {}
    decided = {e.request_id for e in history if e.kind == "request_decided"}
    pending = {
        (e.requirement_id, e.request_kind) for e in history if e.kind == "request_filed" and e.request_id not in decided
    }
    return {r.id: [k for k in RequestKind if (r.id, k) not in pending] for r in current if r.status not in SETTLED}


# --- a liaison files a request -------------------------------------------------------------------------------------


def _new_page(
    request: Request,
    db: Session,
    actor: Principal,
    requirement_id: int,
    kind: RequestKind,
    values: dict[str, str],
    errors: Errors,
    status_code: int | None = None,
) -> Response:
    about = selectors.requirement_about(db, requirement_id=requirement_id, actor=actor)
    limit = extension_limit(about.requirement.due_date, max_months=get_settings().max_extension_months)
    context = {
        "about": about,
        "kind": kind,
        "limit": limit,
        "values": values,
        "errors": errors,
        "reason_codes": list(ReasonCode),
        "open": about.requirement.status not in SETTLED,
    }
    code = status_code or (422 if errors else 200)
    return templates.TemplateResponse(request, "compliance/request_new.html", context, status_code=code)


@router.get("/compliance/requirements/{requirement_id}/requests/new", response_class=HTMLResponse)
def new_request(
    requirement_id: RecordId,
    request: Request,
    db: SessionDep,
    actor: Filer,
    kind: RequestKind = RequestKind.EXTENSION,
) -> Response:
    """The form asking for a later due date (`kind=extension`) or to lift the requirement (`kind=exemption`)."""
    return _new_page(request, db, actor, requirement_id, kind, {}, [])


def _schema_errors(exc: ValidationError) -> Errors:
    out: Errors = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "reason"
        if field == "reason":
            key = "reason_long" if err["type"] == "string_too_long" else "reason_missing"
        elif field == "reason_code":
            key = "reason_code_missing"
        else:
            key = "date_missing" if err.get("input") in ("", None) else "date_invalid"
        if (field, key) not in out:
            out.append((field, key))
    return out


@router.post("/compliance/requirements/{requirement_id}/requests", response_class=HTMLResponse)
def file_request(
    requirement_id: RecordId,
    request: Request,
    db: SessionDep,
    actor: Filer,
    kind: FormText = "",
    requested_due_date: FormText = "",
    reason_code: FormText = "",
    reason: FormText = "",
) -> Response:
    """File the request (an auditor decides), then the new request's page; refused, the form again with its errors."""
    which = RequestKind(kind) if kind in set(RequestKind) else RequestKind.EXTENSION
    if which == RequestKind.EXTENSION:
        values = {"requested_due_date": requested_due_date.strip(), "reason": reason.strip()}
        schema: type[ExtensionRequestCreate] | type[ExemptionRequestCreate] = ExtensionRequestCreate
    else:
        values = {"reason_code": reason_code, "reason": reason.strip()}
        schema = ExemptionRequestCreate
    try:
        data = schema.model_validate(values)
    except ValidationError as exc:
        return _new_page(request, db, actor, requirement_id, which, values, _schema_errors(exc))
    try:
        with db.begin_nested():
            if isinstance(data, ExtensionRequestCreate):
                about = selectors.requirement_about(db, requirement_id=requirement_id, actor=actor)
                due = about.requirement.due_date
                if extension_problem(data.requested_due_date, current_due_date=due):
                    return _new_page(
                        request, db, actor, requirement_id, which, values, [("requested_due_date", "date_not_later")]
                    )
                made = service.request_extension(
                    db,
                    requirement_id=requirement_id,
                    requested_due_date=data.requested_due_date,
                    reason=data.reason,
                    actor=actor,
                )
            else:
                made = service.request_exemption(
                    db, requirement_id=requirement_id, reason_code=data.reason_code, reason=data.reason, actor=actor
                )
    except NotFound:
        raise
    except Invalid as exc:
        return _new_page(request, db, actor, requirement_id, which, values, [(exc.field or "reason", "date_too_far")])
    except DomainError as exc:
        key = exc.code if exc.code in ("duplicate_request", "requirement_done", "not_started_yet") else "refused"
        return _new_page(request, db, actor, requirement_id, which, values, [("reason", key)], status_code=409)
    return RedirectResponse(f"/compliance/requests/{made.id}?notice=request_filed", status_code=303)
