"""A community's surveys run by its coordinator in a real browser, over a community seeded through the services: from
the community's page to its surveys, a new survey for the community (refused first, then made), sent to the core
circle by mail (the links shown once), the short survey after each meeting turned on; one link answered without
signing in, a member answering from their home; then the report, as the coordinator. Every page checked by axe-core
in both languages and photographed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session

from app.auth import operator
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _sign_in
from tests.communities.test_service import seed_community
from tests.factories import make_user

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    community_id: int
    coordinator_email: str
    member_email: str


def _seed(database_url: str) -> Seeded:
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            s = seed_community(db, members=3, code="BRW-SURVEYS", actor=operator("test"))
            for n, o in enumerate(s.members):
                o.email = f"surveyed{n}@browser.example"
            coordinator = make_user(db, "official", official=s.coordinator, email="survey-coordinator@browser.example")
            member = make_user(db, "official", official=s.members[0], email="survey-member@browser.example")
            return Seeded(community_id=s.community.id, coordinator_email=coordinator.email, member_email=member.email)
    finally:
        engine.dispose()


def _sign_out(page) -> None:
    _click(page, page.get_by_role("button", name="יציאה"))


def test_a_coordinator_runs_a_survey_of_the_community_and_members_answer(page, server):
    seeded = _seed(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded.coordinator_email)

    # From the community's page to its surveys.
    page.goto(f"/communities/{seeded.community_id}")
    _click(page, page.get_by_test_id("community-surveys"))
    expect(page.locator("[data-after-meeting=off]")).to_be_visible()
    check_in_both_languages(page, "community-surveys")

    # The short survey after each meeting, turned on.
    page.locator("#enabled-true").check()
    _click(page, page.get_by_role("button", name="שמירת ההגדרה"))
    expect(page.locator("[data-after-meeting=on]")).to_be_visible()

    # A new survey for the community: refused without its questions, then made.
    _click(page, page.get_by_test_id("new-community-survey"))
    expect(page.locator(f"[data-community='{seeded.community_id}']")).to_be_visible()
    page.fill("#series_code", "brw-trust")
    page.fill("#wave", "תחילת הדרך")
    page.fill("#wave_order", "1")
    page.fill("#title_he", "אמון בקהילה")
    page.fill("#title_en", "Trust in the community")
    _click(page, page.locator("main button[type=submit]"))
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page, "community-survey-new-refused")
    page.fill("#items-0-code", "trust1")
    page.select_option("#items-0-kind", "scale5")
    page.fill("#items-0-text_he", "אני סומך/ת על חברי הקהילה")
    page.fill("#items-0-text_en", "I trust the members of the community")
    _click(page, page.locator("main button[type=submit]"))
    expect(page.locator("h1")).to_have_text("אמון בקהילה")
    check_in_both_languages(page, "community-survey")

    # Sent to the core circle: the coordinator and three members, each a link by mail, shown here once.
    _click(page, page.get_by_role("button", name="שליחת הסקר לחברים"))
    expect(page.locator("[data-sent='4']")).to_be_visible()
    links = page.locator("[data-link]")
    expect(links).to_have_count(4)
    link = links.nth(3).inner_text()
    check_page(page, "community-survey-sent")
    _sign_out(page)

    # One link answered without signing in.
    page.goto(link)
    page.locator("#q-trust1-5").check()
    _click(page, page.locator("button[type=submit]"))
    expect(page.locator("[data-answered=true]")).to_be_visible()

    # A member answers from their home.
    page.goto("/login")
    _sign_in(page, seeded.member_email)
    waiting = page.locator("[data-waiting-survey]")
    expect(waiting).to_have_count(1)
    check_in_both_languages(page, "me-survey-waiting")
    _click(page, waiting.get_by_role("button"))
    page.locator("#q-trust1-4").check()
    _click(page, page.locator("button[type=submit]"))
    expect(page.locator("[data-answered=true]")).to_be_visible()
    page.goto("/me")
    expect(page.locator("[data-waiting-survey]")).to_have_count(0)
    _sign_out(page)

    # The coordinator sees two responses, and the report.
    page.goto("/login")
    _sign_in(page, seeded.coordinator_email)
    page.goto(f"/communities/{seeded.community_id}/surveys")
    row = page.locator("tr[data-survey]", has_text="אמון בקהילה")
    expect(row.locator("[data-responses]")).to_have_attribute("data-responses", "2")
    check_in_both_languages(page, "community-surveys-answered")
    _click(page, row.get_by_role("link", name="דוח"))
    expect(page.locator("[data-item=trust1]")).to_have_attribute("data-n", "2")
    check_in_both_languages(page, "community-survey-report")
