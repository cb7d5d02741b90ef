"""`/compliance`: the compliance dashboard of the country (an auditor) or of one authority (its liaison), as of a
date and compared with an earlier one: headline figures, a heatmap of districts (or a district's authorities) by
role, and the ranked table of authorities, worst first; with its evidence: the ranked table and the heatmap as CSV
and XLSX (`/compliance/authorities.csv|xlsx`, `/compliance/heatmap.csv|xlsx`, the page's query string and language)
and the compliance report as PDF (`/compliance/report.pdf?as_of=`).

The figures come from `app.compliance.dashboard` (one grouped summary per date); a date that cannot be read is
named at its field (422)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.audit.rules import AccessKind
from app.audit.service import record_access
from app.auth import AUDITOR, LIAISON, Principal
from app.clock import today
from app.compliance import dashboard as figures
from app.compliance import report_pdf, trend
from app.compliance.exports import AUTHORITY_RANKING_COLUMNS, HEATMAP_COLUMNS, heatmap_rows, ranking_rows
from app.compliance.selectors import Filters
from app.data_version import cached
from app.errors import Invalid
from app.schemas import plan_date_problem
from app.web.deps import SessionDep, page_allow
from app.web.exports import export_response
from app.web.pages import KEPT_PAGES, kept_key, kept_page, page_language, render_kept, templates
from app.web.routing import Router

router = Router(include_in_schema=False)
PAGE_SIZE = 50

Caller = Annotated[Principal, page_allow(AUDITOR, LIAISON)]
Short = Annotated[str, Query(max_length=40)]
Text = Annotated[str, Query(max_length=200)]
# The ranked table's columns that sort from the least first when first chosen (the rates: the worst first; names).
ASCENDING_FIRST = frozenset({"rate", "on_time_rate", "change", "name", "district"})


@dataclass
class Asked:
    """What the dashboard was asked for, as typed (`values`, for the form) and as read."""

    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)
    as_of: date | None = None
    compare_to: date | None = None
    filters: Filters = field(default_factory=Filters)
    sort: str = "rate"
    direction: Literal["asc", "desc"] = "asc"


def _day(value: str, name: str, errors: list[tuple[str, str]]) -> date | None:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        errors.append((name, "date_invalid"))
        return None
    if plan_date_problem(day, today=today()):
        errors.append((name, "date_out_of_range"))
        return None
    return day


def _asked(
    actor: Principal,
    *,
    as_of: str,
    compare_to: str,
    district: str,
    authority_type: str,
    role: str,
    programme: str,
    q: str,
    sort: str,
    dir: str,
) -> Asked:
    """The query read: the dates (as_of default today, compare_to default a year before it, and not after it), the
    filters (a liaison's district and type of authority are their authority's, so those two are not theirs to set),
    the search and the order of the ranked table."""
    liaison = actor.role == LIAISON
    values = {
        "as_of": as_of.strip(),
        "compare_to": compare_to.strip(),
        "district": "" if liaison else district,
        "authority_type": "" if liaison else authority_type,
        "role": role,
        "programme": programme,
        "q": q.strip(),
    }
    asked = Asked(values=values)
    asked.as_of = _day(values["as_of"], "as_of", asked.errors) if values["as_of"] else today()
    if values["compare_to"]:
        asked.compare_to = _day(values["compare_to"], "compare_to", asked.errors)
    elif asked.as_of is not None:
        asked.compare_to = asked.as_of - relativedelta(years=1)
    if asked.as_of and asked.compare_to and asked.compare_to > asked.as_of:
        asked.errors.append(("compare_to", "compare_after"))
    asked.filters = Filters(
        district=values["district"] or None,
        authority_type=values["authority_type"] or None,
        role=role or None,
        programme=programme or None,
    )
    asked.sort = sort if sort in figures.SORTS else "rate"
    asked.direction = "desc" if dir == "desc" else "asc"
    return asked


def _query(values: dict[str, str], **more: Any) -> str:
    """A query string of the non-empty values (and `more`)."""
    return urlencode([(k, v) for k, v in {**values, **more}.items() if v not in ("", None)])


async def _read_query(
    actor: Caller,
    as_of: Short = "",
    compare_to: Short = "",
    district: Short = "",
    authority_type: Short = "",
    role: Short = "",
    programme: Short = "",
    q: Text = "",
    sort: Short = "rate",
    dir: Short = "asc",
) -> Asked:
    """The dashboard's query, the page's and its files' alike (`_asked`)."""
    return _asked(
        actor,
        as_of=as_of,
        compare_to=compare_to,
        district=district,
        authority_type=authority_type,
        role=role,
        programme=programme,
        q=q,
        sort=sort,
        dir=dir,
    )


