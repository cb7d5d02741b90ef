"""The pages of surveys: the list and the form that creates one (`/surveys`), a survey with its links and import
(`/surveys/{id}`), its report (page, XLSX and PDF), the waves of a series side by side, the network of a wave, and
the one-time link a respondent answers at without signing in (`/s/{token}`)."""

from __future__ import annotations

import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app import pdf
from app.auth import Principal
from app.clock import now_utc
from app.config import get_settings
from app.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from app.imports.service import read_limited
from app.surveys import exports, rules, selectors, service
from app.surveys.schemas import InvitationCreate, SurveyCreate
from app.web.deps import PageAdmin, PageStaff, SessionDep, is_own_origin
from app.web.exports import export_response
from app.web.pages import page_language, templates
from app.web.pagination import RecordId

router = APIRouter(include_in_schema=False)

# The picture of a network: its size and a member's circle.
NETWORK_SIZE, NODE_RADIUS = 560, 12
# How many question rows the form that creates a survey offers (empty rows are left out).
ITEM_ROWS = 10


async def form_fields(request: Request) -> dict[str, list[str]]:
    """Every text field of a posted form, by name, with all its values (checkboxes repeat a name)."""
    form = await request.form()
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


Fields = dict[str, list[str]]


def _one(fields: Fields, name: str) -> str:
    return (fields.get(name) or [""])[0].strip()


# --- the list and the form that creates a survey -------------------------------------------------------------


@router.get("/surveys", response_class=HTMLResponse)
def surveys(request: Request, db: SessionDep, principal: PageStaff) -> Response:
    """The surveys by series and wave, with how many responded; the form to create one, for those who may."""
    context = {
        "surveys": selectors.list_surveys(db),
        "may_run": selectors.may_run_survey(db, principal, community_id=None),
    }
    return templates.TemplateResponse(request, "surveys/list.html", context)


def _new_page(request: Request, values: Fields, errors: list[tuple[str, str]], status: int = 200) -> Response:
    context = {"values": values, "errors": errors, "rows": range(ITEM_ROWS), "kinds": list(rules.ItemKind)}
    return templates.TemplateResponse(request, "surveys/new.html", context, status_code=status)


@router.get("/surveys/new", response_class=HTMLResponse)
def new_survey(request: Request, principal: PageAdmin) -> Response:
    """The form that creates a survey: its series and wave, titles, anonymity, and its questions."""
    return _new_page(request, {}, [])


