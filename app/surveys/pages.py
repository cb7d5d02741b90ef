"""The pages of surveys: the list and the form that creates one (`/surveys`), a survey with its links, its sending to
the community and its import (`/surveys/{id}`), its report (page, XLSX and PDF), the waves of a series side by side,
the network of a wave, and the one-time link a respondent answers at without signing in (`/s/{token}`). Outside the
surveys' section (`outside`): a community's surveys with its short survey after each meeting
(`/communities/{id}/surveys`), and a member's own link from their home (`/me/surveys/{id}`).

Who: the school's staff read every survey and admins run them; a community's coordinator reads and runs its
surveys (`selectors.may_run_survey`), and nobody else's; members answer by their links."""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app import pdf
from app.auth import ADMIN, AUDITOR, OFFICIAL, Principal
from app.clock import now_utc
from app.config import get_settings
from app.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from app.imports.service import read_limited
from app.surveys import exports, rules, selectors, service
from app.surveys.schemas import AfterMeetingSettings, InvitationCreate, SurveyCreate, WaveSend
from app.web.deps import PageOfficial, SessionDep, is_own_origin, page_allow
from app.web.exports import export_response
from app.web.pages import page_language, templates
from app.web.pagination import RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)
# The pages under /communities and /me, outside the surveys' section of app/main.py.
outside = Router(include_in_schema=False)

# Staff read every survey; an official reads (and runs) the surveys of the community they coordinate.
PageReader = Annotated[Principal, page_allow(ADMIN, AUDITOR, OFFICIAL)]
# Admins run every survey; an official, those of the community they coordinate.
PageRunner = Annotated[Principal, page_allow(ADMIN, OFFICIAL)]

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
def surveys(request: Request, db: SessionDep, principal: PageReader) -> Response:
    """The surveys by series and wave, with how many responded (a coordinator's: their communities'); the form to
    create one, for those who may."""
    mine = selectors.surveys_scope(db, principal)
    context = {
        "surveys": selectors.list_surveys(db, community_ids=mine),
        "may_run": selectors.may_run_survey(db, principal, community_id=None),
        "communities": {c: selectors.community_names(db, community_id=c) for c in mine or []},
    }
    return templates.TemplateResponse(request, "surveys/list.html", context)


def _new_page(
    request: Request,
    db: SessionDep,
    values: Fields,
    errors: list[tuple[str, str]],
    community_id: int | None,
    status: int = 200,
) -> Response:
    context = {
        "values": values,
        "errors": errors,
        "rows": range(ITEM_ROWS),
        "kinds": list(rules.ItemKind),
        "community_id": community_id,
        "community": selectors.community_names(db, community_id=community_id),
    }
    return templates.TemplateResponse(request, "surveys/new.html", context, status_code=status)


def _community_of_form(db: SessionDep, principal: Principal, text: str) -> int | None:
    """The community a new survey asks (fixed by the page that links to the form); 403 for one the caller does not
    run, and for a coordinator who names none; 404 for one that does not exist."""
    community_id = int(text) if text.isdigit() and len(text) < 10 else None
    if text and community_id is None:
        raise NotFound(f"no community {text!r}")
    if community_id is not None and selectors.community_names(db, community_id=community_id) is None:
        raise NotFound(f"no community with id {community_id}")
    selectors.require_runner(db, principal, community_id=community_id)
    return community_id


