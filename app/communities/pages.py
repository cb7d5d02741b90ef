"""The pages of communities: `/communities` (the list, the caller's own first), a new community (admins), one
community's page (about, coordinator and leading team, members by circle with their history, a network's
authorities, upcoming and past meetings, asking to join and leaving), the members' management (add by name or ID
number, change circle or role, end a membership; a network's authorities), the requests to join and their
decisions, a new meeting, and one meeting (details, agenda, minutes and products, and its attendance on one screen,
saved click by click by app/web/static/js/attendance.js through `PUT /api/v1/communities/meetings/{id}/attendance`,
or as a whole by the form without the script). The rules are the services' (one rule, whichever door); a form
refused is shown again with what was typed and each error at its field, with 422; every write is followed by a
redirect (303) to the page that says what happened (`?done=...`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from app.attendance.rules import AttendanceStatus
from app.audit.service import record_list
from app.auth import ADMIN, AUDITOR, OFFICIAL, Principal
from app.authorities.selectors import authority_names
from app.clock import today
from app.communities import selectors, service
from app.communities.rules import Access, Circle, CommunityKind, CommunityRole, MeetingKind
from app.communities.schemas import (
    AuthorityLinkCreate,
    CommunityCreate,
    CommunityUpdate,
    JoinRequestCreate,
    JoinRequestDecision,
    MeetingAttendanceIn,
    MeetingAttendanceSheet,
    MeetingCancel,
    MeetingCreate,
    MeetingUpdate,
    MemberCreate,
    MembershipEnd,
    MemberUpdate,
)
from app.errors import DomainError
from app.knowledge import selectors as knowledge
from app.knowledge import service as knowledge_service
from app.knowledge.schemas import ItemRead
from app.web.deps import PageAdmin, SessionDep, page_allow
from app.web.pages import templates
from app.web.pagination import RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)

PageReader = Annotated[Principal, page_allow(ADMIN, AUDITOR, OFFICIAL)]
PageManager = Annotated[Principal, page_allow(ADMIN, OFFICIAL)]
PageJoiner = Annotated[Principal, page_allow(OFFICIAL)]

Errors = list[tuple[str, str]]
STATUSES = [s.value for s in AttendanceStatus]
# What a page may say happened, after a redirect (?done=...).
DONE = frozenset(
    {
        "created",
        "requested",
        "left",
        "member_added",
        "member_changed",
        "member_ended",
        "authority_added",
        "authority_ended",
        "accepted",
        "refused",
        "meeting_scheduled",
        "meeting_saved",
        "meeting_cancelled",
        "attendance_saved",
        "community_saved",
    }
)


def _done(to: str, what: str) -> Response:
    return RedirectResponse(f"{to}?done={what}", status_code=303)


def _done_of(request: Request) -> str | None:
    done = request.query_params.get("done")
    return done if done in DONE else None


async def _form(request: Request) -> dict[str, str]:
    """The form's fields as text, blanks as missing, each at most 100,000 characters (minutes are long)."""
    form = await request.form()
    return {k: v.strip()[:100_000] for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _errors(exc: ValidationError) -> Errors:
    """(field, key) of each field a schema refused; a refusal of the whole form names its field first ("end_date:
    ..."); the key is the field's, or `<field>_missing` for a required field left empty."""
    out: Errors = []
    for err in exc.errors():
        if err["loc"]:
            field = str(err["loc"][0])
            key = f"{field}_missing" if err["type"] == "missing" else field
        else:
            field = str(err.get("msg", "")).removeprefix("Value error, ").split(":")[0].strip() or "form"
            key = field
        if (field, key) not in out:
            out.append((field, key))
    return out


def _validate(schema: type[BaseModel], values: dict[str, Any]) -> tuple[Any, Errors]:
    try:
        return schema.model_validate({k: v for k, v in values.items() if v not in ("", None)}), []
    except ValidationError as exc:
        return None, _errors(exc)


def _refused(exc: DomainError, default: str) -> Errors:
    return [(exc.field or default, exc.code)]


def _render(request: Request, name: str, context: dict[str, Any], errors: Errors | None = None) -> Response:
    context = {"errors": errors or [], "done": _done_of(request), **context}
    return templates.TemplateResponse(request, name, context, status_code=422 if errors else 200)


# --- the list and a new community ----------------------------------------------------------------------------------


@router.get("/communities", response_class=HTMLResponse)
def community_list(request: Request, db: SessionDep, principal: PageReader) -> Response:
    """Every community, the caller's own first, with the numbers of its circles."""
    page = selectors.list_communities(db, actor=principal)
    mine = [c for c in page.items if c.my_role is not None]
    others = [c for c in page.items if c.my_role is None]
    return _render(request, "communities/list.html", {"mine": mine, "others": others})


def _new_page(request: Request, values: dict[str, str], errors: Errors) -> Response:
    return _render(request, "communities/new.html", {"values": values, "kinds": list(CommunityKind)}, errors)


@router.get("/communities/new", response_class=HTMLResponse)
def new_community_form(request: Request, principal: PageAdmin) -> Response:
    """The form of a new community."""
    return _new_page(request, {"kind": CommunityKind.COMMUNITY}, [])


@router.post("/communities/new", response_class=HTMLResponse)
async def create_community(request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """Create the community; then its page."""
    values = await _form(request)
    data, errors = _validate(CommunityCreate, values)
    if errors:
        return _new_page(request, values, errors)
    try:
        community = service.create_community(db, data=data, actor=principal)
    except DomainError as exc:
        return _new_page(request, values, _refused(exc, "code"))
    return _done(f"/communities/{community.id}", "created")


# --- meetings by their own id (before one community's routes) ------------------------------------------------------


def _meeting_page(
    request: Request,
    view: selectors.MeetingView,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    sent_statuses: dict[int, str] | None = None,
    knowledge_items: list[ItemRead] | None = None,
) -> Response:
    m = view.meeting
    current = {
        "title": m.title,
        "kind": m.kind,
        "date": m.date.isoformat(),
        "end_date": m.end_date.isoformat() if m.end_date else "",
        "starts_at": m.starts_at.strftime("%H:%M") if m.starts_at else "",
        "ends_at": m.ends_at.strftime("%H:%M") if m.ends_at else "",
        "place": m.place or "",
        "link": m.link or "",
        "agenda": m.agenda or "",
        "minutes": m.minutes or "",
        "products": m.products or "",
    }
    context = {
        "view": view,
        "values": {**current, **(values or {})},
        "kinds": list(MeetingKind),
        "statuses": STATUSES,
        "manages": view.access == Access.MANAGE,
        "sent_statuses": sent_statuses or {},
        "knowledge": knowledge_items,
    }
    return _render(request, "communities/meeting.html", context, errors)


@router.get("/communities/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(meeting_id: RecordId, request: Request, db: SessionDep, principal: PageReader) -> Response:
    """One meeting: its details, agenda, minutes and products; for whoever manages its community, the forms that
    change them and the attendance of every member on one screen."""
    view = selectors.meeting_view(db, meeting_id=meeting_id, actor=principal)
    if view.sees_roll:
        subject = f"/communities/meetings/{meeting_id}"
        record_list(db, actor=principal, subject=subject, official_ids=[r.official_id for r in view.roll])
    filed = knowledge.search(db, actor=principal, filters=knowledge.Filters(meeting_id=meeting_id), limit=100).items
    return _meeting_page(request, view, knowledge_items=filed)


_MEETING_FIELDS = (
    "title",
    "kind",
    "date",
    "end_date",
    "starts_at",
    "ends_at",
    "place",
    "link",
    "agenda",
    "minutes",
    "products",
)


@router.post("/communities/meetings/{meeting_id}", response_class=HTMLResponse)
async def save_meeting(meeting_id: RecordId, request: Request, db: SessionDep, principal: PageManager) -> Response:
    """Save the meeting's details, agenda, minutes and products (a field left empty is emptied)."""
    view = selectors.meeting_view(db, meeting_id=meeting_id, actor=principal)
    sent = await _form(request)
    values = {k: sent.get(k, "") for k in _MEETING_FIELDS}
    fields: dict[str, Any] = {k: (v or None) for k, v in values.items()}
    try:
        data = MeetingUpdate.model_validate(fields)
    except ValidationError as exc:
        return _meeting_page(request, view, values=values, errors=_errors(exc))
    try:
        service.update_meeting(db, meeting_id=meeting_id, data=data, actor=principal)
    except DomainError as exc:
        return _meeting_page(request, view, values=values, errors=_refused(exc, "title"))
    knowledge_service.file_minutes(db, meeting_id=meeting_id, actor=principal)
    return _done(f"/communities/meetings/{meeting_id}", "meeting_saved")


@router.post("/communities/meetings/{meeting_id}/cancel", response_class=HTMLResponse)
async def cancel_meeting(meeting_id: RecordId, request: Request, db: SessionDep, principal: PageManager) -> Response:
    """Cancel the meeting, with why; it stays listed as cancelled."""
    view = selectors.meeting_view(db, meeting_id=meeting_id, actor=principal)
    sent = await _form(request)
    data, errors = _validate(MeetingCancel, {"reason": sent.get("reason", "")})
    if not errors:
        try:
            service.cancel_meeting(db, meeting_id=meeting_id, data=data, actor=principal)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors = _refused(exc, "reason")
    if errors:
        keyed = [("reason", "cancel_reason" if k in ("reason", "reason_missing") else k) for _, k in errors]
        return _meeting_page(request, view, values={"reason": sent.get("reason", "")}, errors=keyed)
    return _done(f"/communities/meetings/{meeting_id}", "meeting_cancelled")


@router.post("/communities/meetings/{meeting_id}/attendance", response_class=HTMLResponse)
async def save_attendance(meeting_id: RecordId, request: Request, db: SessionDep, principal: PageManager) -> Response:
    """The whole screen at once (the form without the script): each row marked is written by the API's service;
    with "all present" everyone not marked is present. Nothing marked, or a status that is none: 422."""
    view = selectors.meeting_view(db, meeting_id=meeting_id, actor=principal)
    form = await request.form()
    all_present = bool(form.get("all_present"))
    records: list[MeetingAttendanceIn] = []
    errors: Errors = []
    sent_statuses: dict[int, str] = {}
    for row in view.roll:
        sent = form.get(f"status-{row.official_id}")
        value = sent if isinstance(sent, str) and sent else None
        if value is None and all_present and row.status is None:
            value = AttendanceStatus.PRESENT.value
        if value is None:
            continue
        if value not in STATUSES:
            errors.append((f"status-{row.official_id}", "status"))
            continue
        sent_statuses[row.official_id] = value
        fields: dict[str, Any] = {"official_id": row.official_id, "status": value}
        note = form.get(f"note-{row.official_id}")
        if isinstance(note, str) and (note.strip() or row.note):
            fields["note"] = note[:2000]
        records.append(MeetingAttendanceIn(**fields))
    if errors or not records:
        return _meeting_page(
            request, view, errors=errors or [("attendance", "attendance")], sent_statuses=sent_statuses
        )
    service.record_meeting_attendance(
        db, meeting_id=meeting_id, sheet=MeetingAttendanceSheet(records=records), actor=principal
    )
    return _done(f"/communities/meetings/{meeting_id}", "attendance_saved")


# --- one community -------------------------------------------------------------------------------------------------


@router.get("/communities/{community_id}", response_class=HTMLResponse)
def community_page(community_id: RecordId, request: Request, db: SessionDep, principal: PageReader) -> Response:
    """The community as the caller may see it (its public part for an official who is not a member)."""
    view = selectors.community_view(db, community_id=community_id, actor=principal, today=today())
    if view.members:
        subject = f"/communities/{community_id}"
        record_list(db, actor=principal, subject=subject, official_ids=[m.official_id for m in view.members])
    filed = knowledge.search(db, actor=principal, filters=knowledge.Filters(community_id=community_id), limit=10)
    context = {"view": view, "today": today(), "values": {}, "knowledge": filed}
    return _render(request, "communities/community.html", context)


_COMMUNITY_FIELDS = ("name_he", "name_en", "field", "description")


def _edit_page(
    request: Request, db: SessionDep, principal: Principal, community_id: int, values: dict[str, str], errors: Errors
) -> Response:
    community = selectors.read_community(db, community_id=community_id, actor=principal)
    service.require_access(db, community_id=community_id, actor=principal, needed=Access.MANAGE)
    current = {name: getattr(community, name) or "" for name in _COMMUNITY_FIELDS}
    context = {"community": community, "values": {**current, **values}}
    return _render(request, "communities/edit.html", context, errors)


@router.get("/communities/{community_id}/edit", response_class=HTMLResponse)
def edit_community_form(community_id: RecordId, request: Request, db: SessionDep, principal: PageManager) -> Response:
    """The form that changes a community's names, field and description: its coordinator, or an admin."""
    return _edit_page(request, db, principal, community_id, {}, [])


@router.post("/communities/{community_id}/edit", response_class=HTMLResponse)
async def edit_community(community_id: RecordId, request: Request, db: SessionDep, principal: PageManager) -> Response:
    """Save the community's names, field and description (a description left empty is removed); then its page."""
    sent = await _form(request)
    values = {k: sent.get(k, "") for k in _COMMUNITY_FIELDS}
    fields: dict[str, Any] = {k: (v or None) for k, v in values.items()}
    try:
        data = CommunityUpdate.model_validate(fields)
    except ValidationError as exc:
        errors = [(f, f"{f}_missing" if not values.get(f) else k) for f, k in _errors(exc)]
        return _edit_page(request, db, principal, community_id, values, errors)
    service.update_community(db, community_id=community_id, data=data, actor=principal)
    return _done(f"/communities/{community_id}", "community_saved")


@router.post("/communities/{community_id}/join", response_class=HTMLResponse)
async def ask_to_join(community_id: RecordId, request: Request, db: SessionDep, principal: PageJoiner) -> Response:
    """Ask to join the community, with a few words for its coordinator."""
    values = await _form(request)
    data, errors = _validate(JoinRequestCreate, {"message": values.get("message", "")})
    if errors:
        view = selectors.community_view(db, community_id=community_id, actor=principal, today=today())
        return _render(
            request, "communities/community.html", {"view": view, "today": today(), "values": values}, errors
        )
    try:
        service.request_to_join(db, community_id=community_id, message=data.message, actor=principal)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        view = selectors.community_view(db, community_id=community_id, actor=principal, today=today())
        return _render(
            request,
            "communities/community.html",
            {"view": view, "today": today(), "values": values},
            _refused(exc, "message"),
        )
    return _done(f"/communities/{community_id}", "requested")


@router.post("/communities/{community_id}/leave")
def leave(community_id: RecordId, db: SessionDep, principal: PageJoiner) -> Response:
    """Leave the community today (the membership stays in its history)."""
    assert principal.official_id is not None
    service.get_community(db, community_id=community_id)
    member = service.current_membership(db, community_id=community_id, official_id=principal.official_id)
    if member is None:
        return RedirectResponse(f"/communities/{community_id}", status_code=303)
    service.end_membership(db, community_id=community_id, member_id=member.id, actor=principal)
    return _done(f"/communities/{community_id}", "left")


# --- members -------------------------------------------------------------------------------------------------------


def _members_page(
    request: Request,
    db: SessionDep,
    principal: Principal,
    community_id: int,
    *,
    q: str = "",
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    found = selectors.find_officials(db, community_id=community_id, q=q, actor=principal)
    view = selectors.community_view(db, community_id=community_id, actor=principal, today=today())
    record_list(
        db,
        actor=principal,
        subject=f"/communities/{community_id}/members",
        official_ids=[m.official_id for m in view.members] + [o.id for o in found],
    )
    current = {m.official_id for m in view.current}
    context = {
        "view": view,
        "q": q,
        "found": [o for o in found if o.id not in current],
        "already": [o for o in found if o.id in current],
        "circles": list(Circle),
        "roles": list(CommunityRole),
        "values": values or {},
        "today": today(),
        "all_authorities": authority_names(db) if view.community.kind == CommunityKind.NETWORK else [],
    }
    return _render(request, "communities/members.html", context, errors)


@router.get("/communities/{community_id}/members", response_class=HTMLResponse)
def members_page(
    community_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageManager,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The members' management: find officials by name or ID number and add them; change a member's circle or
    role; end a membership; a network's authorities."""
    return _members_page(request, db, principal, community_id, q=q)


@router.post("/communities/{community_id}/members", response_class=HTMLResponse)
async def add_member(community_id: RecordId, request: Request, db: SessionDep, principal: PageManager) -> Response:
    """Add the official chosen, in the circle and role chosen."""
    values = await _form(request)
    fields = {k: values.get(k, "") for k in ("official_id", "circle", "role", "joined_on", "authority_code")}
    data, errors = _validate(MemberCreate, fields)
    if not errors:
        try:
            service.add_member(db, community_id=community_id, data=data, actor=principal)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors = _refused(exc, "official_id")
    if errors:
        return _members_page(request, db, principal, community_id, q=values.get("q", ""), values=values, errors=errors)
    return _done(f"/communities/{community_id}/members", "member_added")


@router.post("/communities/{community_id}/members/{member_id}", response_class=HTMLResponse)
async def change_member(
    community_id: RecordId, member_id: RecordId, request: Request, db: SessionDep, principal: PageManager
) -> Response:
    """Change a member's circle or role."""
    values = await _form(request)
    data, errors = _validate(MemberUpdate, {k: values.get(k, "") for k in ("circle", "role")})
    if not errors:
        try:
            service.change_member(db, community_id=community_id, member_id=member_id, data=data, actor=principal)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors = [(f"member-{member_id}", exc.code)]
    if errors:
        return _members_page(
            request, db, principal, community_id, errors=[(f"member-{member_id}", k) for _, k in errors]
        )
    return _done(f"/communities/{community_id}/members", "member_changed")


@router.post("/communities/{community_id}/members/{member_id}/end", response_class=HTMLResponse)
async def end_member(
    community_id: RecordId, member_id: RecordId, request: Request, db: SessionDep, principal: PageManager
) -> Response:
    """End a membership on the day given (today when none)."""
    values = await _form(request)
    data, errors = _validate(MembershipEnd, {"left_on": values.get("left_on", "")})
    if not errors:
        try:
            service.end_membership(
                db, community_id=community_id, member_id=member_id, left_on=data.left_on, actor=principal
            )
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors = [(f"member-{member_id}", exc.code)]
    if errors:
        return _members_page(
            request, db, principal, community_id, errors=[(f"member-{member_id}", k) for _, k in errors]
        )
    return _done(f"/communities/{community_id}/members", "member_ended")


@router.post("/communities/{community_id}/authorities", response_class=HTMLResponse)
async def add_authority(community_id: RecordId, request: Request, db: SessionDep, principal: PageManager) -> Response:
    """An authority joins the network."""
    values = await _form(request)
    data, errors = _validate(AuthorityLinkCreate, {"authority_code": values.get("authority_code", "")})
    if not errors:
        try:
            service.add_authority(db, community_id=community_id, data=data, actor=principal)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors = _refused(exc, "authority_code")
    if errors:
        return _members_page(request, db, principal, community_id, values=values, errors=errors)
    return _done(f"/communities/{community_id}/members", "authority_added")


@router.post("/communities/{community_id}/authorities/{link_id}/end", response_class=HTMLResponse)
def end_authority(community_id: RecordId, link_id: RecordId, db: SessionDep, principal: PageManager) -> Response:
    """An authority leaves the network today, and its team with it."""
    service.end_authority(db, community_id=community_id, link_id=link_id, actor=principal)
    return _done(f"/communities/{community_id}/members", "authority_ended")


# --- requests to join ----------------------------------------------------------------------------------------------


def _requests_page(
    request: Request, db: SessionDep, principal: Principal, community_id: int, errors: Errors | None = None
) -> Response:
    rows = selectors.list_join_requests(db, community_id=community_id, actor=principal)
    community = selectors.read_community(db, community_id=community_id, actor=principal)
    access = service.access_to(db, community_id=community_id, actor=principal)
    record_list(
        db, actor=principal, subject=f"/communities/{community_id}/requests", official_ids=[r.official_id for r in rows]
    )
    context = {"community": community, "rows": rows, "manages": access == Access.MANAGE, "circles": list(Circle)}
    return _render(request, "communities/requests.html", context, errors)


@router.get("/communities/{community_id}/requests", response_class=HTMLResponse)
def requests_page(community_id: RecordId, request: Request, db: SessionDep, principal: PageReader) -> Response:
    """The requests to join, waiting first, each with its decision."""
    return _requests_page(request, db, principal, community_id)


@router.post("/communities/{community_id}/requests/{join_request_id}", response_class=HTMLResponse)
async def decide(
    community_id: RecordId, join_request_id: RecordId, request: Request, db: SessionDep, principal: PageManager
) -> Response:
    """Accept the request (into the circle chosen) or refuse it with a reason."""
    values = await _form(request)
    decision = values.get("decision", "")
    fields = {
        "accept": {"accept": True, "refuse": False}.get(decision),
        **{k: values.get(k, "") for k in ("reason", "circle")},
    }
    data, errors = _validate(JoinRequestDecision, fields)
    if not errors:
        try:
            service.decide_join_request(
                db, community_id=community_id, join_request_id=join_request_id, data=data, actor=principal
            )
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors = [("form", exc.code)]
    if errors:
        keyed = [(f"request-{join_request_id}", "reason" if decision == "refuse" else k) for _, k in errors]
        return _requests_page(request, db, principal, community_id, keyed)
    return _done(f"/communities/{community_id}/requests", "accepted" if data.accept else "refused")


# --- a new meeting -------------------------------------------------------------------------------------------------


def _new_meeting_page(
    request: Request, db: SessionDep, principal: Principal, community_id: int, values: dict[str, str], errors: Errors
) -> Response:
    community = selectors.read_community(db, community_id=community_id, actor=principal)
    service.require_access(db, community_id=community_id, actor=principal, needed=Access.MANAGE)
    context = {"community": community, "values": values, "kinds": list(MeetingKind)}
    return _render(request, "communities/meeting_new.html", context, errors)


@router.get("/communities/{community_id}/meetings/new", response_class=HTMLResponse)
def new_meeting_form(community_id: RecordId, request: Request, db: SessionDep, principal: PageManager) -> Response:
    """The form of a new meeting."""
    return _new_meeting_page(request, db, principal, community_id, {"kind": MeetingKind.IN_PERSON}, [])


@router.post("/communities/{community_id}/meetings", response_class=HTMLResponse)
async def schedule_meeting(
    community_id: RecordId, request: Request, db: SessionDep, principal: PageManager
) -> Response:
    """Schedule the meeting; then its page."""
    values = await _form(request)
    fields = {k: values.get(k, "") for k in _MEETING_FIELDS if k not in ("minutes", "products")}
    data, errors = _validate(MeetingCreate, fields)
    if errors:
        return _new_meeting_page(request, db, principal, community_id, values, errors)
    meeting = service.schedule_meeting(db, community_id=community_id, data=data, actor=principal)
    return _done(f"/communities/meetings/{meeting.id}", "meeting_scheduled")
