"""The rows behind the compliance figures, one authority, the officials at risk and the seats programmes need:

- `/compliance/requirements`: the requirements behind any figure (the filters of GET /api/v1/compliance/requirements,
  `selectors.drill_down`), paged, with the filters that are on and a way to clear each; `.csv` and `.xlsx` of the
  same rows in the page's language;
- `/compliance/authorities/{cbs_code}`: one authority as of a date: its counts by status and by role, its officials'
  requirements, its requests (pending first), and its files (CSV, XLSX, the PDF report);
- `/compliance/at-risk`: officials who will be overdue within 90 days unless they enrol (`selectors.at_risk`), with
  whether an open cohort has a seat for them; `.csv` and `.xlsx`;
- `/compliance/seat-demand`: auditors only: per mandatory programme, the seats needed in the next two quarters (and
  the next year) against the free seats of its scheduled cohorts (`selectors.seat_demand`); `.csv` and `.xlsx`.

A liaison sees their own authority only (the selectors' scoping); another authority answers 404, as a record out of
sight does. Every page reads its names (authorities, districts, roles, programmes) in a few queries whatever the number
of rows, and writes the officials it lists to the access log, as the API does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlencode

from fastapi import Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from app.audit.rules import AccessKind
from app.audit.service import record_access, record_list
from app.auth import AUDITOR, LIAISON, Principal
from app.authorities.selectors import AuthorityProfile, authority_names, authority_profile, district_names
from app.clock import today
from app.compliance import selectors
from app.compliance.dashboard import authority_view
from app.compliance.rules import DUE_SOON_DAYS, RequirementStatus
from app.compliance.schemas import AtRiskRow, SeatDemandRow
from app.data_version import cached
from app.db import read_db_opener
from app.errors import Invalid, NotFound
from app.programmes.rules import ProgrammeKind
from app.programmes.selectors import programme_titles
from app.roles.selectors import role_names
from app.schemas import PlanDate
from app.templating import environment
from app.web.deps import SessionDep, page_allow
from app.web.exports import Column, export_response, streamed_export
from app.web.pages import KEPT_PAGES, kept_key, kept_page, page_language, render_kept, templates
from app.web.pagination import Offset
from app.web.routing import Router

router = Router(include_in_schema=False)
PAGE_SIZE = 50
# The requests an authority's page lists (pending first); the rest are on the requests' pages.
REQUESTS_SHOWN = 20
Lang = Literal["he", "en"]
FORMATS: tuple[Literal["csv", "xlsx"], ...] = ("csv", "xlsx")

PageReader = Annotated[Principal, page_allow(AUDITOR, LIAISON)]
PageAuditor = Annotated[Principal, page_allow(AUDITOR)]
OpenSession = Annotated[Callable[[], AbstractContextManager[Session]], Depends(read_db_opener)]

# --- names in both languages ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """The names of what rows refer to by code, each as {"he": ..., "en": ...}: four queries, whatever the rows."""

    authorities: dict[str, dict[str, str]]
    districts: dict[str, dict[str, str]]  # by the district's English name (the key of reports and filters)
    roles: dict[str, dict[str, str]]
    programmes: dict[str, dict[str, str]]
    mandatory: list[str] = field(default_factory=list)  # the mandatory programmes' codes, for the filters

    def of(self, kind: str, code: str | None, lang: str) -> str:
        """The name of a code in the language; the code itself when it has none."""
        if code is None:
            return ""
        found = getattr(self, kind).get(code)
        return found["he" if lang == "he" else "en"] if found else code


def _names(db: Session) -> Names:
    """The names of the codes, kept with the data version (a name changed is a write of report data): one query for
    the version where reading them takes five. Shared between requests: read-only."""
    return cached(db, "compliance pages: the names of codes", lambda: _read_names(db))


def _read_names(db: Session) -> Names:
    programmes = programme_titles(db)
    mandatory = {code for code, _he, _en in programme_titles(db, kind=ProgrammeKind.MANDATORY)}
    return Names(
        authorities={code: {"he": he, "en": en} for code, he, en in authority_names(db)},
        districts={en: {"he": he, "en": en} for en, he in district_names(db)},
        roles={code: {"he": he, "en": en} for code, he, en in role_names(db)},
        programmes={code: {"he": he, "en": en} for code, he, en in programmes},
        mandatory=[code for code, _he, _en in programmes if code in mandatory],
    )


# --- the query of the lists -----------------------------------------------------------------------------------------

_PLAN_DATE: TypeAdapter[date] = TypeAdapter(PlanDate)
STATUSES = [s.value for s in RequirementStatus]
SORTS: tuple[str, ...] = get_args(selectors.Sort)
Text = Annotated[str, Query(max_length=60)]


def _as_of(value: str) -> date:
    """The as-of date of a page: YYYY-MM-DD, or today when left empty; 422 naming `as_of` otherwise."""
    if not value.strip():
        return today()
    try:
        return _PLAN_DATE.validate_python(value.strip())
    except ValidationError:
        raise Invalid(f"as_of: {value!r} is not a date (YYYY-MM-DD)", field="as_of") from None


def _flag(value: str, name: str) -> bool | None:
    if value in ("", "any"):
        return None
    if value in ("true", "false"):
        return value == "true"
    raise Invalid(f"{name}: {value!r} is not true or false", field=name)


@dataclass(frozen=True)
class ListQuery:
    """What a list was asked for: the date, the filters, the order, the page; and the values as typed."""

    as_of: date
    filters: selectors.Filters
    sort: selectors.Sort
    offset: int
    values: dict[str, str]  # the query's fields as given (empty for those not given), for the form and links


async def _list_query(
    as_of: Annotated[str, Query(max_length=10)] = "",
    district: Text = "",
    authority: Annotated[str, Query(max_length=8)] = "",
    role: Text = "",
    programme: Annotated[str, Query(max_length=40)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    due_soon: Annotated[str, Query(max_length=5)] = "",
    late: Annotated[str, Query(max_length=5)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    offset: Offset = 0,
) -> ListQuery:
    """The filters of the drill-down as GET /api/v1/compliance/requirements names them, read from a page's query
    (an empty field is no filter); one that cannot be read is 422, naming it."""
    if status and status not in STATUSES:
        raise Invalid(f"status: {status!r} is not one of {', '.join(STATUSES)}", field="status")
    if sort and sort not in SORTS:
        raise Invalid(f"sort: {sort!r} is not one of {', '.join(SORTS)}", field="sort")
    day = _as_of(as_of)
    filters = selectors.Filters(
        authority=authority.strip() or None,
        district=district.strip() or None,
        role=role.strip() or None,
        programme=programme.strip() or None,
        status=RequirementStatus(status) if status else None,
        due_soon=_flag(due_soon, "due_soon"),
        late=_flag(late, "late"),
    )
    values = {
        "as_of": as_of.strip(),
        "district": district.strip(),
        "authority": authority.strip(),
        "role": role.strip(),
        "programme": programme.strip(),
        "status": status,
        "due_soon": due_soon if due_soon in ("true", "false") else "",
        "late": late if late in ("true", "false") else "",
        "sort": sort,
    }
    return ListQuery(as_of=day, filters=filters, sort=sort or "due_date", offset=offset, values=values)  # type: ignore[arg-type]


Listed = Annotated[ListQuery, Depends(_list_query)]


def _in_scope(query: ListQuery, actor: Principal) -> ListQuery:
    """The query as the caller may ask it: a liaison's lists are their authority's, and asking for another is 404."""
    if actor.role != LIAISON:
        return query
    asked = query.filters.authority
    if asked is not None and asked != actor.authority_code:
        raise NotFound(f"no authority has the CBS code {asked!r}")
    return replace(query, filters=replace(query.filters, authority=actor.authority_code))


def _url(path: str, values: dict[str, str], **changes: str) -> str:
    """The page's address with these query values (empty ones left out)."""
    merged = {**values, **changes}
    query = urlencode([(k, v) for k, v in merged.items() if v])
    return path + (f"?{query}" if query else "")


@dataclass(frozen=True)
class ActiveFilter:
    """A filter that is on: its field, the value in words, and the list's address without it."""

    name: str
    value: str
    clear_url: str


def _active_filters(
    path: str, query: ListQuery, names: Names, lang: str, *, fixed: tuple[str, ...] = ()
) -> list[ActiveFilter]:
    """The filters that are on, each in words with the address that clears it (`fixed` ones cannot be cleared)."""
    words = _words(lang)
    out = []
    for key in ("district", "authority", "role", "programme", "status", "due_soon", "late"):
        value = query.values.get(key, "")
        if not value or key in fixed:
            continue
        if key == "district":
            shown = names.of("districts", value, lang)
        elif key == "authority":
            shown = names.of("authorities", value, lang)
        elif key == "role":
            shown = names.of("roles", value, lang)
        elif key == "programme":
            shown = names.of("programmes", value, lang)
        elif key == "status":
            shown = words.status(value)
        else:
            shown = words.yes_no(value == "true")
        clear = _url(path, {k: v for k, v in query.values.items() if k != key})
        out.append(ActiveFilter(key, shown, clear))
    return out


# --- words of the files ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """The words files and filter lines use for codes, in one language: those of templates/compliance/
    _authority_words.html, which the pages use too (so the catalogue holds them, and one wording serves both)."""

    lang: str
    module: Any

    def _text(self, value: Any) -> str:
        return str(Markup(value).unescape()).strip() if isinstance(value, Markup) else str(value).strip()

    def status(self, code: str) -> str:
        """A requirement's status in words."""
        return self._text(self.module.requirement_status.get(code, code))

    def yes_no(self, value: bool | None) -> str:
        """Yes or no in words; nothing for none."""
        return "" if value is None else self._text(self.module.yes if value else self.module.no)

    def risk(self, code: str) -> str:
        """Why a requirement is at risk."""
        return self._text(self.module.risk.get(code, code))

    def verdict(self, shortfall: int) -> str:
        """Whether a programme has seats enough, or how many it lacks."""
        return self._text(self.module.verdict(shortfall))

    def title(self, kind: str, day: date) -> str:
        """The title line of a file of this kind, dated."""
        return self._text(self.module.file_title(kind, day.isoformat()))


@lru_cache(maxsize=2)
def _words(lang: str) -> Words:
    module = environment(lang).get_template("compliance/_authority_words.html").make_module({"lang": lang})
    return Words(lang, module)


def _lang(request: Request) -> Lang:
    return "en" if page_language(request) == "en" else "he"


# --- the requirements behind a figure -------------------------------------------------------------------------------

REQUIREMENT_COLUMNS = [
    Column("authority_code", "סמל רשות", "Authority code", 10),
    Column("authority", "רשות", "Authority", 22),
    Column("district_name", "מחוז", "District", 14),
    Column("district", "מחוז (קוד)", "District (code)", 14),
    Column("national_id", 'ת"ז', "National ID", 12),
    Column("official_name_he", "שם", "Name", 22),
    Column("role", "תפקיד", "Role", 22),
    Column("role_code", "תפקיד (קוד)", "Role (code)", 16),
    Column("programme", "תוכנית", "Programme", 26),
    Column("programme_code", "תוכנית (קוד)", "Programme (code)", 14),
    Column("appointment_start", "תחילת מינוי", "Appointment start", 12),
    Column("appointment_end", "סיום מינוי", "Appointment end", 12),
    Column("due_date", "מועד אחרון", "Due date", 12),
    Column("status_name", "מצב", "Status", 14),
    Column("status", "מצב (קוד)", "Status (code)", 12),
    Column("due_soon_word", "מועד קרוב", "Due soon", 9),
    Column("late_word", "הושלם באיחור", "Completed late", 9),
    Column("completed_on", "תאריך השלמה", "Completed on", 12),
    Column("cohort_code", "מחזור", "Cohort", 12),
    Column("extensions", "הארכות", "Extensions", 8),
    Column("exemptions", "פטורים", "Exemptions", 8),
    Column("pending_requests", "בקשות ממתינות", "Pending requests", 8),
]


def _in_words(row: dict[str, Any], names: Names, words: Words) -> dict[str, Any]:
    """A drill-down row (as a dict) with its codes also in words, for a file in the reader's language."""
    lang = words.lang
    return {
        **row,
        "authority": names.of("authorities", row["authority_code"], lang),
        "district_name": names.of("districts", row["district"], lang),
        "role": names.of("roles", row["role_code"], lang),
        "programme": names.of("programmes", row["programme_code"], lang),
        "status_name": words.status(row["status"]),
        "due_soon_word": words.yes_no(row["due_soon"]),
        "late_word": words.yes_no(row["late"]) if row["status"] == RequirementStatus.COMPLETED else "",
    }