AskedQuery = Annotated[Asked, Depends(_read_query)]


@router.get("/compliance", response_class=HTMLResponse)
def compliance_dashboard(
    request: Request,
    db: SessionDep,
    actor: Caller,
    asked: AskedQuery,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The dashboard as of the date (default today), compared with the earlier date (default a year before); kept
    with the data version for each query, language, role and scope (`app.web.pages.kept_page`)."""
    context: dict[str, Any] = {
        "asked": asked,
        "values": asked.values,
        "errors": asked.errors,
        "liaison": actor.role == LIAISON,
        "dash": None,
    }
    if asked.errors:
        ref = figures.reference(db)
        context.update(ref=ref, mine=ref.authorities.get(actor.authority_code or "") if actor.role == LIAISON else None)
        return templates.TemplateResponse(request, "compliance/dashboard.html", context, status_code=422)
    assert asked.as_of is not None and asked.compare_to is not None
    key = kept_key(request, actor, asked.as_of, asked.compare_to)
    body = cached(db, key, lambda: _dashboard_page(request, db, actor, asked, offset, context), cache=KEPT_PAGES)
    return kept_page(request, body)


def _dashboard_page(
    request: Request, db: Session, actor: Principal, asked: Asked, offset: int, context: dict[str, Any]
) -> bytes:
    """The dashboard's page, rendered to be kept (`app.web.pages.render_kept`)."""
    assert asked.as_of is not None and asked.compare_to is not None
    lang = page_language(request)
    dash = figures.dashboard(db, as_of=asked.as_of, compare_to=asked.compare_to, filters=asked.filters, actor=actor)
    ranked = figures.rank(dash.authorities, sort=asked.sort, direction=asked.direction, q=asked.values["q"], lang=lang)
    # The date as the page was asked for it (today filled in), so that every link gives the same answer tomorrow.
    # The comparison date stays as asked: by default it follows the date (a year before), whichever is chosen next.
    dated = {**asked.values, "as_of": asked.as_of.isoformat()}
    order = {"sort": asked.sort, "dir": asked.direction}
    # The drill-down's filters kept on every heatmap link, in its own query names (no search, no comparison).
    kept = {k: dated[k] for k in ("as_of", "district", "authority_type", "programme")}
    row_param = "authority" if dash.heatmap.by == "authority" else "district"

    def cell_href(row_key: str | None, role_code: str | None) -> str:
        """The officials behind a cell of the heatmap (a row's total without a role, a role's without a row)."""
        more = {row_param: row_key or kept.get(row_param, ""), "role": role_code or asked.values["role"]}
        return "/compliance/requirements?" + _query(kept, **more)

    def sort_href(column: str) -> str:
        """The ranked table sorted by the column: the other way round when it is sorted by it already."""
        if column == asked.sort:
            direction = "desc" if asked.direction == "asc" else "asc"
        else:
            direction = "asc" if column in ASCENDING_FIRST else "desc"
        return "/compliance?" + _query(dated, sort=column, dir=direction)

    context.update(
        dash=dash,
        trend=trend.monthly(db, as_of=asked.as_of, filters=asked.filters, actor=actor),
        ref=dash.ref,
        ranked=ranked[offset : offset + PAGE_SIZE],
        total=len(ranked),
        offset=offset,
        size=PAGE_SIZE,
        dated=dated,
        cell_href=cell_href,
        sort_href=sort_href,
        base="/compliance?" + _query(dated, **order),
        clear_search="/compliance?" + _query({**dated, "q": ""}, **order),
        exports_query=_query(dated, **order),
        mine=dash.ref.authorities.get(actor.authority_code or "") if actor.role == LIAISON else None,
        sort=asked.sort,
        direction=asked.direction,
    )
    return render_kept(request, "compliance/dashboard.html", context)


def _refuse_unread(asked: Asked) -> Asked:
    """The query of an export, read as the page reads it; a date that cannot be read is 422 (the error page)."""
    if asked.errors:
        name, _ = asked.errors[0]
        raise Invalid(f"{name}: not a date the dashboard can show (YYYY-MM-DD)", field=name)
    return asked


def _dashboard_of(db: Session, actor: Principal, asked: Asked) -> figures.Dashboard:
    assert asked.as_of is not None and asked.compare_to is not None
    return figures.dashboard(db, as_of=asked.as_of, compare_to=asked.compare_to, filters=asked.filters, actor=actor)


@router.get("/compliance/authorities.{fmt}")
def authorities_export(
    fmt: Literal["csv", "xlsx"], request: Request, db: SessionDep, actor: Caller, query: AskedQuery
) -> Response:
    """The ranked table of authorities (every page of it, searched and sorted as on the page) as CSV or XLSX."""
    asked = _refuse_unread(query)
    lang: Literal["he", "en"] = "en" if page_language(request) == "en" else "he"
    dash = _dashboard_of(db, actor, asked)
    ranked = figures.rank(dash.authorities, sort=asked.sort, direction=asked.direction, q=asked.values["q"], lang=lang)
    day = dash.as_of.isoformat()
    title = (
        f"רשויות לפי עמידה בחובת ההכשרה, נכון ל-{day} (שינוי מאז {dash.compare_to.isoformat()})"
        if lang == "he"
        else f"Authorities by compliance as of {day} (change since {dash.compare_to.isoformat()})"
    )
    return export_response(
        fmt,
        AUTHORITY_RANKING_COLUMNS,
        ranking_rows(ranked, lang=lang),
        filename=f"compliance-authorities-{day}",
        lang=lang,
        sheet="authorities",
        title=title,
    )


@router.get("/compliance/heatmap.{fmt}")
def heatmap_export(
    fmt: Literal["csv", "xlsx"], request: Request, db: SessionDep, actor: Caller, query: AskedQuery
) -> Response:
    """The heatmap's figures, a row per cell (district or authority, and role), as CSV or XLSX."""
    asked = _refuse_unread(query)
    lang: Literal["he", "en"] = "en" if page_language(request) == "en" else "he"
    dash = _dashboard_of(db, actor, asked)
    day = dash.as_of.isoformat()
    title = f"עמידה בחובת ההכשרה לפי תפקיד, נכון ל-{day}" if lang == "he" else f"Compliance by role as of {day}"
    return export_response(
        fmt,
        HEATMAP_COLUMNS,
        heatmap_rows(dash.heatmap, lang=lang),
        filename=f"compliance-heatmap-{day}",
        lang=lang,
        sheet="heatmap",
        title=title,
    )


@router.get("/compliance/report.pdf")
def report(db: SessionDep, actor: Caller, query: AskedQuery, authority: Short = "") -> Response:
    """The compliance report as PDF, as of the date: the country, or one authority (a liaison's: their own; another
    is 404), stamped with the as-of date and who printed it."""
    day = _refuse_unread(query).as_of
    assert day is not None
    made = report_pdf.compliance_report(db, as_of=day, authority=authority or None, actor=actor)
    record_access(
        db,
        actor=actor,
        kind=AccessKind.EXPORT,
        subject="/compliance/report.pdf",
        detail={"as_of": day.isoformat(), "authority": authority or actor.authority_code},
    )
    return Response(
        made.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )
