"""Reading the knowledge centre: the search (word prefixes in the one normal form, filters, pages), one item, a
document's file, each scoped by the one rule of who sees an item (`rules.may_see`, as `visible_levels` in SQL)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app.auth import ADMIN, OFFICIAL, Principal
from app.communities import selectors as communities
from app.communities.models import Community, CommunityMeeting
from app.communities.rules import Access, access_of
from app.errors import NotFound
from app.knowledge.models import KnowledgeFile, KnowledgeItem
from app.knowledge.rules import ItemKind, Visibility, query_words, sees_everything, visible_levels
from app.knowledge.schemas import ItemRead
from app.schemas import Page


@dataclass(frozen=True)
class Standing:
    """The caller's standing towards items: whether staff, and their (circle, role) in each community."""

    role: str | None
    staff: bool
    circles: dict[int, tuple[str, str]]

    def manages(self, community_id: int | None) -> bool:
        """Whether the caller files and changes the items of the community: admins, and its coordinator (as
        `communities.rules.access_of` says); those of no community, admins only."""
        if self.role is None:
            return False
        if community_id is None:
            return self.role == ADMIN
        community_role = self.circles.get(community_id, (None, None))[1]
        return access_of(self.role, community_role) == Access.MANAGE


def standing_of(db: Session, actor: Principal | None) -> Standing:
    """The caller's standing (one query for an official's memberships)."""
    role = actor.role if actor is not None else None
    circles: dict[int, tuple[str, str]] = {}
    if actor is not None and actor.role == OFFICIAL and actor.official_id is not None:
        circles = communities.circles_of(db, official_id=actor.official_id)
    return Standing(role=role, staff=sees_everything(role), circles=circles)


def visible(standing: Standing) -> ColumnElement[bool] | None:
    """The SQL of `rules.may_see` for every item at once: None (no condition) for staff; else the public items, and
    those of each of the caller's communities whose visibility their circle and role there sees."""
    if standing.staff:
        return None
    conditions: list[ColumnElement[bool]] = [KnowledgeItem.visibility == Visibility.PUBLIC]
    by_levels: dict[frozenset[Visibility], list[int]] = {}
    for community_id, (circle, role) in standing.circles.items():
        levels = visible_levels(circle, role) - {Visibility.PUBLIC}
        if levels:
            by_levels.setdefault(levels, []).append(community_id)
    for levels, ids in sorted(by_levels.items(), key=lambda kv: sorted(kv[0])):
        conditions.append(
            and_(KnowledgeItem.community_id.in_(sorted(ids)), KnowledgeItem.visibility.in_(sorted(levels)))
        )
    return or_(*conditions)


@dataclass(frozen=True)
class Filters:
    """What a search asks: words (prefixes of the items' words) and tags."""

    q: str | None = None
    kind: ItemKind | None = None
    community_id: int | None = None
    meeting_id: int | None = None
    field: str | None = None
    role: str | None = None
    language: str | None = None


def _conditions(filters: Filters, standing: Standing) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    scope = visible(standing)
    if scope is not None:
        out.append(scope)
    for word in query_words(filters.q):
        # Normalised words hold letters and digits only: nothing to escape for LIKE.
        out.append(KnowledgeItem.search_text.like(f"% {word}%"))
    if filters.kind is not None:
        out.append(KnowledgeItem.kind == filters.kind)
    if filters.community_id is not None:
        out.append(KnowledgeItem.community_id == filters.community_id)
    if filters.meeting_id is not None:
        out.append(KnowledgeItem.meeting_id == filters.meeting_id)
    if filters.field:
        out.append(func.lower(KnowledgeItem.field) == filters.field.strip().lower())
    if filters.role:
        out.append(KnowledgeItem.role_code == filters.role)
    if filters.language:
        out.append(KnowledgeItem.language == filters.language)
    return out


def _rows(db: Session, stmt: object, standing: Standing) -> list[ItemRead]:
    out = []
    for item, he, en, meeting in db.execute(stmt):  # type: ignore[call-overload]
        read = ItemRead.model_validate(item, from_attributes=True)
        out.append(
            read.model_copy(
                update={
                    "community_he": he,
                    "community_en": en,
                    "meeting_title": meeting,
                    "may_edit": standing.manages(item.community_id),
                }
            )
        )
    return out