@router.get("/surveys/new", response_class=HTMLResponse)
def new_survey(
    request: Request,
    db: SessionDep,
    principal: PageRunner,
    community_id: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """The form that creates a survey: its series and wave, titles, anonymity, and its questions; for a community
    (`?community_id=`, fixed), by its coordinator or an admin."""
    return _new_page(request, db, {}, [], _community_of_form(db, principal, community_id))


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
    if _one(fields, "community_id"):
        body["community_id"] = _one(fields, "community_id")
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
    request: Request, db: SessionDep, principal: PageRunner, fields: Fields = Depends(form_fields)
) -> Response:
    """Create the survey (the API's service); the form again with each problem at its field (422), or 409's."""
    community_id = _community_of_form(db, principal, _one(fields, "community_id"))
    body, rows = survey_body(fields)
    try:
        data = SurveyCreate.model_validate(body)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = list(err.get("loc", ()))
            problem = "no_items" if loc == ["items"] else _PROBLEMS.get(str(err.get("type")), "invalid")
            errors.append((_form_field(loc, rows) if loc != ["items"] else "items[0].code", problem))
        return _new_page(request, db, fields, _first_per_field(errors), community_id, 422)
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
        return _new_page(request, db, fields, [(field, problem)], community_id, 422 if exc.status_code == 422 else 409)
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
    selectors.require_reader(db, principal, community_id=survey.community_id)
    context = {
        "survey": survey,
        "community": selectors.community_names(db, community_id=survey.community_id),
        "circles": ["core", "wider", "all"],
        "may_run": selectors.may_run_survey(db, principal, community_id=survey.community_id),
        "has_people": any(i.kind is rules.ItemKind.PEOPLE for i in survey.items),
        "limit_mb": get_settings().upload_max_bytes // (1024 * 1024),
        "links": None,
        "sent": None,
        "refused": None,
        "errors": [],
        "detail": None,
        **extra,
    }
    return templates.TemplateResponse(request, "surveys/show.html", context, status_code=status)


@router.get("/surveys/{survey_id}", response_class=HTMLResponse)
def survey_page(survey_id: RecordId, request: Request, db: SessionDep, principal: PageReader) -> Response:
    """A survey: its questions, links sent and used, responses; the forms that send it to its community, invite and
    import, for those who run it."""
    return _survey_page(request, db, principal, survey_id)


