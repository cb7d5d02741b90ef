"""A community run in a real browser, over one seeded through the services (a coordinator and three core members,
one with a login): the coordinator finds an official by name and adds them, schedules a meeting for today and takes
its attendance by clicks ("all present", then the exception), kept after a reload; a member then sees the meeting on
their home, and a stranger sees only the community's public part. Every page checked by axe-core in both languages
and photographed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session

from app.auth import operator
from app.clock import today
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _sign_in
from tests.communities.test_service import seed_community
from tests.factories import make_appointment, make_official, make_user

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    community_id: int
    coordinator_email: str
    member_email: str
    stranger_email: str
    member_ids: list[int]  # the three core members
    newcomer: str  # the Hebrew name of an official who is no member yet
    newcomer_id: int


def _seed(database_url: str) -> Seeded:
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            s = seed_community(db, members=3, code="BRW-EDU", actor=operator("test"))
            newcomer = make_official(db, first_name_he="נגה", last_name_he="חדשני", first_name_en="Noga")
            make_appointment(db, newcomer, authority="0070", role="education_head")
            coordinator = make_user(db, "official", official=s.coordinator, email="coordinator@browser.example")
            member = make_user(db, "official", official=s.members[0], email="community-member@browser.example")
            stranger = make_user(db, "official", official=make_official(db), email="stranger@browser.example")
            return Seeded(
                community_id=s.community.id,
                coordinator_email=coordinator.email,
                member_email=member.email,
                stranger_email=stranger.email,
                member_ids=[o.id for o in s.members],
                newcomer=f"{newcomer.first_name_he} {newcomer.last_name_he}",
                newcomer_id=newcomer.id,
            )
    finally:
        engine.dispose()


def _row(page, official_id: int):
    return page.locator(f"tr[data-official-id='{official_id}']")


def _sign_out(page) -> None:
    _click(page, page.get_by_role("button", name="יציאה"))


def test_a_coordinator_adds_a_member_schedules_a_meeting_and_takes_attendance(page, server):
    seeded = _seed(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded.coordinator_email)

    # The communities, mine first; then the community's page.
    _click(page, page.locator("nav.site-nav").get_by_role("link", name="קהילות מקצועיות"))
    expect(page.locator("#mine")).to_be_visible()
    check_in_both_languages(page, "communities")
    _click(page, page.get_by_role("link", name="ראשי מחלקות חינוך").first)
    assert page.url.endswith(f"/communities/{seeded.community_id}")
    check_in_both_languages(page, "community")

    # A newcomer found by name and added to the core.
    _click(page, page.get_by_role("link", name="ניהול החברים"))
    page.fill("#q", "חדשני")
    _click(page, page.get_by_role("button", name="חיפוש"))
    candidate = page.locator("tr[data-candidate]", has_text=seeded.newcomer)
    expect(candidate).to_be_visible()
    check_in_both_languages(page, "community-members")
    _click(page, candidate.get_by_role("button", name=f"הוספה {seeded.newcomer}"))
    expect(page.locator(".notice--success")).to_contain_text("החבר/ה נוסף/ה לקהילה")
    expect(page.locator("tr[data-member-id]", has_text=seeded.newcomer)).to_have_attribute("data-circle", "core")

    # A meeting today, online: refused first without its subject, then scheduled.
    page.goto(f"/communities/{seeded.community_id}/meetings/new")
    check_in_both_languages(page, "community-meeting-new")
    page.select_option("#kind", "online")
    page.fill("#date", today().isoformat())
    _click(page, page.get_by_role("button", name="קביעת המפגש"))
    expect(page.locator(".error-summary")).to_contain_text("יש להזין נושא למפגש")
    check_page(page, "community-meeting-new-errors")
    page.fill("#title", "מפגש זום: תוכנית העבודה")
    page.fill("#starts_at", "16:00")
    page.fill("#ends_at", "17:30")
    page.fill("#link", "https://zoom.us/j/5568000111")
    _click(page, page.get_by_role("button", name="קביעת המפגש"))
    expect(page.locator("h1")).to_have_text("מפגש זום: תוכנית העבודה")

    # Attendance by clicks, each saved as clicked: everyone present, then the exception; kept after a reload.
    rows = page.locator("tr[data-official-id]")
    expect(rows).to_have_count(5)  # the coordinator, three members, and the newcomer
    page.get_by_role("button", name="כולם נוכחים").click()
    for i in range(5):
        expect(rows.nth(i).locator("[data-save-state]")).to_have_class("save-state save-state--saved")
    absent = _row(page, seeded.member_ids[1])
    absent.locator("label", has_text="נעדר/ת").click()
    expect(absent).to_have_attribute("data-attendance-status", "absent")
    expect(absent.locator("[data-save-state]")).to_have_class("save-state save-state--saved")
    check_in_both_languages(page, "community-meeting")
    page.reload()
    assert _row(page, seeded.member_ids[1]).locator("input[value=absent]").is_checked()
    assert _row(page, seeded.newcomer_id).locator("input[value=present]").is_checked()
    expect(page.locator("#attendance-count")).to_contain_text("5")
    _sign_out(page)

    # A member sees the meeting on their home, and its page without anyone's attendance.
    page.goto("/login")
    _sign_in(page, seeded.member_email)
    card = page.locator("[data-community-meeting]", has_text="מפגש זום: תוכנית העבודה")
    expect(card).to_be_visible()
    check_in_both_languages(page, "me-community-meeting")
    _click(page, card.get_by_role("link", name="מפגש זום: תוכנית העבודה"))
    expect(page.locator("tr[data-official-id]")).to_have_count(0)
    check_page(page, "community-meeting-member")
    _sign_out(page)

    # A stranger sees the public part only, and asks to join.
    page.goto("/login")
    _sign_in(page, seeded.stranger_email)
    page.goto(f"/communities/{seeded.community_id}")
    expect(page.locator("[data-coordinator]")).to_contain_text("מיכל רכזת")
    expect(page.locator("tr[data-member-id]")).to_have_count(0)
    page.fill("#message", "אשמח להצטרף")
    _click(page, page.get_by_role("button", name="בקשה להצטרף לקהילה"))
    expect(page.locator("[data-request-state=pending]")).to_be_visible()
    check_in_both_languages(page, "community-public")
