"""The attendance screen in a real browser, over a cohort seeded through the services (3 sessions, 4 officials
enrolled): attendance taken for each session by clicks ("all present", then the exception), kept after a reload; a
late arrival marked by keyboard alone, with its minutes late typed, saved and kept after a reload; a save the server
refuses shown at its row in the page's words, and nothing written. (The journey from the cohort's creation to its
certificates is tests/browser/test_admin_cohorts.py.) Every page checked by axe-core in both languages and
photographed."""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session

from app.auth import operator
from tests.attendance.test_pages import seed_cohort
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _sign_in, _submit
from tests.factories import PASSWORD, TEST_TOTP_SECRET, make_user

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    cohort_id: int
    session_ids: list[int]
    names: list[str]  # the four officials' Hebrew names; the last misses two sessions
    admin_email: str


def _seed(database_url: str) -> Seeded:
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            run = seed_cohort(db, people=4, sessions=3, code="BRW-ATT", actor=operator("test"), role="internal_auditor")
            admin = make_user(db, "admin", email="attendance-admin@browser.example", totp_secret=TEST_TOTP_SECRET)
            return Seeded(
                cohort_id=run.cohort.id,
                session_ids=[s.id for s in run.sessions],
                names=[f"{o.first_name_he} {o.last_name_he}" for o in run.officials],
                admin_email=admin.email,
            )
    finally:
        engine.dispose()


def _row(page, name: str):
    return page.locator("tr[data-official-id]", has=page.locator("th", has_text=name))


def _wait_saved(page, row) -> None:
    row.locator("[data-save-state].save-state--saved").wait_for()


def test_an_admin_takes_attendance_by_click_and_by_keyboard(page, server):
    seeded = _seed(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded.admin_email)
    page.fill("#password", PASSWORD)
    page.fill("#totp", pyotp.TOTP(TEST_TOTP_SECRET).now())
    _submit(page)
    *completing, missing = seeded.names

    # Attendance of each session by clicks, saved as clicked: everyone present, then the exception.
    for i, session_id in enumerate(seeded.session_ids):
        page.goto(f"/admin/sessions/{session_id}/attendance")
        if i == 0:
            check_in_both_languages(page, "admin-attendance")
        page.get_by_role("button", name="כולם נוכחים").click()
        for name in seeded.names:
            _wait_saved(page, _row(page, name))
        if i > 0:
            row = _row(page, missing)
            row.locator("label", has_text="נעדר/ת").click()
            expect(row).to_have_attribute("data-attendance-status", "absent")
            _wait_saved(page, row)
        if i == 1:
            check_page(page, "admin-attendance-saved")

    # Reloaded: what was clicked was kept.
    page.reload()
    assert _row(page, missing).get_attribute("data-attendance-status") == "absent"
    assert _row(page, completing[0]).get_attribute("data-attendance-status") == "present"
    assert _row(page, missing).locator("input[value=absent]").is_checked()

    # A late arrival by keyboard: focus the row's choice and move with the arrow keys, saved without a reload.
    row = _row(page, completing[0])
    row.locator("input[value=present]").focus()
    page.keyboard.press("ArrowDown")
    expect(row).to_have_attribute("data-attendance-status", "late")
    _wait_saved(page, row)

    # Its minutes late, by keyboard too: the field under the late row's choices is next in the tab order; typed,
    # left with Tab, saved with its own state beside it; kept after a reload, in both languages.
    minutes = row.locator("input.input--minutes")
    expect(minutes).to_be_visible()
    expect(minutes).to_be_enabled()
    page.keyboard.press("Tab")
    expect(minutes).to_be_focused()
    page.keyboard.type("25")
    page.keyboard.press("Tab")
    expect(row.locator("[data-minutes-state].save-state--saved")).to_be_visible()
    expect(row).to_have_attribute("data-minutes-late", "25")
    # The rows not marked late show no minutes field.
    expect(_row(page, missing).locator("input.input--minutes")).to_be_hidden()
    # A number longer than the session is said beside the field, and nothing is sent.
    minutes.fill("999")
    minutes.press("Enter")
    expect(row.locator("[data-minutes-state].save-state--error")).to_contain_text("מספר שלם מ־1 עד 180")
    expect(row).to_have_attribute("data-minutes-late", "25")
    check_page(page, "admin-attendance-minutes-error")
    page.reload()
    row = _row(page, completing[0])
    minutes = row.locator("input.input--minutes")
    expect(minutes).to_have_value("25")
    expect(row).to_have_attribute("data-minutes-late", "25")
    check_in_both_languages(page, "admin-attendance-minutes")
    row = _row(page, completing[0])
    expect(row.locator("input.input--minutes")).to_have_value("25")

    # Back to present: the minutes go with it (hidden, and not kept).
    row.locator("input[value=late]").focus()
    page.keyboard.press("ArrowUp")
    expect(row).to_have_attribute("data-attendance-status", "present")
    _wait_saved(page, row)
    expect(row).to_have_attribute("data-minutes-late", "")
    expect(row.locator("input.input--minutes")).to_be_hidden()

    # A save that fails says so plainly at its row, in the page's words.
    def refuse(route) -> None:
        route.fulfill(status=409, json={"error": "cohort_closed", "detail": "cohort BRW-ATT is closed"})

    page.route("**/api/v1/sessions/*/attendance", refuse)
    row.locator("label", has_text="היעדרות מוצדקת").click()
    expect(row.locator("[data-save-state].save-state--error")).to_contain_text("השמירה נכשלה: המחזור נסגר")
    page.unroute("**/api/v1/sessions/*/attendance", refuse)
    check_page(page, "admin-attendance-save-failed")
    page.reload()
    assert _row(page, completing[0]).get_attribute("data-attendance-status") == "present"  # nothing was written