@router.post("/surveys/{survey_id}/invitations", response_class=HTMLResponse)
def invite(
    survey_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageRunner,
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
    return _survey_page(request, db, principal, survey_id, links=_shown(request, db, links))


def _shown(request: Request, db: SessionDep, links: list[Any]) -> list[tuple[selectors.Person | None, str]]:
    """The links just made, each with the person it was made for, to show once."""
    base = str(request.base_url).rstrip("/")
    found = selectors.people(db, official_ids=[link.official_id for link in links if link.official_id])
    return [(found.get(link.official_id) if link.official_id else None, base + link.path) for link in links]


@router.post("/surveys/{survey_id}/send", response_class=HTMLResponse)
def send(
    survey_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageRunner,
    circle: str = Form(default="", max_length=10),
) -> Response:
    """Send the survey to the community's current members of a circle not yet invited: a one-time link mailed to
    each, and shown once here; the form again with the problem (422, or 409 when everyone was invited already)."""
    try:
        data = WaveSend.model_validate({"circle": circle})
    except ValidationError:
        return _survey_page(request, db, principal, survey_id, 422, errors=[("circle", "circle")])
    survey = selectors.get_survey(db, survey_id=survey_id)
    selectors.require_runner(db, principal, community_id=survey.community_id)
    try:
        links = service.send_wave(db, survey_id=survey_id, data=data, actor=principal)
    except (Invalid, Conflict) as exc:
        return _survey_page(
            request, db, principal, survey_id, exc.status_code, errors=[("circle", exc.code or "circle")]
        )
    return _survey_page(request, db, principal, survey_id, links=_shown(request, db, links), sent=len(links))


@router.post("/surveys/{survey_id}/import", response_class=HTMLResponse)
def import_responses(
    survey_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageRunner,
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


def _readable(db: SessionDep, principal: Principal, survey_id: int) -> Any:
    """The survey, when the caller may read it (403 otherwise)."""
    survey = selectors.read_survey(db, survey_id=survey_id)
    selectors.require_reader(db, principal, community_id=survey.community_id)
    return survey


@router.get("/surveys/{survey_id}/report", response_class=HTMLResponse)
def report(survey_id: RecordId, request: Request, db: SessionDep, principal: PageReader) -> Response:
    """The survey's report: per question N, the distribution as a chart and a table, the mean and the share of
    high agreement; the share choosing each option; free text listed."""
    context = {
        "survey": _readable(db, principal, survey_id),
        "report": selectors.survey_report(db, survey_id=survey_id),
    }
    return templates.TemplateResponse(request, "surveys/report.html", context)


@router.get("/surveys/{survey_id}/report.xlsx")
def report_xlsx(survey_id: RecordId, request: Request, db: SessionDep, principal: PageReader) -> Response:
    """The report as a sheet in the page's language: a row per question and figure."""
    lang = page_language(request)
    survey = _readable(db, principal, survey_id)
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
def report_pdf(survey_id: RecordId, request: Request, db: SessionDep, principal: PageReader) -> Response:
    """The report as a PDF in the page's language: the same figures and charts."""
    settings = get_settings()
    lang = page_language(request)
    survey = _readable(db, principal, survey_id)
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
def series_report(code: str, request: Request, db: SessionDep, principal: PageReader) -> Response:
    """The waves of a series side by side, each with its N: the share of high agreement per question and wave,
    as a chart and a table; the share choosing each option per wave."""
    if len(code) > 40:
        raise NotFound(f"no survey series with code {code!r}")
    selectors.require_series_reader(db, principal, code=code)
    return templates.TemplateResponse(
        request, "surveys/series.html", {"series": selectors.series_report(db, code=code)}
    )


# --- the network ---------------------------------------------------------------------------------------------


@router.get("/surveys/{survey_id}/network", response_class=HTMLResponse)
def network(
    survey_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageReader,
    compare: int | None = Query(default=None, ge=1, le=2_147_483_647),
) -> Response:
    """The network of a wave: its measures, a picture (names only to those who run the survey, numbers to every
    reader), the most central and the isolated members; compared with another wave of its series."""
    _readable(db, principal, survey_id)
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


# --- a community's surveys, and a member's own link ------------------------------------------------------------


def _community_surveys_page(
    request: Request, db: SessionDep, principal: Principal, community_id: int, errors: list[tuple[str, str]]
) -> Response:
    community = selectors.community_names(db, community_id=community_id)
    if community is None:
        raise NotFound(f"no community with id {community_id}")
    selectors.require_reader(db, principal, community_id=community_id)
    setting = selectors.after_meeting_setting(db, community_id=community_id)
    rows = selectors.list_surveys(db, community_ids=[community_id])
    after = [r for r in rows if r.meeting_id is not None]
    context = {
        "community_id": community_id,
        "community": community,
        "waves": [r for r in rows if r.meeting_id is None],
        "after": after,
        "after_series": sorted({r.series_code for r in after}),
        "setting": setting,
        "may_run": selectors.may_run_survey(db, principal, community_id=community_id),
        "errors": errors,
        "done": request.query_params.get("done") == "after_meeting_saved",
    }
    status = 422 if errors else 200
    return templates.TemplateResponse(request, "surveys/community.html", context, status_code=status)


@outside.get("/communities/{community_id}/surveys", response_class=HTMLResponse)
def community_surveys(community_id: RecordId, request: Request, db: SessionDep, principal: PageReader) -> Response:
    """A community's surveys by series and wave, with how many responded and links to their reports and networks;
    the short survey after each meeting, its setting and its surveys, meeting by meeting. For its coordinator and
    the school's staff."""
    return _community_surveys_page(request, db, principal, community_id, [])


@outside.post("/communities/{community_id}/surveys/after-meeting", response_class=HTMLResponse)
def set_after_meeting(
    community_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageRunner,
    enabled: str = Form(default="", max_length=10),
    anonymous: str = Form(default="", max_length=10),
) -> Response:
    """Turn the short survey after each meeting on or off, anonymous or not (422 for a choice that is none)."""
    if enabled not in ("true", "false"):
        return _community_surveys_page(request, db, principal, community_id, [("enabled-true", "choose")])
    data = AfterMeetingSettings(enabled=enabled == "true", anonymous=anonymous == "true")
    service.set_after_meeting(db, community_id=community_id, data=data, actor=principal)
    return RedirectResponse(f"/communities/{community_id}/surveys?done=after_meeting_saved", status_code=303)


@outside.post("/me/surveys/{survey_id}")
def answer_mine(survey_id: RecordId, db: SessionDep, principal: PageOfficial) -> Response:
    """Answer a survey waiting for the caller: a fresh one-time link to it (the one mailed stops working)."""
    return RedirectResponse(service.renew_my_link(db, survey_id=survey_id, actor=principal), status_code=303)
