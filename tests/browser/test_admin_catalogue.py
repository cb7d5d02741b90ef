"""The school's catalogue, accounts, audit trail and home in a real browser: a programme created with a module and an
assessment (refused first, with the errors at their fields), changed, and retired through its check page; an account
created and its password reset, each showing the link to hand over; a programme's history read as before and after;
the home with each kind of work waiting. Every page checked by axe-core in both languages and photographed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, make_url, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth import operator
from app.certificates.models import Certificate
from app.clock import now_utc, today
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.compliance.service import request_extension
from app.officials.models import Requirement
from app.web.sessions import cookie_name, start_session
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click
from tests.factories import make_appointment, make_certified, make_official, make_programme

pytestmark = pytest.mark.browser

ACTOR = operator("browser-test")


def _signed_in_as_admin(page, server) -> None:
    """A page session of the seeded admin, its id in the browser's cookie (the sign-in form with its second factor
    is tested by tests/browser/test_journeys.py; a code used there would be refused here as a replay)."""
    engine = create_engine(make_url(server.database_url))
    try:
        with Session(engine) as db, db.begin():
            admin_id = db.scalars(select(User.id).where(User.email == server.people.admin.email)).one()
            token, _ = start_session(db, user_id=admin_id)
    finally:
        engine.dispose()
    page.context.add_cookies([{"name": cookie_name(), "value": token, "url": server.url}])


def _work_waiting(server) -> None:
    """One of each kind of work the school's home lists, on the browser tests' database."""
    engine = create_engine(make_url(server.database_url))
    day = today()
    try:
        with Session(engine) as db, db.begin():
            programme = make_programme(db, code="HOME-ADV", kind="advanced")
            full = create_cohort(
                db,
                data=CohortCreate(
                    programme_code=programme.code,
                    code="HOME-FULL",
                    start_date=day - timedelta(days=10),
                    end_date=day + timedelta(days=30),
                    capacity=1,
                ),
                actor=ACTOR,
            )
            add_session(db, cohort_id=full.id, data=SessionCreate(date=day, hours=3), actor=ACTOR)
            add_session(db, cohort_id=full.id, data=SessionCreate(date=day - timedelta(days=2), hours=2), actor=ACTOR)
            for name in ("אורי", "מאיה"):
                official = make_official(db, first_name_he=name)
                enrol_official(db, cohort_id=full.id, official_id=official.id, actor=ACTOR)
            over = create_cohort(
                db,
                data=CohortCreate(
                    programme_code=programme.code,
                    code="HOME-OVER",
                    start_date=day - timedelta(days=60),
                    end_date=day - timedelta(days=20),
                    capacity=10,
                ),
                actor=ACTOR,
            )
            add_session(db, cohort_id=over.id, data=SessionCreate(date=day - timedelta(days=30), hours=2), actor=ACTOR)
            mandatory = make_programme(db, code="HOME-MAND", roles=["town_appearance_manager"])
            waiting = make_official(
                db, first_name_he="יעל", last_name_he="שחר", first_name_en="Yael", last_name_en="Shahar"
            )
            appointment = make_appointment(db, waiting, role="town_appearance_manager", start=day - timedelta(days=100))
            requirement = db.scalars(
                select(Requirement).where(
                    Requirement.appointment_id == appointment.id, Requirement.programme_id == mandatory.id
                )
            ).one()
            sent = request_extension(
                db,
                requirement_id=requirement.id,
                requested_due_date=requirement.due_date + timedelta(days=60),
                reason="מילואים",
                actor=ACTOR,
            )
            sent.requested_at = now_utc() - timedelta(days=20)
            certified = make_certified(db, make_official(db), start=day - timedelta(days=90))
            db.execute(
                update(Certificate)
                .where(Certificate.serial == certified.serial)
                .values(issued_at=now_utc() - timedelta(hours=3), pdf_sha256=None)
            )
    finally:
        engine.dispose()


def test_an_admin_keeps_the_catalogue_the_accounts_and_reads_the_trail(page, server):
    _signed_in_as_admin(page, server)

    # The catalogue, and a new programme: refused first, then added with a module and an assessment.
    page.goto("/admin/programmes")
    assert page.locator("h1").inner_text() == "תוכניות הכשרה"
    check_in_both_languages(page, "admin-programmes")
    _click(page, page.get_by_role("link", name="הוספת תוכנית הכשרה"))
    check_in_both_languages(page, "admin-programme-new")
    page.fill("#code", "BUDGET-101")
    page.check("#kind-advanced")
    page.fill("#title_he", "ניהול תקציב רשותי")
    page.fill("#title_en", "Municipal budgeting")
    page.fill("#modules-0-title_he", "מבוא לתקציב")
    page.fill("#modules-0-title_en", "Introduction to budgets")
    page.fill("#modules-0-hours", "abc")
    _click(page, page.get_by_role("button", name="הוספת התוכנית לקטלוג"))
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert [a.get_attribute("href") for a in summary.locator("a").all()] == ["#hours", "#modules-0-hours"]
    assert page.input_value("#title_en") == "Municipal budgeting"  # kept
    check_page(page, "admin-programme-errors")
    page.fill("#hours", "24")
    page.fill("#modules-0-hours", "6")
    _click(page, page.get_by_role("button", name="שורה נוספת להערכה"))
    assert page.input_value("#modules-0-hours") == "6"
    page.fill("#assessments-0-code", "FINAL")
    page.fill("#assessments-0-title_he", "עבודה מסכמת")
    page.fill("#assessments-0-title_en", "Final paper")
    _click(page, page.get_by_role("button", name="הוספת התוכנית לקטלוג"))
    assert "notice=programme_created" in page.url
    row = page.locator("tr[data-programme=BUDGET-101]")
    assert "ניהול תקציב רשותי" in row.inner_text() and "מודול אחד" in row.inner_text()
    assert "הערכה אחת" in row.inner_text()

    # Changed: a new English title.
    _click(page, row.get_by_role("link", name="עריכה"))
    check_in_both_languages(page, "admin-programme-edit")
    assert page.input_value("#assessments-0-code") == "FINAL"
    page.fill("#title_en", "Municipal budgeting, revised")
    _click(page, page.get_by_role("button", name="שמירת השינויים בתוכנית"))
    assert "notice=programme_updated" in page.url

    # Retired, through its check page.
    row = page.locator("tr[data-programme=BUDGET-101]")
    _click(page, row.get_by_role("link", name="הוצאה מהקטלוג"))
    check_in_both_languages(page, "admin-programme-retire")
    _click(page, page.get_by_role("button", name="הוצאת BUDGET-101 מהקטלוג"))
    row = page.locator("tr[data-programme=BUDGET-101]")
    assert row.locator("[data-programme-state]").get_attribute("data-programme-state") == "retired"
    check_page(page, "admin-programmes-retired")

    # The programme's history: created, changed (the English title before and after), retired.
    page.goto("/admin/audit?entity_type=programme")
    check_in_both_languages(page, "admin-audit")
    _click(page, page.locator("tr[data-event]", has_text="הוצאה מהקטלוג").first.locator("a"))
    assert [i.get_attribute("data-action") for i in page.locator(".history__item").all()] == [
        "create",
        "update",
        "retire",
    ]
    title = page.locator(".history__item[data-action=update] tr[data-field=title_en]")
    assert "Municipal budgeting" in title.locator(".change-before").inner_text()
    assert "Municipal budgeting, revised" in title.locator(".change-after").inner_text()
    assert page.locator(".history__item[data-action=update] tr[data-field]").count() == 1  # only the title changed
    check_in_both_languages(page, "admin-audit-history")

    # A new account, then its password reset: each shows the link to hand over.
    page.goto("/admin/accounts")
    check_in_both_languages(page, "admin-accounts")
    _click(page, page.get_by_role("link", name="הוספת משתמש/ת"))
    check_in_both_languages(page, "admin-account-new")
    page.fill("#email", "coordinator@ofakim.example")
    page.check("#role-liaison")
    _click(page, page.get_by_role("button", name="הוספת המשתמש/ת"))
    assert page.locator("#authority_code-error").is_visible()
    page.fill("#authority_code", "0031")
    _click(page, page.get_by_role("button", name="הוספת המשתמש/ת"))
    link = page.input_value("#reset_url")
    assert link.startswith(f"{server.url}/password-reset/")
    check_page(page, "admin-account-link")
    _click(page, page.get_by_role("link", name="לדף החשבון"))
    check_in_both_languages(page, "admin-account")
    _click(page, page.get_by_role("link", name="איפוס הסיסמה"))
    check_in_both_languages(page, "admin-account-reset-check")
    _click(page, page.get_by_role("button", name="יצירת קישור לבחירת סיסמה"))
    second = page.input_value("#reset_url")
    assert second.startswith(f"{server.url}/password-reset/") and second != link

    # The school's home with each kind of work waiting.
    _work_waiting(server)
    page.goto("/admin")
    for kind in ("sessions_today", "sessions_past", "to_close", "filling", "pending", "failed_certificates"):
        count = page.locator(f"[data-todo={kind}] .count").get_attribute("data-count")
        assert count is not None and int(count) >= 1, kind
    assert page.locator("[data-todo=filling]", has_text="HOME-FULL").is_visible()
    assert page.locator("[data-todo=to_close] a", has_text="HOME-OVER").get_attribute("href").endswith("/close")
    check_in_both_languages(page, "admin-home-work")
