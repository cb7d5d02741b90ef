"""Use cases of the knowledge centre: filing a link, a note or a document (its size limited and its type told by its
content), changing and removing an item, and keeping a meeting's minutes filed as one note of that meeting. Whoever
manages an item's community (its coordinator, admins: `communities.rules.access_of`) files and changes its items;
only admins file items of no community."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.audit.service import add_and_record, record_change, record_event, snapshot
from app.auth import ADMIN, Principal
from app.clock import now_utc
from app.communities import selectors as communities
from app.communities import service as community_service
from app.config import get_settings
from app.errors import Forbidden, Invalid, NotFound, TooLarge
from app.knowledge.models import KnowledgeFile, KnowledgeItem
from app.knowledge.rules import ItemKind, Language, Visibility, file_type, search_text, visibility_problem
from app.knowledge.schemas import DocumentCreate, ItemCreate, ItemFields, ItemUpdate
from app.roles.service import require_role

ENTITY = "knowledge_item"
# What the audit trail keeps of an item: not its derived search text.
_NOT_AUDITED = ("search_text",)


def get_item(db: Session, *, item_id: int) -> KnowledgeItem:
    """One item; 404 when there is none."""
    item = db.get(KnowledgeItem, item_id)
    if item is None:
        raise NotFound(f"no item of the knowledge centre with id {item_id}")
    return item


def may_edit(db: Session, *, community_id: int | None, actor: Principal | None) -> bool:
    """Whether the caller files and changes items of the community (or of none, with None): admins always, the
    community's coordinator its own."""
    if actor is None:
        return False
    if actor.role == ADMIN:
        return True
    return community_id is not None and communities.may_manage(db, community_id=community_id, actor=actor)


def _require_editor(db: Session, *, community_id: int | None, actor: Principal) -> None:
    if not may_edit(db, community_id=community_id, actor=actor):
        if community_id is None:
            raise Forbidden("only an admin files an item of no community")
        raise Forbidden(f"only the coordinator of community {community_id} or an admin files and changes its items")


def _where(db: Session, data: ItemFields) -> tuple[int | None, int | None]:
    """The item's community and meeting, checked: the community exists, the meeting is one of its (a meeting alone
    names its community)."""
    community_id, meeting_id = data.community_id, data.meeting_id
    if meeting_id is not None:
        try:
            meeting = community_service.get_meeting(db, meeting_id=meeting_id)
        except NotFound as exc:
            raise Invalid(f"meeting_id: {exc.detail}", field="meeting_id") from exc
        if community_id is not None and community_id != meeting.community_id:
            raise Invalid(f"meeting_id: meeting {meeting_id} is not of community {community_id}", field="meeting_id")
        community_id = meeting.community_id
    elif community_id is not None and not communities.community_exists(db, community_id=community_id):
        raise Invalid(f"community_id: no community with id {community_id}", field="community_id")
    return community_id, meeting_id


def _searchable(item: KnowledgeItem) -> str:
    return search_text(item.title_he, item.title_en, item.description, item.field, item.role_code, item.body)


def _new_item(db: Session, data: ItemFields, actor: Principal, **content: Any) -> KnowledgeItem:
    community_id, meeting_id = _where(db, data)
    _require_editor(db, community_id=community_id, actor=actor)
    if data.role_code is not None:
        require_role(db, code=data.role_code)
    fields = data.model_dump(exclude={"kind", "url", "body", "community_id", "meeting_id"})
    now = now_utc()
    item = KnowledgeItem(
        **fields,
        community_id=community_id,
        meeting_id=meeting_id,
        is_minutes=False,
        created_by_user_id=actor.user_id,
        created_at=now,
        updated_at=now,
        **content,
    )
    item.search_text = _searchable(item)
    add_and_record(db, item, actor=actor, entity_type=ENTITY, exclude=_NOT_AUDITED)
    return item


def file_item(db: Session, *, data: ItemCreate, actor: Principal) -> KnowledgeItem:
    """File a link or a note."""
    return _new_item(db, data, actor, kind=data.kind, url=data.url, body=data.body)


def file_document(
    db: Session, *, data: DocumentCreate, content: bytes, filename: str | None, actor: Principal
) -> KnowledgeItem:
    """File a document: at most LMS_KNOWLEDGE_MAX_BYTES (413), of a type its content shows (422 naming `file`)."""
    limit = get_settings().knowledge_max_bytes
    if len(content) > limit:
        raise TooLarge(f"file: the file is larger than the limit of {limit} bytes", field="file")
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
    if not name:
        raise Invalid("file: choose a file to file", field="file")
    try:
        mime = file_type(content, name)
    except ValueError as exc:
        raise Invalid(f"file: {exc}", field="file", code="file_type") from exc
    item = _new_item(db, data, actor, kind=ItemKind.DOCUMENT, file_name=name, file_type=mime, file_size=len(content))
    db.add(KnowledgeFile(item_id=item.id, content=content))
    return item