def _filter_detail(query: ListQuery) -> dict[str, Any]:
    return {"as_of": query.as_of.isoformat(), **{k: v for k, v in asdict(query.filters).items() if v is not None}}


@router.get("/compliance/requirements", response_class=HTMLResponse)
def requirements(request: Request, db: SessionDep, actor: PageReader, listed: Listed) -> Response:
    """The requirements behind any figure, as of a date, filtered (district, authority, role, programme, status,
    due soon, late), sorted and paged; the filters that are on, each with a way to clear it; the CSV and XLSX."""
    query = _in_scope(listed, actor)
    lang = _lang(request)
    page = selectors.drill_down(
        db, as_of=query.as_of, filters=query.filters, actor=actor, sort=query.sort, limit=PAGE_SIZE, offset=query.offset
    )
    record_list(db, actor=actor, subject="/compliance/requirements", official_ids=[r.official_id for r in page.items])
    names = _names(db)
    fixed = ("authority",) if actor.role == LIAISON else ()
    values = {k: v for k, v in query.values.items()}
    context = {
        "rows": page.items,
        "total": page.total,
        "offset": query.offset,
        "size": PAGE_SIZE,
        "as_of": query.as_of,
        "values": values,
        "names": names,
        "statuses": STATUSES,
        "sorts": SORTS,
        "liaison": actor.role == LIAISON,
        "active": _active_filters("/compliance/requirements", listed, names, lang, fixed=fixed),
        "base": _url("/compliance/requirements", values),
        "files": {fmt: _url(f"/compliance/requirements.{fmt}", values) for fmt in FORMATS},
    }
    return templates.TemplateResponse(request, "compliance/requirements.html", context)


def _requirements_file(fmt: Literal["csv", "xlsx"]) -> Callable[..., Response]:
    def download(
        request: Request, db: SessionDep, actor: PageReader, listed: Listed, open_session: OpenSession
    ) -> Response:
        query = _in_scope(listed, actor)
        lang = _lang(request)
        names, words = _names(db), _words(lang)
        record_access(
            db,
            actor=actor,
            kind=AccessKind.EXPORT,
            subject=f"/compliance/requirements.{fmt}",
            detail=_filter_detail(query),
        )

        @contextmanager
        def open_rows() -> Iterator[Iterator[dict[str, Any]]]:
            with open_session() as read:
                rows = selectors.stream_drill_down(
                    read, as_of=query.as_of, filters=query.filters, actor=actor, sort=query.sort
                )
                yield (_in_words(r, names, words) for r in rows)

        day = query.as_of.isoformat()
        title = words.title("requirements", query.as_of)
        return streamed_export(
            fmt,
            REQUIREMENT_COLUMNS,
            open_rows,
            filename=f"requirements-{day}",
            lang=lang,
            sheet="requirements",
            title=title,
        )

    download.__name__ = f"requirements_{fmt}"
    download.__doc__ = f"The rows of /compliance/requirements (the same query, every page) as {fmt.upper()}."
    return download


for _fmt in FORMATS:
    router.add_api_route(f"/compliance/requirements.{_fmt}", _requirements_file(_fmt), methods=["GET"])


# --- one authority --------------------------------------------------------------------------------------------------


@router.get("/compliance/authorities/{cbs_code}", response_class=HTMLResponse)
def authority(
    cbs_code: Annotated[str, Path(max_length=8)],
    request: Request,
    db: SessionDep,
    actor: PageReader,
    listed: Listed,
) -> Response:
    """One authority as of a date: its heading, counts by status and by role, its officials' requirements
    (filtered by status and role, paged), its requests (pending first), and its files. Another authority of a
    liaison's, or no such authority: 404."""
    if actor.role == LIAISON and cbs_code != actor.authority_code:
        raise NotFound(f"no authority has the CBS code {cbs_code!r}")
    profile = authority_profile(db, code=cbs_code)
    if profile is None:
        raise NotFound(f"no authority has the CBS code {cbs_code!r}")
    key = kept_key(request, actor, listed.as_of)
    body, shown = cached(db, key, lambda: _authority_page(request, db, actor, profile, listed), cache=KEPT_PAGES)
    record_list(db, actor=actor, subject=f"/compliance/authorities/{cbs_code}", official_ids=shown)
    return kept_page(request, body)