def _query() -> object:
    return (
        select(KnowledgeItem, Community.name_he, Community.name_en, CommunityMeeting.title)
        .outerjoin(Community, Community.id == KnowledgeItem.community_id)
        .outerjoin(CommunityMeeting, CommunityMeeting.id == KnowledgeItem.meeting_id)
    )


def search(
    db: Session, *, actor: Principal | None, filters: Filters, limit: int = 50, offset: int = 0
) -> Page[ItemRead]:
    """The items the caller may see that match the words and tags, newest first, a page at a time (two queries)."""
    standing = standing_of(db, actor)
    conditions = _conditions(filters, standing)
    total = db.scalar(select(func.count()).select_from(KnowledgeItem).where(*conditions)) or 0
    stmt = (
        _query()
        .where(*conditions)  # type: ignore[attr-defined]
        .order_by(KnowledgeItem.created_at.desc(), KnowledgeItem.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return Page(items=_rows(db, stmt, standing), total=total)


def read_item(db: Session, *, item_id: int, actor: Principal | None) -> ItemRead:
    """One item the caller may see; 404 when there is none or it is not for them."""
    standing = standing_of(db, actor)
    scope = visible(standing)
    stmt = _query().where(KnowledgeItem.id == item_id)  # type: ignore[attr-defined]
    if scope is not None:
        stmt = stmt.where(scope)
    rows = _rows(db, stmt, standing)
    if not rows:
        raise NotFound(f"no item of the knowledge centre with id {item_id}")
    return rows[0]


@dataclass(frozen=True)
class StoredFile:
    """A document's file: its name, media type and bytes."""

    name: str
    media_type: str
    content: bytes


def read_file(db: Session, *, item_id: int, actor: Principal | None) -> StoredFile:
    """A document's file, for whoever may see the document; 404 otherwise (and for a link or a note)."""
    item = read_item(db, item_id=item_id, actor=actor)
    content = db.scalar(select(KnowledgeFile.content).where(KnowledgeFile.item_id == item_id))
    if item.kind != ItemKind.DOCUMENT or content is None or item.file_name is None or item.file_type is None:
        raise NotFound(f"item {item_id} of the knowledge centre has no file")
    return StoredFile(name=item.file_name, media_type=item.file_type, content=content)


def fields_in_use(db: Session) -> list[str]:
    """The fields items are tagged with, for the search's filter."""
    stmt = select(KnowledgeItem.field).where(KnowledgeItem.field.is_not(None)).distinct().order_by(KnowledgeItem.field)
    return [f for f in db.scalars(stmt) if f]


@dataclass(frozen=True)
class CommunityChoice:
    """A community to choose in a form: its id and names."""

    id: int
    name_he: str
    name_en: str


def _communities(db: Session, where: ColumnElement[bool] | None = None) -> list[CommunityChoice]:
    stmt = select(Community.id, Community.name_he, Community.name_en).order_by(Community.name_he, Community.id)
    if where is not None:
        stmt = stmt.where(where)
    return [CommunityChoice(id=i, name_he=he, name_en=en) for i, he, en in db.execute(stmt)]


def communities_with_items(db: Session) -> list[CommunityChoice]:
    """The communities that have items, for the search's filter (their names are public)."""
    return _communities(db, Community.id.in_(select(KnowledgeItem.community_id).distinct()))


def filing_choices(db: Session, *, actor: Principal) -> list[CommunityChoice]:
    """The communities whose items the caller files: every one for an admin, the one they coordinate for an
    official."""
    standing = standing_of(db, actor)
    if standing.role == ADMIN:
        return _communities(db)
    managed = [cid for cid in standing.circles if standing.manages(cid)]
    return _communities(db, Community.id.in_(managed)) if managed else []


@dataclass(frozen=True)
class MeetingNamed:
    """A meeting named by a form: its title, date and community."""

    id: int
    title: str
    community_id: int


def meeting_named(db: Session, *, meeting_id: int) -> MeetingNamed | None:
    """The meeting a form files a product of, if there is one."""
    row = db.execute(
        select(CommunityMeeting.id, CommunityMeeting.title, CommunityMeeting.community_id).where(
            CommunityMeeting.id == meeting_id
        )
    ).first()
    return MeetingNamed(id=row[0], title=row[1], community_id=row[2]) if row else None
