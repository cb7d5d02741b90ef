"""The knowledge centre's services and search, on SQLite and PostgreSQL alike: filing and who may, the Hebrew and
English prefix search with its filters and pages, each caller's view by visibility, and a meeting's minutes kept as
one note."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth import OFFICIAL, Principal
from app.communities import service as communities
from app.communities.schemas import MeetingUpdate
from app.errors import Forbidden, Invalid, TooLarge
from app.knowledge import selectors, service
from app.knowledge.models import KnowledgeFile, KnowledgeItem
from app.knowledge.schemas import DocumentCreate, ItemCreate, ItemUpdate
from tests.communities.test_service import as_official, seed_community
from tests.factories import ACTOR, make_official
from tests.knowledge.factories import PDF, note

ADMIN = ACTOR


def _titles(db: Session, q: str, **filters: object) -> list[str]:
    page = selectors.search(db, actor=ADMIN, filters=selectors.Filters(q=q, **filters))  # type: ignore[arg-type]
    return sorted(i.title_he for i in page.items)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("תכנ", ["תכנון עירוני"]),
        ('מנכ"ל', ["מדריך מנכ״ל", 'כנס מנכ"לים']),
        ("מנכ״ל", ["מדריך מנכ״ל", 'כנס מנכ"לים']),
        ("מנכל", ["מדריך מנכ״ל", 'כנס מנכ"לים']),
        ("שלום", ["שָׁלוֹם לקהילה"]),
        ("עיר", ["תכנון עירוני"]),  # not "ערים": only prefixes
        ("ערי", ["איגוד ערים"]),
        ("urban plan", ["Urban planning guide"]),
        ("PLANNING", ["Urban planning guide"]),
        ("תכנ עיר", ["תכנון עירוני"]),
        ("תכנ כפר", []),
    ],
)
def test_search_in_hebrew_and_english(db: Session, query: str, expected: list[str]) -> None:
    for title in ("תכנון עירוני", "מדריך מנכ״ל", 'כנס מנכ"לים', "שָׁלוֹם לקהילה", "איגוד ערים", "Urban planning guide"):
        service.file_item(db, data=note(None, "public", title), actor=ADMIN)
    marker = service.file_item(db, data=note(None, "public", "זזז"), actor=ADMIN)
    assert marker.id
    found = _titles(db, query)
    assert [t for t in found if t != "זזז"] == sorted(expected)


def test_search_reads_the_description_tags_and_text(db: Session) -> None:
    data = ItemCreate.model_validate(
        {
            "kind": "note",
            "title_he": "כותרת",
            "description": "תקציב השנה",
            "field": "כספים",
            "body": "פרוטוקול הישיבה",
            "language": "he",
        }
    )
    service.file_item(db, data=data, actor=ADMIN)
    for q in ("תקצ", "כספ", "פרוטו"):
        assert _titles(db, q) == ["כותרת"], q


def test_filters_and_pages(db: Session) -> None:
    s = seed_community(db, members=0)
    for n in range(5):
        data = ItemCreate.model_validate(
            {
                "kind": "link",
                "title_he": f"קישור {n}",
                "url": f"https://example.org/{n}",
                "community_id": s.community.id,
                "language": "en" if n % 2 else "he",
                "role_code": "treasurer" if n == 0 else None,
                "field": "חינוך",
            }
        )
        service.file_item(db, data=data, actor=ADMIN)
    service.file_item(db, data=note(None, "public", "קישור אחר"), actor=ADMIN)
    mine = selectors.Filters(q="קישור", community_id=s.community.id)
    page = selectors.search(db, actor=ADMIN, filters=mine, limit=2, offset=0)
    assert page.total == 5 and len(page.items) == 2
    assert page.items[0].title_he == "קישור 4"  # newest first
    assert selectors.search(db, actor=ADMIN, filters=mine, limit=2, offset=4).items[0].title_he == "קישור 0"
    assert _titles(db, "קישור", kind="note") == ["קישור אחר"]
    assert _titles(db, "קישור", language="en") == ["קישור 1", "קישור 3"]
    assert _titles(db, "", role="treasurer") == ["קישור 0"]
    assert len(_titles(db, "קישור", field="חינוך")) == 5


def test_each_caller_sees_what_their_circle_may(db: Session) -> None:
    from tests.knowledge.factories import make_library

    lib = make_library(db)
    cid = lib.seeded.community.id

    def seen(actor: object) -> set[str]:
        page = selectors.search(db, actor=actor, filters=selectors.Filters(community_id=cid))  # type: ignore[arg-type]
        return {i.visibility for i in page.items}

    stranger = as_official(make_official(db))
    assert seen(None) == {"public"}
    assert seen(stranger) == {"public"}
    wider_member = Principal(user_id=None, label="wider", role=OFFICIAL, official_id=lib.users["wider"].official_id)
    assert seen(wider_member) == {"public", "wider"}
    assert seen(as_official(lib.seeded.members[0])) == {"public", "wider", "core"}
    assert seen(as_official(lib.seeded.coordinator)) == {"public", "wider", "core"}
    assert seen(ACTOR) == {"public", "wider", "core"}


def test_who_files_what(db: Session) -> None:
    s = seed_community(db, members=1)
    other = seed_community(db, members=0)
    coordinator, member = as_official(s.coordinator), as_official(s.members[0])
    item = service.file_item(db, data=note(s.community.id, "core", "סיכום"), actor=coordinator)
    assert item.created_by_user_id is None and item.community_id == s.community.id
    with pytest.raises(Forbidden):
        service.file_item(db, data=note(s.community.id, "core", "סיכום"), actor=member)
    with pytest.raises(Forbidden):
        service.file_item(db, data=note(other.community.id, "public", "זר"), actor=coordinator)
    with pytest.raises(Forbidden):
        service.file_item(db, data=note(None, "public", "של בית הספר"), actor=coordinator)
    with pytest.raises(Forbidden):
        service.update_item(db, item_id=item.id, data=ItemUpdate(title_he="אחר"), actor=member)
    service.update_item(db, item_id=item.id, data=ItemUpdate(title_he="סיכום מתוקן"), actor=coordinator)
    assert " מתוקנ " in item.search_text
    with pytest.raises(Invalid) as refused:
        service.update_item(db, item_id=item.id, data=ItemUpdate(url="https://x.example"), actor=coordinator)
    assert refused.value.field == "url"
    service.remove_item(db, item_id=item.id, actor=coordinator)
    assert db.get(KnowledgeItem, item.id) is None
    actions = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity_type == "knowledge_item", AuditEvent.entity_id == str(item.id)
        )
    ).all()
    assert sorted(actions) == ["create", "delete", "update"]


def test_a_meeting_must_be_of_the_community(db: Session) -> None:
    s, other = seed_community(db, members=0), seed_community(db, members=0)
    data = DocumentCreate(title_he="תוצר", community_id=other.community.id, meeting_id=s.meeting.id)
    with pytest.raises(Invalid) as refused:
        service.file_document(db, data=data, content=PDF, filename="a.pdf", actor=ADMIN)
    assert refused.value.field == "meeting_id"
    alone = DocumentCreate(title_he="תוצר", meeting_id=s.meeting.id, visibility="core")
    item = service.file_document(db, data=alone, content=PDF, filename="a.pdf", actor=ADMIN)
    assert item.community_id == s.community.id


def test_documents_keep_their_bytes_apart_and_are_checked(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    data = DocumentCreate(title_he="דוח")
    item = service.file_document(db, data=data, content=PDF, filename="C:\\docs\\דוח שנתי.pdf", actor=ADMIN)
    assert (item.file_name, item.file_type, item.file_size) == ("דוח שנתי.pdf", "application/pdf", len(PDF))
    assert db.scalar(select(KnowledgeFile.content).where(KnowledgeFile.item_id == item.id)) == PDF
    stored = selectors.read_file(db, item_id=item.id, actor=None)
    assert (stored.name, stored.media_type, stored.content) == ("דוח שנתי.pdf", "application/pdf", PDF)
    with pytest.raises(Invalid) as refused:
        service.file_document(db, data=data, content=b"not a pdf at all", filename="fake.pdf", actor=ADMIN)
    assert (refused.value.field, refused.value.code) == ("file", "file_type")
    from app.config import get_settings

    monkeypatch.setattr(get_settings(), "knowledge_max_bytes", 10)
    with pytest.raises(TooLarge) as too_large:
        service.file_document(db, data=data, content=PDF, filename="a.pdf", actor=ADMIN)
    assert too_large.value.field == "file"


def test_minutes_are_filed_as_one_note_kept_in_step(db: Session) -> None:
    s = seed_community(db, members=1)
    coordinator = as_official(s.coordinator)
    mid = s.meeting.id

    def minutes_notes() -> list[KnowledgeItem]:
        stmt = select(KnowledgeItem).where(KnowledgeItem.meeting_id == mid, KnowledgeItem.is_minutes)
        return list(db.scalars(stmt))

    communities.update_meeting(db, meeting_id=mid, data=MeetingUpdate(minutes="דיברנו על תקציב"), actor=coordinator)
    first = service.file_minutes(db, meeting_id=mid, actor=coordinator)
    assert first is not None and first.visibility == "core" and first.body == "דיברנו על תקציב"
    service.update_item(db, item_id=first.id, data=ItemUpdate(visibility="wider"), actor=coordinator)
    communities.update_meeting(db, meeting_id=mid, data=MeetingUpdate(minutes="דיברנו על חינוך"), actor=coordinator)
    again = service.file_minutes(db, meeting_id=mid, actor=coordinator)
    assert again is not None and again.id == first.id
    assert [(n.body, n.visibility) for n in minutes_notes()] == [("דיברנו על חינוך", "wider")]
    assert _titles(db, "חינו", meeting_id=mid) == ["סיכום המפגש: מפגש פתיחה"]
    communities.update_meeting(db, meeting_id=mid, data=MeetingUpdate(minutes=None), actor=coordinator)
    assert service.file_minutes(db, meeting_id=mid, actor=coordinator) is None
    assert minutes_notes() == []
    assert db.scalar(select(func.count()).select_from(KnowledgeItem).where(KnowledgeItem.meeting_id == mid)) == 0
