"""The pages of the knowledge centre: `/knowledge` (the search, with its filters; public items for anyone, signed in
or not), `/knowledge/new` (file a document, a link or a note; a meeting's product from the meeting's page),
`/knowledge/{id}` (the item, with its change and removal for those who may) and `/knowledge/{id}/file` (the
download). The rules are the services' and selectors', as for the API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.auth import ADMIN, OFFICIAL, Principal
from app.communities.pages import _errors, _form
from app.config import get_settings
from app.errors import DomainError
from app.imports.service import read_limited
from app.knowledge import selectors, service
from app.knowledge.rules import FILE_TYPES, ItemKind, Language, Visibility
from app.knowledge.schemas import DocumentCreate, ItemCreate, ItemUpdate
from app.roles.selectors import role_names
from app.web.deps import MaybePageUser, SessionDep, page_allow
from app.web.exports import attachment
from app.web.pages import templates
from app.web.pagination import RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)

PageFiler = Annotated[Principal, page_allow(ADMIN, OFFICIAL)]
Errors = list[tuple[str, str]]
PAGE_SIZE = 20
DONE = frozenset({"filed", "saved", "removed"})
_FIELDS = ("title_he", "title_en", "description", "language", "field", "role_code", "community_id", "visibility")


def _render(request: Request, name: str, context: dict[str, Any], errors: Errors | None = None) -> Response:
    done = request.query_params.get("done")
    context = {"errors": errors or [], "done": done if done in DONE else None, **context}
    return templates.TemplateResponse(request, name, context, status_code=422 if errors else 200)


def _refused(exc: DomainError, default: str) -> Errors:
    if exc.status_code == 413:
        return [(exc.field or "file", "too_large")]
    return [(exc.field or default, exc.code if exc.code not in ("invalid", "forbidden") else exc.field or default)]


# --- the search --------------------------------------------------------------------------------------------------


@router.get("/knowledge", response_class=HTMLResponse)
def knowledge(
    request: Request,
    db: SessionDep,
    principal: MaybePageUser,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(max_length=20)] = "",
    community_id: Annotated[str, Query(max_length=10)] = "",
    field: Annotated[str, Query(max_length=200)] = "",
    role: Annotated[str, Query(max_length=60)] = "",
    language: Annotated[str, Query(max_length=2)] = "",
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> Response:
    """The search: words and filters (a filter left empty, or naming nothing known, is no filter), the items the
    caller may see, newest first, a page at a time."""
    filters = selectors.Filters(
        q=q,
        kind=ItemKind(kind) if kind in ItemKind.__members__.values() else None,
        community_id=int(community_id) if community_id.isdigit() and int(community_id) < 2**31 else None,
        field=field,
        role=role or None,
        language=language if language in Language.__members__.values() else None,
    )
    page = selectors.search(db, actor=principal, filters=filters, limit=PAGE_SIZE, offset=offset)
    chosen = {
        "q": q,
        "kind": filters.kind or "",
        "community_id": str(filters.community_id or ""),
        "field": field,
        "role": role,
        "language": filters.language or "",
    }
    base = "/knowledge?" + urlencode({k: v for k, v in chosen.items() if v})
    context = {
        "page": page,
        "values": chosen,
        "base": base.rstrip("?"),
        "offset": offset,
        "size": PAGE_SIZE,
        "communities": selectors.communities_with_items(db),
        "fields": selectors.fields_in_use(db),
        "roles": role_names(db),
        "may_file": principal is not None
        and bool(principal.role == ADMIN or selectors.filing_choices(db, actor=principal)),
    }
    return _render(request, "knowledge/list.html", context)


# --- filing ------------------------------------------------------------------------------------------------------


def _new_page(
    request: Request, db: SessionDep, principal: Principal, values: dict[str, str], errors: Errors
) -> Response:
    meeting = None
    if values.get("meeting_id", "").isdigit():
        meeting = selectors.meeting_named(db, meeting_id=int(values["meeting_id"]))
    context = {
        "values": values,
        "communities": selectors.filing_choices(db, actor=principal),
        "admin": principal.role == ADMIN,
        "roles": role_names(db),
        "kinds": list(ItemKind),
        "visibilities": list(Visibility),
        "types": ", ".join(name for name, _ in FILE_TYPES.values()),
        "limit_mb": get_settings().knowledge_max_bytes // (1024 * 1024),
        "meeting": meeting,
    }
    return _render(request, "knowledge/new.html", context, errors)


@router.get("/knowledge/new", response_class=HTMLResponse)
def new_item_form(
    request: Request,
    db: SessionDep,
    principal: PageFiler,
    community_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    meeting_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    kind: ItemKind = ItemKind.DOCUMENT,
) -> Response:
    """The form that files a document, a link or a note (a meeting's product when it names the meeting)."""
    values = {"kind": kind.value, "language": "he", "visibility": "core" if meeting_id else "public"}
    if community_id:
        values["community_id"] = str(community_id)
    if meeting_id:
        values["meeting_id"] = str(meeting_id)
    return _new_page(request, db, principal, values, [])


@router.post("/knowledge/new", response_class=HTMLResponse)
async def file_item(request: Request, db: SessionDep, principal: PageFiler) -> Response:
    """File the item; then its page. A refused form is shown again with each error at its field (422)."""
    values = await _form(request)
    form = await request.form()
    fields: dict[str, Any] = {k: values[k] for k in (*_FIELDS, "meeting_id") if values.get(k)}
    kind = values.get("kind", "")
    try:
        if kind == ItemKind.DOCUMENT:
            data: Any = DocumentCreate.model_validate(fields)
            upload = form.get("file")
            if upload is None or isinstance(upload, str) or not upload.filename:
                return _new_page(request, db, principal, values, [("file", "file_missing")])
            content = read_limited(upload.file, limit=get_settings().knowledge_max_bytes)
            item = service.file_document(db, data=data, content=content, filename=upload.filename, actor=principal)
        else:
            extra = {k: values[k] for k in ("url", "body") if values.get(k)}
            data = ItemCreate.model_validate({**fields, **extra, "kind": kind or None})
            item = service.file_item(db, data=data, actor=principal)
    except ValidationError as exc:
        return _new_page(request, db, principal, values, _errors(exc))
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        return _new_page(request, db, principal, values, _refused(exc, "title_he"))
    return RedirectResponse(f"/knowledge/{item.id}?done=filed", status_code=303)


# --- one item ----------------------------------------------------------------------------------------------------


def _item_page(
    request: Request,
    db: SessionDep,
    principal: Principal | None,
    item_id: int,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    item = selectors.read_item(db, item_id=item_id, actor=principal)
    current = {
        k: str(getattr(item, k) or "")
        for k in ("title_he", "title_en", "description", "language", "field", "role_code", "visibility", "url", "body")
    }
    context = {
        "item": item,
        "values": {**current, **(values or {})},
        "roles": role_names(db),
        "visibilities": list(Visibility),
        "role_names": {code: (he, en) for code, he, en in role_names(db)},
    }
    return _render(request, "knowledge/item.html", context, errors)


@router.get("/knowledge/{item_id}", response_class=HTMLResponse)
def item_page(item_id: RecordId, request: Request, db: SessionDep, principal: MaybePageUser) -> Response:
    """One item: what it is, where it belongs, its text or link or file; its change and removal for those who may."""
    return _item_page(request, db, principal, item_id)


@router.post("/knowledge/{item_id}", response_class=HTMLResponse)
async def save_item(item_id: RecordId, request: Request, db: SessionDep, principal: PageFiler) -> Response:
    """Save a change to the item (a field left empty is emptied; the Hebrew title is required)."""
    item = selectors.read_item(db, item_id=item_id, actor=principal)
    values = await _form(request)
    names = ["title_he", "title_en", "description", "language", "field", "role_code", "visibility"]
    if item.kind == ItemKind.LINK:
        names.append("url")
    if item.kind == ItemKind.NOTE:
        names.append("body")
    try:
        data = ItemUpdate.model_validate({k: values.get(k) or None for k in names})
        service.update_item(db, item_id=item_id, data=data, actor=principal)
    except ValidationError as exc:
        return _item_page(request, db, principal, item_id, values, _errors(exc))
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        return _item_page(request, db, principal, item_id, values, _refused(exc, "title_he"))
    return RedirectResponse(f"/knowledge/{item_id}?done=saved", status_code=303)


@router.post("/knowledge/{item_id}/remove", response_class=HTMLResponse)
async def remove_item(item_id: RecordId, request: Request, db: SessionDep, principal: PageFiler) -> Response:
    """Remove the item, once the box that says so is ticked; then the search."""
    selectors.read_item(db, item_id=item_id, actor=principal)
    values = await _form(request)
    if values.get("confirm") != "yes":
        return _item_page(request, db, principal, item_id, errors=[("confirm", "confirm")])
    service.remove_item(db, item_id=item_id, actor=principal)
    return RedirectResponse("/knowledge?done=removed", status_code=303)


@router.get("/knowledge/{item_id}/file")
def download(item_id: RecordId, db: SessionDep, principal: MaybePageUser) -> Response:
    """A document's file, under its own name, for whoever may see the document."""
    stored = selectors.read_file(db, item_id=item_id, actor=principal)
    headers = {"Content-Disposition": attachment(stored.name), "X-Content-Type-Options": "nosniff"}
    return Response(stored.content, media_type=stored.media_type, headers=headers)