def _options(text: str) -> list[dict[str, str | None]]:
    """The options written one a line, as `code | Hebrew text | English text` (the English may be left out)."""
    out: list[dict[str, str | None]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        english = parts[2] if len(parts) > 2 and parts[2] else None
        out.append({"code": parts[0], "text_he": parts[1] if len(parts) > 1 else "", "text_en": english})
    return out


def survey_body(fields: Fields) -> tuple[dict[str, Any], list[int]]:
    """The API's body of a survey from the form, and the form's row of each item given (empty rows left out)."""
    items: list[dict[str, Any]] = []
    rows: list[int] = []
    for n in range(ITEM_ROWS):
        given = {
            k: _one(fields, f"items[{n}].{k}") for k in ("code", "kind", "text_he", "text_en", "options", "max_choices")
        }
        if not any(v for k, v in given.items() if k != "kind"):
            continue
        item: dict[str, Any] = {"code": given["code"], "kind": given["kind"], "text_he": given["text_he"]}
        if given["text_en"]:
            item["text_en"] = given["text_en"]
        if given["options"]:
            item["options"] = _options(given["options"])
        if given["max_choices"]:
            item["max_choices"] = given["max_choices"]
        items.append(item)
        rows.append(n)
    body = {
        "series_code": _one(fields, "series_code"),
        "wave": _one(fields, "wave"),
        "wave_order": _one(fields, "wave_order"),
        "title_he": _one(fields, "title_he"),
        "title_en": _one(fields, "title_en"),
        "anonymous": _one(fields, "anonymous") == "true",
        "items": items,
    }
    return body, rows


# What the form says of a field the schema refuses, by pydantic's error type.
_PROBLEMS = {
    "missing": "required",
    "string_too_short": "required",
    "too_short": "no_items",
    "string_pattern_mismatch": "code",
    "int_parsing": "whole_number",
    "int_type": "whole_number",
    "greater_than_equal": "whole_number",
    "less_than_equal": "whole_number",
    "enum": "kind",
}


def _form_field(loc: tuple[Any, ...] | list[Any], rows: list[int]) -> str:
    """The form field of a place in the API's body: `items[2].options` for the third item's options."""
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        row = rows[loc[1]] if loc[1] < len(rows) else 0
        return f"items[{row}].{loc[2] if len(loc) > 2 else 'code'}"
    return str(loc[0]) if loc else "series_code"


@router.post("/surveys", response_class=HTMLResponse)
def create_survey(
    request: Request, db: SessionDep, principal: PageAdmin, fields: Fields = Depends(form_fields)
) -> Response:
    """Create the survey (the API's service); the form again with each problem at its field (422), or 409's."""
    body, rows = survey_body(fields)
    try:
        data = SurveyCreate.model_validate(body)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = list(err.get("loc", ()))
            problem = "no_items" if loc == ["items"] else _PROBLEMS.get(str(err.get("type")), "invalid")
            errors.append((_form_field(loc, rows) if loc != ["items"] else "items[0].code", problem))
        return _new_page(request, fields, _first_per_field(errors), 422)
    try:
        survey = service.create_survey(db, data=data, actor=principal)
    except (Invalid, Conflict) as exc:
        field = exc.field or "series_code"
        if field.startswith("items["):
            index = int(field[6 : field.index("]")])
            name = field[field.index("].") + 2 :]
            field, problem = f"items[{rows[index]}].{name}", f"item_{name}"
        else:
            problem = "duplicate_wave"
        return _new_page(request, fields, [(field, problem)], 422 if exc.status_code == 422 else 409)
    return RedirectResponse(f"/surveys/{survey.id}?notice=survey_created", status_code=303)


def _first_per_field(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for field, problem in errors:
        seen.setdefault(field, problem)
    return list(seen.items())


# --- one survey: its links and its import --------------------------------------------------------------------


def _survey_page(
    request: Request, db: SessionDep, principal: Principal, survey_id: int, status: int = 200, **extra: Any
) -> Response:
    survey = selectors.read_survey(db, survey_id=survey_id)
    context = {
        "survey": survey,
        "may_run": selectors.may_run_survey(db, principal, community_id=survey.community_id),
        "has_people": any(i.kind is rules.ItemKind.PEOPLE for i in survey.items),
        "limit_mb": get_settings().upload_max_bytes // (1024 * 1024),
        "links": None,
        "refused": None,
        "errors": [],
        "detail": None,
        **extra,
    }
    return templates.TemplateResponse(request, "surveys/show.html", context, status_code=status)


@router.get("/surveys/{survey_id}", response_class=HTMLResponse)
def survey_page(survey_id: RecordId, request: Request, db: SessionDep, principal: PageStaff) -> Response:
    """A survey: its questions, links sent and used, responses; the forms that invite and import, for admins."""
    return _survey_page(request, db, principal, survey_id)


@router.post("/surveys/{survey_id}/invitations", response_class=HTMLResponse)
def invite(
    survey_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    official_ids: str = Form(default="", max_length=20000),
    anonymous_links: str = Form(default="", max_length=10),
) -> Response:
    """Make one-time links and show them once (only their hash is kept); the form again with the problem (422)."""
    ids = [p for p in official_ids.replace(",", " ").replace(";", " ").split() if p]
    try:
        data = InvitationCreate(
            official_ids=[int(p) for p in ids],
            anonymous_links=int(anonymous_links) if anonymous_links.strip() else 0,
        )
        links = service.invite(db, survey_id=survey_id, data=data, actor=principal)
    except (ValueError, ValidationError, Invalid, Conflict) as exc:
        problem = "already_invited" if isinstance(exc, Conflict) else "bad_ids"
        field = (
            "anonymous_links" if "anonymous_links" in str(exc) and "official_ids" not in str(exc) else "official_ids"
        )
        if isinstance(exc, Invalid) and exc.field == "anonymous_links":
            problem = "named_links"
        return _survey_page(request, db, principal, survey_id, 422, errors=[(field, problem)])
    base = str(request.base_url).rstrip("/")
    found = selectors.people(db, official_ids=[link.official_id for link in links if link.official_id])
    shown = [(found.get(link.official_id) if link.official_id else None, base + link.path) for link in links]
    return _survey_page(request, db, principal, survey_id, links=shown)


@router.post("/surveys/{survey_id}/import", response_class=HTMLResponse)
def import_responses(
    survey_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    file: UploadFile | None = File(default=None),
) -> Response:
    """Import a research partner's file: every row, then back to the survey; or none, with each refused row shown
    (422); a file missing or unreadable, at the field (422, 413 when too large)."""
    if file is None or not file.filename:
        return _survey_page(request, db, principal, survey_id, 422, errors=[("file", "missing")])
    try:
        content = read_limited(file.file, limit=get_settings().upload_max_bytes)
        result = service.import_responses(
            db, survey_id=survey_id, content=content, filename=file.filename, actor=principal
        )
    except DomainError as exc:
        if exc.status_code not in (413, 422):
            raise
        errors = [("file", "too_large" if exc.status_code == 413 else "unreadable")]
        return _survey_page(request, db, principal, survey_id, exc.status_code, errors=errors, detail=exc.detail)
    if result.refused:
        return _survey_page(request, db, principal, survey_id, 422, refused=result.refused)
    return RedirectResponse(f"/surveys/{survey_id}?notice=imported&n={result.imported}", status_code=303)


# --- reports -------------------------------------------------------------------------------------------------


@router.get("/surveys/{survey_id}/report", response_class=HTMLResponse)
def report(survey_id: RecordId, request: Request, db: SessionDep, principal: PageStaff) -> Response:
    """The survey's report: per question N, the distribution as a chart and a table, the mean and the share of
    high agreement; the share choosing each option; free text listed."""
    context = {
        "survey": selectors.read_survey(db, survey_id=survey_id),
        "report": selectors.survey_report(db, survey_id=survey_id),
    }
    return templates.TemplateResponse(request, "surveys/report.html", context)


@router.get("/surveys/{survey_id}/report.xlsx")
def report_xlsx(survey_id: RecordId, request: Request, db: SessionDep, principal: PageStaff) -> Response:
    """The report as a sheet in the page's language: a row per question and figure."""
    lang = page_language(request)
    survey = selectors.read_survey(db, survey_id=survey_id)
    rows = exports.report_rows(survey, selectors.survey_report(db, survey_id=survey_id), lang=lang)
    title = survey.title_he if lang == "he" else survey.title_en
    return export_response(
        "xlsx",
        exports.REPORT_COLUMNS,
        rows,
        filename=f"survey-{survey.series_code}-{survey.wave_order}",
        lang="he" if lang == "he" else "en",
        sheet="report",
        title=f"{title} · {survey.wave}",
    )


@router.get("/surveys/{survey_id}/report.pdf")
def report_pdf(survey_id: RecordId, request: Request, db: SessionDep, principal: PageStaff) -> Response:
    """The report as a PDF in the page's language: the same figures and charts."""
    settings = get_settings()
    lang = page_language(request)
    survey = selectors.read_survey(db, survey_id=survey_id)
    context = {
        "survey": survey,
        "report": selectors.survey_report(db, survey_id=survey_id),
        "lang": lang,
        "dir": "rtl" if lang == "he" else "ltr",
        "school_name": settings.school_name_he if lang == "he" else settings.school_name_en,
        "produced_at": now_utc().astimezone(ZoneInfo(settings.timezone)),
    }
    content = pdf.render_pdf("surveys/report_pdf.html", context)
    filename = f"survey-{survey.series_code}-{survey.wave_order}.pdf"
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/survey-series/{code}/report", response_class=HTMLResponse)
def series_report(code: str, request: Request, db: SessionDep, principal: PageStaff) -> Response:
    """The waves of a series side by side, each with its N: the share of high agreement per question and wave,
    as a chart and a table; the share choosing each option per wave."""
    if len(code) > 40:
        raise NotFound(f"no survey series with code {code!r}")
    return templates.TemplateResponse(
        request, "surveys/series.html", {"series": selectors.series_report(db, code=code)}
    )


# --- the network ---------------------------------------------------------------------------------------------


@router.get("/surveys/{survey_id}/network", response_class=HTMLResponse)
def network(
    survey_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageStaff,
    compare: int | None = Query(default=None, ge=1, le=2_147_483_647),
) -> Response:
    """The network of a wave: its measures, a picture (names only to those who run the survey, numbers to every
    reader), the most central and the isolated members; compared with another wave of its series."""
    net = selectors.network(db, survey_id=survey_id)
    waves = [w for w in selectors.waves_of_series(db, survey_id=survey_id) if w.has_people and w.id != survey_id]
    other = None
    changes = None
    if compare is not None:
        if compare not in {w.id for w in waves}:
            raise NotFound(f"no other wave {compare} with a people item in this series")
        other = selectors.network(db, survey_id=compare)
        earlier, later = sorted((net, other), key=lambda n: n.survey.wave_order)
        changes = rules.tie_changes(earlier.figures.edges, later.figures.edges)
    names = selectors.may_run_survey(db, principal, community_id=net.survey.community_id)
    order = [c.member for c in net.figures.centrality]
    layout = rules.circle_layout(order, size=NETWORK_SIZE, margin=70) if order else {}
    context = {
        "net": net,
        "other": other,
        "changes": changes,
        "waves": waves,
        "names": names,
        "size": NETWORK_SIZE,
        "radius": NODE_RADIUS,
        "layout": layout,
        "segments": [rules.trimmed(layout[a], layout[b], by=NODE_RADIUS + 2) for a, b in net.figures.edges],
        "rank": {m: n for n, m in enumerate(order, start=1)},
        "labels": {m: _label_at(x, y) for m, (x, y) in layout.items()} if names else {},
    }
    return templates.TemplateResponse(request, "surveys/network.html", context)


def _label_at(x: float, y: float) -> tuple[float, float, str]:
    """Where a member's name goes: outside their circle, away from the picture's centre."""
    centre = NETWORK_SIZE / 2
    dx, dy = x - centre, y - centre
    length = max((dx * dx + dy * dy) ** 0.5, 1.0)
    lx, ly = x + dx / length * (NODE_RADIUS + 6), y + dy / length * (NODE_RADIUS + 6) + 4
    anchor = "start" if dx > 5 else ("end" if dx < -5 else "middle")
    return round(lx, 1), round(ly + (8 if dy > 5 and anchor == "middle" else 0), 1), anchor


# --- the one-time link ---------------------------------------------------------------------------------------

_LINK_PATH = re.compile(r"^/s/[^/?#\s]+")


class HideLinkTokens(logging.Filter):
    """Keeps one-time links out of the server's access log: a line naming `/s/<token>` could lead from the time of
    an anonymous answer back to the person the link was made for, so the path is logged as `/s/…`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_LINK_PATH.sub("/s/…", arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def hide_link_tokens_in_access_log() -> None:
    """Install HideLinkTokens on uvicorn's access log (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideLinkTokens) for f in access.filters):
        access.addFilter(HideLinkTokens())


def _gone(request: Request, exc: DomainError) -> Response:
    reason = "used" if exc.code == "link_used" else "unknown"
    return templates.TemplateResponse(
        request, "surveys/link_gone.html", {"reason": reason}, status_code=exc.status_code
    )


def _answer_page(
    request: Request, link: service.OpenLink, token: str, values: Fields, errors: list[tuple[str, str]], status: int
) -> Response:
    context = {"link": link, "token": token, "values": values, "errors": errors}
    return templates.TemplateResponse(request, "surveys/answer.html", context, status_code=status)


@router.get("/s/{token}", response_class=HTMLResponse)
def answer_form(token: str, request: Request, db: SessionDep) -> Response:
    """The survey a one-time link answers, without signing in; a clear page when the link was used or is unknown."""
    try:
        link = service.open_link(db, token=token[:100])
    except (NotFound, Conflict) as exc:
        return _gone(request, exc)
    return _answer_page(request, link, token, {}, [], 200)


@router.post("/s/{token}", response_class=HTMLResponse)
def answer(token: str, request: Request, db: SessionDep, fields: Fields = Depends(form_fields)) -> Response:
    """Record the answers, once; the form again with each refused answer at its question (422)."""
    if not is_own_origin(request):
        raise Forbidden("the request does not come from this site's own pages (Origin or Referer)", code="bad_origin")
    try:
        link = service.open_link(db, token=token[:100])
    except (NotFound, Conflict) as exc:
        return _gone(request, exc)
    given = {item.code: ";".join(v for v in fields.get(item.code, []) if v.strip()) for item in link.items}
    try:
        service.answer_by_link(db, token=token[:100], given=given)
    except Invalid as exc:
        refused = exc.extra.get("errors") or [{"field": exc.field, "detail": exc.detail}]
        return _answer_page(request, link, token, fields, [(e["field"], "invalid") for e in refused], 422)
    except Conflict as exc:
        return _gone(request, exc)
    return templates.TemplateResponse(request, "surveys/answered.html", {"survey": link.survey})
