"""The audit trail's pages for the school: `/admin/audit`, every change and sign-in, newest first, filtered by who
(an account's email), what (record type, action), when (from, to: days in the school's time) and which record; and
`/admin/audit/{entity_type}/{entity_id}`, one record's history, each change as the fields it changed, before and
after. Read only, from the same selector as GET /api/v1/audit. (The access log of personal data is the auditors'
alone, as in the API: the admins whose reads it records do not read it.)"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import service as accounts
from app.audit import selectors
from app.audit.rules import changed_fields
from app.config import get_settings
from app.errors import NotFound
from app.web.deps import PageAdmin, SessionDep
from app.web.pages import templates
from app.web.pagination import Offset
from app.web.routing import Router

router = Router(include_in_schema=False)
PAGE_SIZE = 50
Text = Annotated[str, Query(max_length=254)]


def _day(value: str) -> date | None:
    """A YYYY-MM-DD day, or None for a blank; ValueError for anything else."""
    return date.fromisoformat(value) if value else None


def _start_of(day: date) -> datetime:
    """Midnight starting the day in the school's timezone."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(get_settings().timezone))


def _rows(items: list[Any]) -> list[dict[str, Any]]:
    """Each event with the fields it changed, and its time of day in the school's timezone (HH:MM)."""
    zone = ZoneInfo(get_settings().timezone)
    return [
        {"event": e, "changes": changed_fields(e.before, e.after), "time": e.at.astimezone(zone).strftime("%H:%M")}
        for e in items
    ]


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_trail(
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    who: Text = "",
    entity_type: Annotated[str, Query(max_length=40)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
    entity_id: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    offset: Offset = 0,
) -> Response:
    """The audit trail, newest first, as filtered; a filter that cannot be read is named at its field (422)."""
    values = {
        "who": who.strip(),
        "entity_type": entity_type,
        "action": action,
        "entity_id": entity_id.strip(),
        "since": since,
        "until": until,
    }
    errors: list[tuple[str, str]] = []
    user_id = None
    if values["who"]:
        try:
            user_id = accounts.find_user_id(db, email=values["who"])
        except NotFound:
            errors.append(("who", "who_unknown"))
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        try:
            days[name] = _day(values[name])
        except ValueError:
            errors.append((name, "day_invalid"))
    if not errors and days["since"] and days["until"] and days["until"] < days["since"]:
        errors.append(("until", "until_before_since"))
    types, actions = selectors.event_kinds(db)
    context: dict[str, Any] = {"values": values, "errors": errors, "types": types, "actions": actions}
    if errors:
        context.update(rows=[], total=0, offset=0, size=PAGE_SIZE, base="/admin/audit")
        return templates.TemplateResponse(request, "audit/trail.html", context, status_code=422)
    since_day, until_day = days["since"], days["until"]
    page = selectors.list_events(
        db,
        entity_type=values["entity_type"] or None,
        entity_id=values["entity_id"] or None,
        user_id=user_id,
        action=values["action"] or None,
        since=_start_of(since_day) if since_day else None,
        before=_start_of(until_day + timedelta(days=1)) if until_day else None,
        limit=PAGE_SIZE,
        offset=offset,
    )
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "lang") and v])
    base = "/admin/audit" + (f"?{query}" if query else "")
    context.update(rows=_rows(page.items), total=page.total, offset=offset, size=PAGE_SIZE, base=base)
    return templates.TemplateResponse(request, "audit/trail.html", context)


@router.get("/admin/audit/{entity_type}/{entity_id}", response_class=HTMLResponse)
def record_history(
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    entity_type: Annotated[str, Path(max_length=40)],
    entity_id: Annotated[str, Path(max_length=64)],
    offset: Offset = 0,
) -> Response:
    """One record's history, oldest change first: each change's fields before and after."""
    page = selectors.list_events(
        db,
        entity_type=entity_type,
        entity_id=entity_id,
        user_id=None,
        action=None,
        limit=PAGE_SIZE,
        offset=offset,
        oldest_first=True,
    )
    context = {
        "entity_type": entity_type,
        "entity_id": entity_id,
        "rows": _rows(page.items),
        "total": page.total,
        "offset": offset,
        "size": PAGE_SIZE,
    }
    return templates.TemplateResponse(request, "audit/history.html", context)
