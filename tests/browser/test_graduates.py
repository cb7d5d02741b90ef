"""The graduates network in a real browser, over graduates seeded through the services: a graduate who has not joined
follows the link on their home, is refused first without a choice, joins showing a phone, then searches the directory
and sees the network's events; an official who is no graduate is told how one becomes one. Every page checked by
axe-core in both languages and photographed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session

from app.auth import operator
from app.clock import today
from app.communities import service as communities
from app.communities.schemas import CommunityCreate, MeetingCreate
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _sign_in
from tests.factories import make_official, make_user
from tests.graduates.test_service import join, make_graduate

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    newcomer_email: str
    found_id: int  # a graduate in the directory, showing an email and a phone


def _seed(database_url: str) -> Seeded:
    engine = create_engine(make_url(database_url))
    actor = operator("test")
    try:
        with Session(engine) as db, db.begin():
            network = communities.create_community(
                db,
                data=CommunityCreate(
                    code="BRW-GRADS",
                    name_he="רשת בוגרי בית הספר",
                    name_en="School graduates network",
                    field="בוגרים",
                    kind="graduates",
                ),
                actor=actor,
            )
            communities.schedule_meeting(
                db,
                community_id=network.id,
                data=MeetingCreate(
                    title="כנס הבוגרים השנתי",
                    kind="seminar",
                    date=today() + timedelta(days=30),
                    end_date=today() + timedelta(days=31),
                    place="מלון הנסיכה, אילת",
                ),
                actor=actor,
            )
            found = make_graduate(
                db,
                first_name_he="אביגיל",
                last_name_he="שמירוני",
                first_name_en="Avigail",
                last_name_en="Shmironi",
                email="avigail@browser.example",
                on=date(2023, 6, 30),
            )
            join(db, found, show_email=True, show_phone=True, phone="052-5551234", about="התחדשות עירונית ותכנון")
            for n in range(3):
                join(db, make_graduate(db, last_name_he="בוגר" + "י" * n))
            newcomer = make_graduate(db, first_name_he="תמר", last_name_he="חדשה", first_name_en="Tamar")
            return Seeded(
                newcomer_email=make_user(db, "official", official=newcomer, email="graduate@browser.example").email,
                found_id=found.id,
            )
    finally:
        engine.dispose()


def test_a_graduate_joins_the_network_and_searches_the_directory(page, server):
    seeded = _seed(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded.newcomer_email)

    # The home invites the graduate to join; the directory itself tells them how.
    card = page.locator("[data-graduate-standing=not_joined]")
    expect(card).to_be_visible()
    page.goto("/graduates")
    expect(page.locator("[data-standing=not_joined]")).to_be_visible()
    check_in_both_languages(page, "graduates-not-joined")
    page.goto("/me")
    _click(page, page.locator("[data-graduate-standing=not_joined]").get_by_role("link", name="הצטרפות לרשת הבוגרים"))
    assert page.url.endswith("/graduates/me")
    check_in_both_languages(page, "graduates-me")

    # Refused without a choice, and with a phone to show but none given; then joined.
    _click(page, page.get_by_role("button", name="שמירת הבחירות שלי"))
    expect(page.locator(".error-summary")).to_contain_text("יש לבחור אם להופיע במדריך הבוגרים")
    page.check("#opted_in")
    page.check("#show_phone")
    _click(page, page.get_by_role("button", name="שמירת הבחירות שלי"))
    expect(page.locator(".error-summary")).to_contain_text("יש להזין מספר טלפון תקין")
    check_page(page, "graduates-me-errors")
    page.fill("#phone", "054 654 3210")
    page.fill("#about", "תקציב ורכש")
    _click(page, page.get_by_role("button", name="שמירת הבחירות שלי"))
    expect(page.locator("[data-done=joined]")).to_be_visible()
    expect(page.locator("#phone")).to_have_value("054-654-3210")
    check_page(page, "graduates-me-joined")

    # The directory: the events, everyone who joined, and a search by name.
    _click(page, page.get_by_role("link", name="רשת בוגרי בית הספר").first)
    expect(page.locator("[data-meeting-id]", has_text="כנס הבוגרים השנתי")).to_be_visible()
    page.fill("#q", "שמירוני")
    _click(page, page.get_by_role("button", name="חיפוש בוגרים"))
    found = page.locator(f"[data-graduate='{seeded.found_id}']")
    expect(found).to_be_visible()
    expect(page.locator("[data-graduate]")).to_have_count(1)
    expect(found.locator("[data-contact=email]")).to_have_text("avigail@browser.example")
    expect(found.locator("[data-contact=phone]")).to_have_text("052-555-1234")
    check_in_both_languages(page, "graduates")
    page.goto("/graduates")
    check_page(page, "graduates-all")
    page.goto("/me")
    expect(page.locator("[data-community-meeting]", has_text="כנס הבוגרים השנתי")).to_be_visible()
    expect(page.locator("[data-graduate-standing=member]")).to_be_visible()
    check_page(page, "me-graduate")


def test_an_official_who_is_no_graduate_learns_how_to_become_one(page, server):
    seeded = _seed_stranger(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded)
    page.goto("/graduates")
    expect(page.locator("[data-standing=not_graduate]")).to_be_visible()
    check_in_both_languages(page, "graduates-not-graduate")


def _seed_stranger(database_url: str) -> str:
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            return make_user(db, "official", official=make_official(db), email="stranger-grad@browser.example").email
    finally:
        engine.dispose()
