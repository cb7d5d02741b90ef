"""The official's pages: `/me`, their home (each requirement with what to do next, their cohorts and progress, their
certificates and records), enrolling in the cohort the home proposes, and asking for an extension or an exemption
from a requirement's row. The rules are the services' (one rule, whichever door); a form refused is shown again
with what was typed and each error at its field, with 422."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.clock import today
from app.cohorts import service as cohorts
from app.communities.selectors import upcoming_meetings_of
from app.compliance import service as compliance
from app.compliance.rules import ReasonCode, RequestKind, extension_limit, extension_problem
from app.compliance.schemas import ExemptionRequestCreate, ExtensionRequestCreate
from app.config import get_settings
from app.errors import Conflict, NotFound
from app.graduates.selectors import standing as graduate_standing
from app.home import selectors
from app.home.schemas import Home, HomeRequirement
from app.reports import selectors as reports
from app.surveys.selectors import waiting_for
from app.web.deps import FormText, PageOfficial, SessionDep
from app.web.pages import templates
from app.web.pagination import RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)


def _home(db: SessionDep, principal: PageOfficial) -> Home:
    assert principal.official_id is not None
    return selectors.official_home(db, official_id=principal.official_id, actor=principal, today=today())


def _requirement(home: Home, requirement_id: int) -> HomeRequirement:
    """The home's row of the requirement; 404 for one that is not the official's."""
    found = next((r for r in home.requirements if r.requirement.id == requirement_id), None)
    if found is None:
        raise NotFound(f"no requirement with id {requirement_id}")
    return found


@router.get("/me", response_class=HTMLResponse)
def my_home(request: Request, db: SessionDep, principal: PageOfficial) -> Response:
    """The official's home."""
    home = _home(db, principal)
    cpd = reports.cpd_summary(db, official_id=home.official_id, actor=principal)
    meetings = upcoming_meetings_of(db, official_id=home.official_id, today=home.as_of)
    graduate = graduate_standing(db, actor=principal)
    surveys = waiting_for(db, official_id=home.official_id)
    context = {
        "home": home,
        "cpd": cpd,
        "today": home.as_of,
        "meetings": meetings,
        "graduate": graduate,
        "surveys": surveys,
    }
    return templates.TemplateResponse(request, "home/me.html", context)


@router.post("/me/cohorts/{cohort_id}/enrol")
def enrol(cohort_id: RecordId, db: SessionDep, principal: PageOfficial) -> Response:
    """Enrol in the cohort the home proposes (the cohorts service's rules: an open cohort, of a programme owed)."""
    assert principal.official_id is not None
    try:
        cohorts.enrol_official(db, cohort_id=cohort_id, official_id=principal.official_id, actor=principal)
    except Conflict:
        return RedirectResponse("/me?notice=enrol_refused", status_code=303)
    return RedirectResponse("/me?notice=enrolled", status_code=303)


# --- asking for an extension or an exemption ------------------------------------------------------------------------


def _errors(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, message key) of each field a form's schema refused."""
    out = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "reason"
        kind = err["type"]
        if field == "reason":
            key = "reason_long" if kind == "string_too_long" else "reason_missing"
        elif field == "reason_code":
            key = "reason_code_missing"
        else:
            key = "date_missing" if kind == "missing" or err.get("input") in ("", None) else "date_invalid"
        out.append((field, key))
    return out


def _ask_page(
    request: Request, kind: RequestKind, row: HomeRequirement, values: dict[str, str], errors: list[tuple[str, str]]
) -> Response:
    """The form of a request of this kind, with what was typed and the errors (422 when there are any)."""
    context: dict[str, Any] = {
        "row": row,
        "values": values,
        "errors": errors,
        "limit": _limit(row),
        "reason_codes": list(ReasonCode),
    }
    return templates.TemplateResponse(request, f"home/ask_{kind}.html", context, status_code=422 if errors else 200)


def _settled(row: HomeRequirement) -> Response | None:
    """Back home when nothing can be asked of this requirement (settled, or a request already waiting)."""
    return None if row.can_ask else RedirectResponse("/me?notice=cannot_ask", status_code=303)


@router.get("/me/requirements/{requirement_id}/{kind}", response_class=HTMLResponse)
def request_form(
    requirement_id: RecordId, kind: RequestKind, request: Request, db: SessionDep, principal: PageOfficial
) -> Response:
    """The form asking for a later due date (`extension`) or to lift the requirement (`exemption`)."""
    row = _requirement(_home(db, principal), requirement_id)
    return _settled(row) or _ask_page(request, kind, row, {}, [])


@router.post("/me/requirements/{requirement_id}/{kind}", response_class=HTMLResponse)
def ask(
    requirement_id: RecordId,
    kind: RequestKind,
    request: Request,
    db: SessionDep,
    principal: PageOfficial,
    requested_due_date: FormText = "",
    reason_code: FormText = "",
    reason: FormText = "",
) -> Response:
    """Send the request; an auditor decides. Refused: the form again, as typed, with its errors (422)."""
    row = _requirement(_home(db, principal), requirement_id)
    if (back := _settled(row)) is not None:
        return back
    schema = _SCHEMAS[kind]
    sent = {"requested_due_date": requested_due_date, "reason_code": reason_code, "reason": reason}
    values = {name: value for name, value in sent.items() if name in schema.model_fields}
    try:
        data = schema.model_validate(values)
    except ValidationError as exc:
        return _ask_page(request, kind, row, values, _errors(exc))
    if isinstance(data, ExtensionRequestCreate):
        if (refusal := _date_refusal(data.requested_due_date, row)) is not None:
            return _ask_page(request, kind, row, values, [("requested_due_date", refusal)])
        compliance.request_extension(
            db,
            requirement_id=requirement_id,
            requested_due_date=data.requested_due_date,
            reason=data.reason,
            actor=principal,
        )
    else:
        compliance.request_exemption(
            db, requirement_id=requirement_id, reason_code=data.reason_code, reason=data.reason, actor=principal
        )
    return RedirectResponse("/me?notice=request_sent", status_code=303)


_SCHEMAS: dict[RequestKind, type[ExtensionRequestCreate] | type[ExemptionRequestCreate]] = {
    RequestKind.EXTENSION: ExtensionRequestCreate,
    RequestKind.EXEMPTION: ExemptionRequestCreate,
}


def _date_refusal(requested: date, row: HomeRequirement) -> str | None:
    """Why the rules of an extension (rule 4) refuse the date asked for, as the form's message key; None if not."""
    if extension_problem(requested, current_due_date=row.requirement.due_date):
        return "date_not_later"
    if requested > _limit(row):
        return "date_too_far"
    return None


def _limit(row: HomeRequirement) -> date:
    return extension_limit(row.requirement.due_date, max_months=get_settings().max_extension_months)
