"""The registry in a real browser: an admin finds an official by an Arabic name written in Hebrew letters (without
its geresh), opens their page, adds an appointment (refused first, with the errors at their fields) and corrects
their name; then imports a file whose one bad row is shown with its line and why, nothing imported, and the file set
right imports every row. Each page checked by axe-core in both languages and photographed (`check_page`)."""

from __future__ import annotations

import random
from datetime import date

import pyotp
import pytest
from sqlalchemy import create_engine, func, make_url, select
from sqlalchemy.orm import Session

from app.officials.models import Official
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _submit
from tests.factories import PASSWORD, TEST_TOTP_SECRET, make_appointment, make_official, make_user, national_id

pytestmark = pytest.mark.browser


def _seed(database_url: str) -> tuple[str, int]:
    """An admin of the registry's own (a second factor's code is good once: other tests sign their admin in), and
    an official to find: Jamal Hassan, Jerusalem's city engineer."""
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            admin = make_user(db, "admin", email=f"registry{random.randrange(10**6)}@browser.example")
            jamal = make_official(
                db, first_name_he="ג'מאל", last_name_he="חסן", first_name_en="Jamal", last_name_en="Hassan"
            )
            make_appointment(db, jamal, authority="3000", role="city_engineer", start=date(2023, 5, 1))
            return admin.email, jamal.id
    finally:
        engine.dispose()


def _count(database_url: str, *national_ids: str) -> int:
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db:
            stmt = select(func.count()).select_from(Official).where(Official.national_id.in_(national_ids))
            return db.scalar(stmt) or 0
    finally:
        engine.dispose()


def _sign_in_admin(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    _submit(page)
    page.fill("#password", PASSWORD)
    page.fill("#totp", pyotp.TOTP(TEST_TOTP_SECRET).now())
    _submit(page)


def _csv(rows: list[list[str]]) -> bytes:
    header = ["national_id", "first_name_he", "last_name_he", "authority_code", "role_code", "start_date"]
    return "\r\n".join(",".join(r) for r in [header, *rows]).encode("utf-8-sig")


def test_an_admin_finds_an_official_adds_an_appointment_corrects_the_name_and_imports_a_file(page, server):
    email, jamal_id = _seed(server.database_url)
    _sign_in_admin(page, email)

    # Find Jamal by his name typed without the geresh.
    page.goto("/admin/officials")
    check_in_both_languages(page, "admin-officials")
    page.fill("#q", "גמאל")
    _click(page, page.get_by_role("button", name="חיפוש"))
    row = page.locator(f"tr[data-official-id='{jamal_id}']")
    assert "ירושלים" in row.inner_text()
    check_in_both_languages(page, "admin-officials-found")
    _click(page, row.get_by_role("link", name="ג'מאל חסן"))
    assert page.locator("h1").inner_text().startswith("ג'מאל חסן")
    check_in_both_languages(page, "admin-official")

    # An appointment: sent empty, refused at each field; then added.
    _click(page, page.get_by_role("link", name="הוספת מינוי"))
    check_in_both_languages(page, "admin-appointment-new")
    _submit(page)
    assert page.locator(".error-summary a").count() == 3
    check_page(page, "admin-appointment-errors")
    page.select_option("#authority_code", "0031")
    page.select_option("#role_code", "treasurer")
    page.fill("#start_date", "2025-09-01")
    _submit(page)
    assert page.url.endswith(f"/admin/officials/{jamal_id}?notice=appointment_saved#appointments")
    assert page.locator("tr[data-appointment-id]").count() == 2
    assert page.locator("#requirements ~ .table-wrap [data-status]").count() >= 1

    # His name corrected.
    _click(page, page.get_by_role("link", name="עריכת הפרטים"))
    check_in_both_languages(page, "admin-official-edit")
    page.fill("#last_name_he", "חסאן")
    _submit(page)
    assert page.locator("h1").inner_text().startswith("ג'מאל חסאן")
    assert "חסאן" in page.locator("#history ~ .table-wrap").inner_text()
    check_in_both_languages(page, "admin-official-history")

    # A file with one bad row: the row and why; nothing imported, no button to import.
    first, second = national_id(), national_id()
    rows = [
        [first, "סמירה", "חורי", "0031", "treasurer", "2024-02-01"],
        [second, "רונית", "לוי", "0031", "no-such-role", "2024-02-01"],
    ]
    _click(page, page.get_by_role("navigation", name="ניווט ראשי").get_by_role("link", name="קליטת קבצים"))
    check_in_both_languages(page, "admin-imports")
    page.set_input_files("#file", files=[{"name": "officials.csv", "mimeType": "text/csv", "buffer": _csv(rows)}])
    _submit(page)
    refused = page.locator("tr[data-row='3']")
    assert "אין תפקיד בקוד הזה" in refused.inner_text() and "no-such-role" in refused.inner_text()
    assert page.locator("form[action$='/import']").count() == 0
    check_in_both_languages(page, "admin-import-refused")
    assert _count(server.database_url, first, second) == 0

    # The file set right: every row imported with one button.
    rows[1][4] = "city_engineer"
    page.goto("/admin/imports")
    page.set_input_files("#file", files=[{"name": "officials.csv", "mimeType": "text/csv", "buffer": _csv(rows)}])
    _submit(page)
    button = page.get_by_role("button", name="קליטת 2 שורות")
    assert button.is_visible()
    check_in_both_languages(page, "admin-import-ready")
    assert _count(server.database_url, first, second) == 0
    _click(page, button)
    assert page.locator("[data-import-state=imported]").is_visible()
    assert _count(server.database_url, first, second) == 2
    check_in_both_languages(page, "admin-import-done")
