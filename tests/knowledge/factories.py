"""A community with people of every standing towards its items, and items of every visibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.communities import service as communities
from app.communities.schemas import MemberCreate
from app.knowledge import service
from app.knowledge.models import KnowledgeItem
from app.knowledge.schemas import DocumentCreate, ItemCreate
from tests.communities.test_service import Seeded, seed_community
from tests.factories import ACTOR, make_official, make_user

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class Library:
    """`seeded`'s community: a public, a wider and a core item of it, and a public item of no community; accounts
    of each standing (keys of `users`: admin, auditor, liaison, outsider, wider, core, coordinator)."""

    seeded: Seeded
    users: dict[str, User]
    public: KnowledgeItem
    wider: KnowledgeItem
    core: KnowledgeItem
    school: KnowledgeItem
    document: KnowledgeItem  # a core document of the community


def note(community_id: int | None, visibility: str, title: str, body: str = "טקסט") -> ItemCreate:
    return ItemCreate.model_validate(
        {"kind": "note", "title_he": title, "body": body, "community_id": community_id, "visibility": visibility}
    )


def make_library(db: Session) -> Library:
    s = seed_community(db, members=1)
    cid = s.community.id
    wider = make_official(db)
    communities.add_member(
        db,
        community_id=cid,
        data=MemberCreate(official_id=wider.id, circle="wider", joined_on=date(2025, 1, 1)),
        actor=ACTOR,
    )
    users = {
        "admin": make_user(db, "admin"),
        "auditor": make_user(db, "auditor"),
        "liaison": make_user(db, "liaison", authority="0031"),
        "outsider": make_user(db, "official", official=make_official(db)),
        "wider": make_user(db, "official", official=wider),
        "core": make_user(db, "official", official=s.members[0]),
        "coordinator": make_user(db, "official", official=s.coordinator),
    }
    items = {
        v: service.file_item(db, data=note(cid, v, f"מסמך {v} תכנון עירוני"), actor=ACTOR)
        for v in ("public", "wider", "core")
    }
    school = service.file_item(db, data=note(None, "public", "מדריך מנכ״ל חדש"), actor=ACTOR)
    document = service.file_document(
        db,
        data=DocumentCreate(title_he="תוכנית עבודה", community_id=cid, visibility="core"),
        content=PDF,
        filename="תוכנית עבודה.pdf",
        actor=ACTOR,
    )
    return Library(seeded=s, users=users, school=school, document=document, **items)