def _authority_page(
    request: Request, db: Session, actor: Principal, profile: AuthorityProfile, listed: ListQuery
) -> tuple[bytes, list[int]]:
    """An authority's page, rendered to be kept (`app.web.pages.render_kept`), with the officials it lists."""
    cbs_code = profile.code
    lang = _lang(request)
    # The officials' list takes only the status and role of the page's filters; the figures take none.
    query = replace(
        listed,
        filters=selectors.Filters(authority=cbs_code, status=listed.filters.status, role=listed.filters.role),
        values={k: listed.values[k] for k in ("as_of", "status", "role", "sort")},
    )
    view = authority_view(
        db,
        code=cbs_code,
        as_of=query.as_of,
        filters=query.filters,
        sort=query.sort,
        limit=PAGE_SIZE,
        offset=query.offset,
        requests_shown=REQUESTS_SHOWN,
        actor=actor,
    )
    page, requests = view.rows, view.requests
    subject = f"/compliance/authorities/{cbs_code}"
    names = _names(db)
    day = query.as_of.isoformat()
    list_values = {"as_of": query.values["as_of"], "authority": cbs_code, "status": query.values["status"]}
    list_values["role"] = query.values["role"]
    context = {
        "profile": profile,
        "counts": view.counts,
        "by_role": view.by_role,
        "rows": page.items,
        "total": page.total,
        "offset": query.offset,
        "size": PAGE_SIZE,
        "as_of": query.as_of,
        "values": query.values,
        "names": names,
        "statuses": STATUSES,
        "requests": requests,
        "active": _active_filters(subject, query, names, lang),
        "base": _url(subject, query.values) + "#officials",
        "pager_base": _url(subject, query.values),
        "drill": _url("/compliance/requirements", {"as_of": day, "authority": cbs_code}),
        "list_url": _url("/compliance/requirements", list_values),
        "files": {fmt: _url(f"/compliance/requirements.{fmt}", list_values) for fmt in FORMATS},
        "pdf": _url("/compliance/report.pdf", {"authority": cbs_code, "as_of": day}),
        "liaison": actor.role == LIAISON,
    }
    return render_kept(request, "compliance/authority.html", context), [r.official_id for r in page.items]


# --- at risk --------------------------------------------------------------------------------------------------------

AT_RISK_COLUMNS = [
    Column("authority_code", "סמל רשות", "Authority code", 10),
    Column("authority", "רשות", "Authority", 22),
    Column("district_name", "מחוז", "District", 14),
    Column("national_id", 'ת"ז', "National ID", 12),
    Column("official_name_he", "שם", "Name", 22),
    Column("role", "תפקיד", "Role", 22),
    Column("role_code", "תפקיד (קוד)", "Role (code)", 16),
    Column("programme", "תוכנית", "Programme", 26),
    Column("programme_code", "תוכנית (קוד)", "Programme (code)", 14),
    Column("due_date", "מועד אחרון", "Due date", 12),
    Column("days_left", "ימים שנותרו", "Days left", 9),
    Column("risk_name", "סיבת הסיכון", "Why at risk", 26),
    Column("risk", "סיבת הסיכון (קוד)", "Why at risk (code)", 18),
    Column("cohort_code", "מחזור", "Cohort", 12),
    Column("open_seats_word", "יש מחזור פתוח עם מקום", "An open cohort has a seat", 12),
    Column("open_seats", "מקומות פנויים", "Free seats", 9),
    Column("next_cohort", "המחזור הפתוח הקרוב", "Next open cohort", 14),
]


