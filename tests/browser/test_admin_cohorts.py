"""The school's cohort from creation to certificates in a real browser, the journey of the school's workspace: an admin
opens a cohort of four seats that ran last month (refused first, with the errors at their fields), adds three
sessions (and a fourth, moved and then cancelled after the check page), enrols two officials found by name and three by
pasted ID numbers (the fifth goes to the waitlist), withdraws one after the check page and sees the waitlisted official
take the seat; takes the attendance of each session by clicks (one official misses two), closes the cohort through
the check page that names who will not complete and why, sees certificates issued for exactly the others, downloads
them (one, and all as a ZIP) and revokes one with a reason. Each page is checked by axe-core in both languages and
photographed (`check_page`)."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_admin_attendance import _row, _wait_saved
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


def test_an_admin_runs_a_cohort_from_creation_to_certificates(page, server):
    people = server.people.cohorts
    assert people is not None
    _sign_in_admin(page, people.admin.email)

    # The list, then a new cohort: refused once, then opened.
    page.goto("/admin/cohorts")
    check_in_both_languages(page, "admin-cohorts")
    _click(page, page.get_by_role("link", name="מחזור חדש"))
    check_in_both_languages(page, "admin-cohort-new")
    start = date.today() - timedelta(days=28)  # it ran last month: its attendance is taken after the fact
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

    # Three sessions, and a fourth that will be moved and then cancelled.
    for day in (0, 7, 14, 21):
        page.locator("details", has_text="הוספת מפגש").locator("summary").click()
        page.fill("#date", (start + timedelta(days=day)).isoformat())
        page.fill("#hours", "4")
        _submit_form(page, page.locator('form[action$="/sessions"]'))
        assert "done=session_added" in page.url
    assert page.locator("tr[data-session]").count() == 4

    # The fourth moved, through its own page; then cancelled after the check page.
    _click(page, page.locator("tr[data-session]").last.get_by_role("link", name="העברה"))
    check_in_both_languages(page, "admin-session-move")
    page.fill("#date", (start + timedelta(days=24)).isoformat())
    _submit(page)
    assert "done=session_moved" in page.url
    _click(page, page.locator("tr[data-session]").last.get_by_role("link", name="ביטול"))
    check_in_both_languages(page, "admin-session-cancel")
    _submit(page)
    assert "done=session_cancelled" in page.url and page.locator("tr[data-session]").count() == 3

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

    # The attendance of each session, by clicks: everyone present, then the exception (the official who took the
    # freed seat misses the last two sessions).
    rows = page.locator("#enrolments + div tbody tr")
    assert rows.count() == 4
    seated = [rows.nth(i).locator("td").first.inner_text() for i in range(4)]
    missing = waiting_name
    completing = [name for name in seated if name != missing]
    sessions = [a.get_attribute("href") for a in page.locator('tr[data-session] a[href$="/attendance"]').all()]
    assert len(sessions) == 3
    for i, url in enumerate(sessions):
        page.goto(url)
        if i == 0:
            check_in_both_languages(page, "admin-journey-attendance")
        page.get_by_role("button", name="כולם נוכחים").click()
        for name in seated:
            _wait_saved(page, _row(page, name))
        if i > 0:
            row = _row(page, missing)
            row.locator("label", has_text="נעדר/ת").click()
            expect(row).to_have_attribute("data-attendance-status", "absent")
            _wait_saved(page, row)

    # The check before closing names the one who will not complete, and why; then the cohort is closed.
    page.goto(f"{cohort_url}/close")
    not_completing = page.locator("[data-closing=not-completing]")
    assert missing in not_completing.inner_text()
    assert "נכח/ה 4 מתוך 12 שעות" in not_completing.inner_text()
    for name in completing:
        assert name in page.locator("[data-closing=completing]").inner_text()
    check_in_both_languages(page, "admin-close-check")
    _click(page, page.get_by_role("button", name="סגירת המחזור והנפקת 3 תעודות"))

    # Certificates for exactly the others.
    assert page.url.endswith("/certificates?notice=cohort_closed")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert {rows.nth(i).locator("th").inner_text() for i in range(3)} == set(completing)
    assert page.locator("[data-certificate-status=valid]").count() == 3
    check_in_both_languages(page, "admin-certificates")

    # Downloaded: one as a PDF, and all of them as a ZIP of three PDFs.
    with page.expect_download() as download:
        page.get_by_role("link", name=f"הורדה (PDF) {completing[0]}").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    with page.expect_download() as download:
        page.get_by_role("link", name="כל התעודות כקובץ ZIP").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
        assert len(pdfs) == 3 and all(archive.read(name)[:5] == b"%PDF-" for name in pdfs)

    # One revoked with a reason: refused first without one, at the field.
    _click(page, page.get_by_role("link", name=f"ביטול התעודה {completing[1]}"))
    check_in_both_languages(page, "admin-certificate-revoke")
    form_url = page.url.split("?")[0]
    for lang in ("en", "he"):
        page.goto(f"{form_url}?lang={lang}")
        _submit(page)
        assert page.locator(".error-summary a").get_attribute("href") == "#reason"
        check_page(page, "admin-certificate-revoke-errors")
    page.fill("#reason", "הוענקה בטעות: נוכחות נרשמה שלא כדין")
    _submit(page)
    assert page.url.endswith("?notice=certificate_revoked")
    revoked = page.locator("tr", has=page.locator("th", has_text=completing[1]))
    assert revoked.locator("[data-certificate-status]").get_attribute("data-certificate-status") == "revoked"
    assert "הוענקה בטעות" in revoked.inner_text()
    assert page.locator("[data-certificate-status=valid]").count() == 2
    check_page(page, "admin-certificates-revoked")