def update_item(db: Session, *, item_id: int, data: ItemUpdate, actor: Principal) -> KnowledgeItem:
    """Change an item's fields (its community's coordinator, admins)."""
    item = get_item(db, item_id=item_id)
    _require_editor(db, community_id=item.community_id, actor=actor)
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    if "title_he" in changes and changes["title_he"] is None:
        raise Invalid("title_he: must not be blank", field="title_he")
    if changes.get("role_code") is not None:
        require_role(db, code=changes["role_code"])
    for name in ("language", "visibility"):
        if name in changes and changes[name] is None:
            del changes[name]
    if "visibility" in changes and (why := visibility_problem(changes["visibility"], item.community_id)):
        raise Invalid(f"visibility: {why}", field="visibility")
    if "url" in changes and item.kind != ItemKind.LINK:
        raise Invalid("url: only a link has an address", field="url")
    if "body" in changes and item.kind != ItemKind.NOTE:
        raise Invalid("body: only a note has a text", field="body")
    if item.kind == ItemKind.LINK and "url" in changes and changes["url"] is None:
        raise Invalid("url: a link needs its address (https://...)", field="url")
    if item.kind == ItemKind.NOTE and "body" in changes and changes["body"] is None:
        raise Invalid("body: a note needs its text", field="body")
    before = snapshot(item, exclude=_NOT_AUDITED)
    for name, value in changes.items():
        setattr(item, name, value)
    item.search_text = _searchable(item)
    if snapshot(item, exclude=_NOT_AUDITED) != before:
        item.updated_at = now_utc()
        record_change(db, item, before=before, actor=actor, entity_type=ENTITY, exclude=(*_NOT_AUDITED, "updated_at"))
    return item


def remove_item(db: Session, *, item_id: int, actor: Principal) -> None:
    """Remove an item and its file (its community's coordinator, admins); the trail keeps what it was."""
    item = get_item(db, item_id=item_id)
    _require_editor(db, community_id=item.community_id, actor=actor)
    before = snapshot(item, exclude=_NOT_AUDITED)
    db.execute(delete(KnowledgeFile).where(KnowledgeFile.item_id == item_id))
    db.delete(item)
    db.flush()
    record_event(db, actor=actor, action="delete", entity_type=ENTITY, entity_id=item_id, before=before)


def file_minutes(db: Session, *, meeting_id: int, actor: Principal) -> KnowledgeItem | None:
    """Keep a meeting's minutes filed as one note of that meeting (core members only, unless changed since): made
    when minutes are first written, its text kept in step with them, removed when they are emptied. Called by the
    routes that save a meeting, after communities' service has written the minutes."""
    meeting = community_service.get_meeting(db, meeting_id=meeting_id)
    _require_editor(db, community_id=meeting.community_id, actor=actor)
    note = db.scalar(select(KnowledgeItem).where(KnowledgeItem.meeting_id == meeting_id, KnowledgeItem.is_minutes))
    if not meeting.minutes:
        if note is not None:
            remove_item(db, item_id=note.id, actor=actor)
        return None
    community = community_service.get_community(db, community_id=meeting.community_id)
    title_he, title_en = f"סיכום המפגש: {meeting.title}", f"Minutes: {meeting.title}"
    if note is None:
        now = now_utc()
        note = KnowledgeItem(
            kind=ItemKind.NOTE,
            title_he=title_he[:300],
            title_en=title_en[:300],
            language=Language.HE,
            field=community.field,
            community_id=meeting.community_id,
            meeting_id=meeting_id,
            visibility=Visibility.CORE,
            body=meeting.minutes,
            is_minutes=True,
            created_by_user_id=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        note.search_text = _searchable(note)
        add_and_record(db, note, actor=actor, entity_type=ENTITY, exclude=_NOT_AUDITED)
        return note
    before = snapshot(note, exclude=_NOT_AUDITED)
    note.title_he, note.title_en, note.body = title_he[:300], title_en[:300], meeting.minutes
    note.search_text = _searchable(note)
    if snapshot(note, exclude=_NOT_AUDITED) != before:
        note.updated_at = now_utc()
        record_change(db, note, before=before, actor=actor, entity_type=ENTITY, exclude=(*_NOT_AUDITED, "updated_at"))
    return note