def _at_risk_rows(
    rows: list[AtRiskRow], as_of: date, seats: dict[str, selectors.OpenSeats], names: Names, words: Words
) -> list[dict[str, Any]]:
    """The rows at risk with how many days are left, and the open seats of their programme, codes also in words."""
    out = []
    for r in rows:
        found = seats.get(r.programme_code)
        item = _in_words(r.model_dump(), names, words)
        item.update(
            days_left=(r.due_date - as_of).days,
            risk_name=words.risk(r.risk),
            open_seats_word=words.yes_no(found is not None),
            open_seats=found.free_seats if found else 0,
            next_cohort=found.first_code if found else "",
            next_start=found.first_start if found else None,
        )
        out.append(item)
    return out


@router.get("/compliance/at-risk", response_class=HTMLResponse)
def at_risk(request: Request, db: SessionDep, actor: PageReader, listed: Listed) -> Response:
    """Officials who will be overdue within 90 days unless they enrol (or whose cohort ends after their due date),
    earliest due first: days left, why, and whether an open cohort of their programme has a seat; paged."""
    query = _kept(listed, ("as_of", "district", "authority", "role", "programme"))
    query = _in_scope(query, actor)
    lang = _lang(request)
    page = selectors.at_risk(
        db, as_of=query.as_of, filters=query.filters, actor=actor, limit=PAGE_SIZE, offset=query.offset
    )
    record_list(db, actor=actor, subject="/compliance/at-risk", official_ids=[r.official_id for r in page.items])
    names = _names(db)
    seats = selectors.open_seats_by_programme(db, as_of=query.as_of)
    fixed = ("authority",) if actor.role == LIAISON else ()
    context = {
        "rows": _at_risk_rows(page.items, query.as_of, seats, names, _words(lang)),
        "total": page.total,
        "offset": query.offset,
        "size": PAGE_SIZE,
        "as_of": query.as_of,
        "values": query.values,
        "names": names,
        "liaison": actor.role == LIAISON,
        "horizon": DUE_SOON_DAYS,
        "active": _active_filters("/compliance/at-risk", query, names, lang, fixed=fixed),
        "base": _url("/compliance/at-risk", query.values),
        "files": {fmt: _url(f"/compliance/at-risk.{fmt}", query.values) for fmt in FORMATS},
    }
    return templates.TemplateResponse(request, "compliance/at_risk.html", context)


def _kept(query: ListQuery, keys: tuple[str, ...]) -> ListQuery:
    """The query with only these filters (the others the page does not offer are dropped)."""
    dropped = {k: None for k in ("district", "authority", "role", "programme", "status", "due_soon", "late")}
    kept = {k: getattr(query.filters, k) for k in keys if k != "as_of"}
    values = {k: v for k, v in query.values.items() if k in keys}
    return replace(query, filters=replace(query.filters, **{**dropped, **kept}), values=values)


# Officials at risk in one file: the whole list (it is bounded by the 90 days ahead).
MAX_FILE_ROWS = 100_000


def _at_risk_file(fmt: Literal["csv", "xlsx"]) -> Callable[..., Response]:
    def download(request: Request, db: SessionDep, actor: PageReader, listed: Listed) -> Response:
        query = _in_scope(_kept(listed, ("as_of", "district", "authority", "role", "programme")), actor)
        lang = _lang(request)
        names, words = _names(db), _words(lang)
        found = selectors.at_risk(
            db, as_of=query.as_of, filters=query.filters, actor=actor, limit=MAX_FILE_ROWS, offset=0
        )
        seats = selectors.open_seats_by_programme(db, as_of=query.as_of)
        record_access(
            db, actor=actor, kind=AccessKind.EXPORT, subject=f"/compliance/at-risk.{fmt}", detail=_filter_detail(query)
        )
        day = query.as_of.isoformat()
        return export_response(
            fmt,
            AT_RISK_COLUMNS,
            _at_risk_rows(found.items, query.as_of, seats, names, words),
            filename=f"at-risk-{day}",
            lang=lang,
            sheet="at-risk",
            title=words.title("at_risk", query.as_of),
        )

    download.__name__ = f"at_risk_{fmt}"
    download.__doc__ = f"The officials of /compliance/at-risk (the same query, every page) as {fmt.upper()}."
    return download


for _fmt in FORMATS:
    router.add_api_route(f"/compliance/at-risk.{_fmt}", _at_risk_file(_fmt), methods=["GET"])


# --- seat demand ----------------------------------------------------------------------------------------------------

