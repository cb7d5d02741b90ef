"""The school's cohorts in a real browser: an admin opens a cohort of four seats (refused first, with the errors at
their fields), adds three sessions, enrols two officials found by name and three by pasted ID numbers (the fifth
goes to the waitlist), withdraws one after the check page and sees the waitlisted official take the seat; each page
checked by axe-core in both languages and photographed (`check_page`)."""

from __future__ import annotations

from datetime import date, timedelta

import pyotp
import pytest

from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _sign_in, _submit
from tests.factories import PASSWORD, TEST_TOTP_SECRET

pytestmark = pytest.mark.browser


def _sign_in_admin(page, email: str) -> None:
    page.goto("/login")
    _sign_in(page, email)
    page.fill("#password", PASSWORD)  # the second factor is asked for on the same form
    page.fill("#totp", pyotp.TOTP(TEST_TOTP_SECRET).now())
    _submit(page)
    assert page.url.endswith("/admin")


def _submit_form(page, form) -> None:
    with page.expect_navigation():
        form.locator("button[type=submit]").last.click()


def test_an_admin_runs_a_cohort_from_creation_to_the_waitlist(page, server):
    people = server.people.cohorts
    assert people is not None
    _sign_in_admin(page, people.admin.email)

    # The list, then a new cohort: refused once, then opened.
    page.goto("/admin/cohorts")
    check_in_both_languages(page, "admin-cohorts")
    _click(page, page.get_by_role("link", name="מחזור חדש"))
    check_in_both_languages(page, "admin-cohort-new")
    start = date.today() + timedelta(days=14)
    page.select_option("#programme_code", people.programme_code)
    page.fill("#code", "ENG-2026-1")
    page.fill("#start_date", start.isoformat())
    page.fill("#end_date", (start - timedelta(days=1)).isoformat())
    page.fill("#capacity", "0")
    page.fill("#location", "בית הספר, ירושלים")
    _submit(page)
    summary = page.locator(".error-summary")
    assert summary.is_visible() and summary.locator('a[href="#capacity"]').count() == 1
    assert summary.locator('a[href="#end_date"]').count() == 1
    assert page.locator("#location").input_value() == "בית הספר, ירושלים"
    check_page(page, "admin-cohort-new-errors")
    page.fill("#end_date", (start + timedelta(days=30)).isoformat())
    page.fill("#capacity", "4")
    _submit(page)
    assert "done=created" in page.url
    cohort_url = page.url.split("?")[0]

    # Three sessions.
    for day in (0, 7, 14):
        page.locator("details", has_text="הוספת מפגש").locator("summary").click()
        page.fill("#date", (start + timedelta(days=day)).isoformat())
        page.fill("#hours", "4")
        _submit_form(page, page.locator('form[action$="/sessions"]'))
        assert "done=session_added" in page.url
    assert page.locator("tr[data-session]").count() == 3

    # Two by name.
    for person in people.by_name:
        page.fill("#q", person.name_he.split(" ")[1])
        _submit_form(page, page.locator('form[role="search"]').last)
        row = page.locator(".result-list li", has_text=person.name_he)
        _click(page, row.get_by_role("button"))
        assert "done=enrolled" in page.url
    check_in_both_languages(page, "admin-cohort-search")

    # Three by pasted ID numbers: the fifth official goes to the waitlist.
    pasted = f"{people.by_id[0].lstrip('0')}\n{people.by_id[1]}, {people.by_id[2]}"
    page.fill("#national_ids", pasted)
    _submit_form(page, page.locator('form[action$="/enrolments/bulk"]'))
    assert page.locator('tr[data-result="enrolled"]').count() == 2
    assert page.locator('tr[data-result="waitlisted"]').count() == 1
    check_page(page, "admin-cohort-bulk-report")
    _click(page, page.get_by_role("link", name="חזרה למחזור"))
    assert page.locator("#enrolments + div [data-enrolment-status=enrolled]").count() == 4
    waiting = page.locator("#waitlist + div [data-enrolment-status=waitlisted]")
    assert waiting.count() == 1
    waiting_name = waiting.locator("xpath=ancestor::tr").locator("td").nth(1).inner_text()
    check_in_both_languages(page, "admin-cohort")

    # Withdraw one, after the check page: the waitlisted official takes the seat.
    first = page.locator("#enrolments + div tbody tr").first
    _click(page, first.get_by_role("link", name="ביטול הרשמה"))
    assert waiting_name in page.locator("main").inner_text()  # who will get the seat
    check_in_both_languages(page, "admin-enrolment-withdraw")
    _submit(page)
    assert page.url.startswith(cohort_url) and "done=withdrawn" in page.url
    assert page.locator("#waitlist + div [data-enrolment-status=waitlisted]").count() == 0
    seated = page.locator("#enrolments + div tbody tr", has_text=waiting_name)
    assert seated.locator("[data-enrolment-status=enrolled]").count() == 1
    assert people.left.name_he in page.locator("main").inner_text()  # still owes, offered
    check_in_both_languages(page, "admin-cohort-after-withdrawal")

    # A session moved, through its own page; another cancelled after the check page.
    session_row = page.locator("tr[data-session]").last
    _click(page, session_row.get_by_role("link", name="העברה"))
    check_in_both_languages(page, "admin-session-move")
    page.fill("#date", (start + timedelta(days=21)).isoformat())
    _submit(page)
    assert "done=session_moved" in page.url
    _click(page, page.locator("tr[data-session]").first.get_by_role("link", name="ביטול"))
    check_in_both_languages(page, "admin-session-cancel")
    _submit(page)
    assert "done=session_cancelled" in page.url and page.locator("tr[data-session]").count() == 2
