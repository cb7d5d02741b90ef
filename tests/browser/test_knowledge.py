"""The knowledge centre in a real browser, over a community seeded through the services: an anonymous visitor
searches in Hebrew (a prefix without niqqud finds a title with it) and sees only public items; the coordinator files a
document by the form (refused first with a file whose name lies about its content), finds it on the meeting's page
and downloads it; a core member finds the community's documents from its page. Every page checked by axe-core in both
languages and photographed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session

from app.auth import operator
from app.knowledge import service
from app.knowledge.schemas import ItemCreate
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _sign_in
from tests.communities.test_service import seed_community
from tests.factories import make_user
from tests.knowledge.factories import PDF

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    community_id: int
    meeting_id: int
    coordinator_email: str
    member_email: str


def _seed(database_url: str) -> Seeded:
    engine = create_engine(make_url(database_url))
    actor = operator("test")
    try:
        with Session(engine) as db, db.begin():
            s = seed_community(db, members=2, code="BRW-KNOW", actor=actor)
            items = (
                ("public", "תִּכְנוּן אסטרטגי ברשות", "Strategic planning in an authority"),
                ("public", "מדריך מנכ״ל חדש", None),
                ("core", "תכנית עבודה פנימית של הליבה", None),
            )
            for visibility, title, title_en in items:
                data = ItemCreate.model_validate(
                    {
                        "kind": "note",
                        "title_he": title,
                        "title_en": title_en,
                        "description": "סיכום קצר של מה שלמדנו",
                        "body": "הטקסט המלא",
                        "community_id": s.community.id,
                        "field": "חינוך",
                        "visibility": visibility,
                    }
                )
                service.file_item(db, data=data, actor=actor)
            coordinator = make_user(db, "official", official=s.coordinator, email="knowledge-coord@browser.example")
            member = make_user(db, "official", official=s.members[0], email="knowledge-member@browser.example")
            return Seeded(s.community.id, s.meeting.id, coordinator.email, member.email)
    finally:
        engine.dispose()


def test_search_in_hebrew_and_file_a_document(page, server, tmp_path: Path):
    seeded = _seed(server.database_url)

    # Anyone searches: a prefix without niqqud finds the title written with it; the core's item stays hidden.
    page.goto("/knowledge")
    expect(page.locator("[data-knowledge-item]")).to_have_count(2)
    page.fill("#q", "תכנ")
    _click(page, page.get_by_role("button", name="חיפוש"))
    results = page.locator("[data-knowledge-item]")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("תִּכְנוּן אסטרטגי ברשות")
    check_in_both_languages(page, "knowledge-search")
    page.fill("#q", 'מנכ"ל')
    _click(page, page.get_by_role("button", name="חיפוש"))
    expect(page.locator("[data-knowledge-item]")).to_have_count(1)

    # The coordinator files a document of the meeting: a text named .pdf is refused, then a real PDF is filed.
    page.goto("/login")
    _sign_in(page, seeded.coordinator_email)
    page.goto(f"/communities/meetings/{seeded.meeting_id}")
    _click(page, page.locator("[data-file-product]"))
    check_in_both_languages(page, "knowledge-new")
    fake = tmp_path / "מצגת.pdf"
    fake.write_bytes(b"this is not a PDF")
    page.fill("#title_he", "מצגת מפגש הפתיחה")
    page.set_input_files("#file", str(fake))
    _click(page, page.get_by_role("button", name="תיוק במרכז הידע"))
    expect(page.locator(".error-summary")).to_contain_text("סוג הקובץ אינו מותר")
    check_page(page, "knowledge-new-errors")
    real = tmp_path / "מצגת הפתיחה.pdf"
    real.write_bytes(PDF)
    page.set_input_files("#file", str(real))
    _click(page, page.get_by_role("button", name="תיוק במרכז הידע"))
    expect(page.locator(".notice--success")).to_contain_text("הפריט תויק במרכז הידע")
    expect(page.locator("h1")).to_have_text("מצגת מפגש הפתיחה")
    check_in_both_languages(page, "knowledge-item")
    with page.expect_download() as download:
        page.locator("a[data-download]").first.click()
    assert download.value.suggested_filename == "מצגת הפתיחה.pdf"
    page.goto(f"/communities/meetings/{seeded.meeting_id}")
    expect(page.locator("#products-heading ~ .knowledge-list [data-knowledge-item]")).to_have_count(1)
    _click(page, page.get_by_role("button", name="יציאה"))

    # A core member finds the community's documents from its page, the core's among them.
    page.goto("/login")
    _sign_in(page, seeded.member_email)
    page.goto(f"/communities/{seeded.community_id}")
    expect(page.locator("#knowledge ~ .knowledge-list [data-knowledge-item]")).to_have_count(4)
    check_page(page, "knowledge-community")
    _click(page, page.locator("[data-community-knowledge]"))
    expect(page.locator("[data-knowledge-item]")).to_have_count(4)
    check_in_both_languages(page, "knowledge-member")