SEAT_DEMAND_COLUMNS = [
    Column("programme", "תוכנית", "Programme", 28),
    Column("programme_code", "תוכנית (קוד)", "Programme (code)", 14),
    Column("scheduled_cohorts", "מחזורים מתוכננים", "Scheduled cohorts", 10),
    Column("overdue_without_completion", "באיחור, בלי השלמה", "Overdue, not completed", 10),
    Column("due_within_6_months", "צריכים מקום בשני הרבעונים הקרובים", "Need a seat, next two quarters", 12),
    Column("free_seats_within_6_months", "מקומות פנויים בשני הרבעונים הקרובים", "Free seats, next two quarters", 12),
    Column("shortfall_within_6_months", "חוסר בשני הרבעונים הקרובים", "Shortfall, next two quarters", 12),
    Column("verdict_6", "בשני הרבעונים הקרובים", "Next two quarters", 24),
    Column("due_within_12_months", "צריכים מקום בשנה הקרובה", "Need a seat, next year", 12),
    Column("free_seats_within_12_months", "מקומות פנויים בשנה הקרובה", "Free seats, next year", 12),
    Column("shortfall_within_12_months", "חוסר בשנה הקרובה", "Shortfall, next year", 12),
    Column("verdict_12", "בשנה הקרובה", "Next year", 24),
]


def _seat_rows(rows: list[SeatDemandRow], names: Names, words: Words) -> list[dict[str, Any]]:
    return [
        {
            **r.model_dump(),
            "programme": names.of("programmes", r.programme_code, words.lang),
            "verdict_6": words.verdict(r.shortfall_within_6_months),
            "verdict_12": words.verdict(r.shortfall_within_12_months),
        }
        for r in rows
    ]


@router.get("/compliance/seat-demand", response_class=HTMLResponse)
def seat_demand(
    request: Request, db: SessionDep, actor: PageAuditor, as_of: Annotated[str, Query(max_length=10)] = ""
) -> Response:
    """Per mandatory programme: the officials who fall due in the next two quarters (and the next year) without a
    seat, against the free seats of its scheduled cohorts starting by then, and the shortfall, in words and numbers.
    Auditors only."""
    day = _as_of(as_of)
    lang = _lang(request)
    rows = selectors.seat_demand(db, as_of=day, actor=actor)
    names = _names(db)
    values = {"as_of": as_of.strip()}
    context = {
        "rows": _seat_rows(rows, names, _words(lang)),
        "as_of": day,
        "values": values,
        "totals": {
            k: sum(getattr(r, k) for r in rows)
            for k in (
                "due_within_6_months",
                "free_seats_within_6_months",
                "shortfall_within_6_months",
                "due_within_12_months",
                "free_seats_within_12_months",
                "shortfall_within_12_months",
                "overdue_without_completion",
            )
        },
        "files": {fmt: _url(f"/compliance/seat-demand.{fmt}", values) for fmt in FORMATS},
    }
    return templates.TemplateResponse(request, "compliance/seat_demand.html", context)


def _seat_demand_file(fmt: Literal["csv", "xlsx"]) -> Callable[..., Response]:
    def download(
        request: Request, db: SessionDep, actor: PageAuditor, as_of: Annotated[str, Query(max_length=10)] = ""
    ) -> Response:
        day = _as_of(as_of)
        lang = _lang(request)
        words = _words(lang)
        rows = selectors.seat_demand(db, as_of=day, actor=actor)
        record_access(
            db,
            actor=actor,
            kind=AccessKind.EXPORT,
            subject=f"/compliance/seat-demand.{fmt}",
            detail={"as_of": day.isoformat()},
        )
        return export_response(
            fmt,
            SEAT_DEMAND_COLUMNS,
            _seat_rows(rows, _names(db), words),
            filename=f"seat-demand-{day.isoformat()}",
            lang=lang,
            sheet="seat-demand",
            title=words.title("seat_demand", day),
        )

    download.__name__ = f"seat_demand_{fmt}"
    download.__doc__ = f"The table of /compliance/seat-demand as {fmt.upper()}."
    return download


for _fmt in FORMATS:
    router.add_api_route(f"/compliance/seat-demand.{_fmt}", _seat_demand_file(_fmt), methods=["GET"])
