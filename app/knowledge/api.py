"""JSON routes of the knowledge centre: the search, one item, a document's file (anyone, each seeing what the one
rule of visibility lets them: `rules.may_see`), and filing, changing and removing items (a community's coordinator
its community's, admins any; auditors and liaisons file nothing: 403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from app.auth import ADMIN, OFFICIAL, Principal
from app.config import get_settings
from app.errors import Invalid
from app.imports.service import read_limited
from app.knowledge import selectors, service
from app.knowledge.rules import ItemKind, Language, Visibility
from app.knowledge.schemas import DocumentCreate, ItemCreate, ItemRead, ItemUpdate
from app.web.deps import MaybeCaller, SessionDep, allow
from app.web.errors import responses
from app.web.exports import attachment
from app.web.pagination import Limit, Offset, Page, RecordId
from app.web.routing import Router

Filer = Annotated[Principal, allow(ADMIN, OFFICIAL)]

router = Router(prefix="/api/v1", tags=["knowledge"])


@router.get("/knowledge", response_model=Page[ItemRead], responses=responses(401, 422))
def search(
    db: SessionDep,
    actor: MaybeCaller,
    q: Annotated[str | None, Query(max_length=200, description="Words, each the start of a word of the item.")] = None,
    kind: ItemKind | None = None,
    community_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    field: Annotated[str | None, Query(max_length=200)] = None,
    role: Annotated[str | None, Query(max_length=60)] = None,
    language: Language | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ItemRead]:
    """Search the documents, links and notes the caller may see, newest first. Each word of `q` must begin some word
    of the item's titles, description, tags or text, in Hebrew or English, with or without niqqud, geresh or
    gershayim, final letters or not ("תכנ" finds "תכנון", "מנכ\\"ל" finds "מנכ״ל"). Anyone, signed in or not:
    anonymous callers see the public items, a community's members those of their circle, staff all."""
    filters = selectors.Filters(q=q, kind=kind, community_id=community_id, field=field, role=role, language=language)
    return selectors.search(db, actor=actor, filters=filters, limit=limit, offset=offset)


@router.post("/knowledge", status_code=201, response_model=ItemRead, responses=responses(401, 403, 422))
def file_item(data: ItemCreate, db: SessionDep, actor: Filer) -> ItemRead:
    """File a link (`url`) or a note (`body`), tagged and visible to the public, a community's wider circle or its
    core (those need `community_id`). A community's coordinator files its items; admins any, and those of no
    community."""
    item = service.file_item(db, data=data, actor=actor)
    return selectors.read_item(db, item_id=item.id, actor=actor)


@router.post("/knowledge/documents", status_code=201, response_model=ItemRead, responses=responses(401, 403, 413, 422))
def file_document(
    db: SessionDep,
    actor: Filer,
    file: Annotated[UploadFile, File(description="PDF, DOCX, XLSX, PPTX, ODT, PNG, JPEG, or plain text or CSV.")],
    title_he: Annotated[str, Form(max_length=300)],
    title_en: Annotated[str | None, Form(max_length=300)] = None,
    description: Annotated[str | None, Form(max_length=5000)] = None,
    language: Annotated[Language, Form()] = Language.HE,
    field: Annotated[str | None, Form(max_length=200)] = None,
    role_code: Annotated[str | None, Form(max_length=60)] = None,
    community_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
    meeting_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
    visibility: Annotated[Visibility, Form()] = Visibility.PUBLIC,
) -> ItemRead:
    """File a document (multipart): at most `LMS_KNOWLEDGE_MAX_BYTES` (20 MB by default; 413 past it), of a type
    its content shows, whatever its name says (422 naming `file`: a `.pdf` that is not a PDF is refused). Who may:
    as `POST /api/v1/knowledge`."""
    fields = {
        "title_he": title_he,
        "title_en": title_en or None,
        "description": description or None,
        "language": language,
        "field": field or None,
        "role_code": role_code or None,
        "community_id": community_id,
        "meeting_id": meeting_id,
        "visibility": visibility,
    }
    try:
        data = DocumentCreate.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = str(first["loc"][0]) if first["loc"] else str(first["msg"]).removeprefix("Value error, ").split(":")[0]
        raise Invalid(f"{where}: {first['msg']}", field=where) from exc
    content = read_limited(file.file, limit=get_settings().knowledge_max_bytes)
    item = service.file_document(db, data=data, content=content, filename=file.filename, actor=actor)
    return selectors.read_item(db, item_id=item.id, actor=actor)


@router.get("/knowledge/{item_id:int}", response_model=ItemRead, responses=responses(401, 404))
def get_item(item_id: RecordId, db: SessionDep, actor: MaybeCaller) -> ItemRead:
    """One item, for whoever may see it (404 for the others, as for none)."""
    return selectors.read_item(db, item_id=item_id, actor=actor)


@router.patch("/knowledge/{item_id:int}", response_model=ItemRead, responses=responses(401, 403, 404, 422))
def update_item(item_id: RecordId, data: ItemUpdate, db: SessionDep, actor: Filer) -> ItemRead:
    """Change an item's titles, description, tags, visibility, a link's address or a note's text: its community's
    coordinator, admins."""
    selectors.read_item(db, item_id=item_id, actor=actor)
    service.update_item(db, item_id=item_id, data=data, actor=actor)
    return selectors.read_item(db, item_id=item_id, actor=actor)


@router.delete("/knowledge/{item_id:int}", status_code=204, responses=responses(401, 403, 404))
def remove_item(item_id: RecordId, db: SessionDep, actor: Filer) -> Response:
    """Remove an item (and a document's file): its community's coordinator, admins. The audit trail keeps it."""
    selectors.read_item(db, item_id=item_id, actor=actor)
    service.remove_item(db, item_id=item_id, actor=actor)
    return Response(status_code=204)


@router.get(
    "/knowledge/{item_id:int}/file",
    response_class=Response,
    responses={**responses(401, 404), 200: {"content": {"application/octet-stream": {}}, "description": "The file"}},
)
def download(item_id: RecordId, db: SessionDep, actor: MaybeCaller) -> Response:
    """A document's file, with its media type and name, for whoever may see the document."""
    stored = selectors.read_file(db, item_id=item_id, actor=actor)
    headers = {"Content-Disposition": attachment(stored.name), "X-Content-Type-Options": "nosniff"}
    return Response(stored.content, media_type=stored.media_type, headers=headers)
