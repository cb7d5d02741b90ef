"""Requests and decisions in a real browser, over records seeded through the services: an auditor (with a second
factor) opens the pending extension request of an overdue official, reads the official's history, and approves it;
the official's page then shows the requirement no longer overdue as of today, and overdue as of a day before the
decision. A liaison files an extension request for an official of their authority and sees no decision form. Every
page checked by axe-core in both languages and photographed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, make_url, select
from sqlalchemy.orm import Session

from app.clock import today
from app.compliance.service import request_extension
from app.officials.models import Appointment, Requirement
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _sign_in, _submit
from tests.factories import (
    ACTOR,
    PASSWORD,
    TEST_TOTP_SECRET,
    make_appointment,
    make_official,
    make_programme,
    make_user,
)

pytestmark = pytest.mark.browser

ROLE = "strategy_manager"


@dataclass(frozen=True)
class Seeded:
    request_id: int
    overdue_official_id: int
    other_official_id: int
    other_requirement_id: int
    auditor_email: str
    liaison_email: str


def _seed(database_url: str) -> Seeded:
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            make_programme(db, code="BRW-REQ", roles=[ROLE])
            late = make_official(db, first_name_he="מיכל", last_name_he="אברהמי", first_name_en="Michal")
            make_appointment(db, late, authority="0031", role=ROLE, start=today() - timedelta(days=800))
            other = make_official(db, first_name_he="יוסי", last_name_he="ברקוביץ", first_name_en="Yossi")
            make_appointment(db, other, authority="0031", role=ROLE, start=today() - timedelta(days=300))
            requirement = db.scalars(
                select(Requirement).join(Appointment).where(Appointment.official_id == late.id)
            ).one()
            other_requirement = db.scalars(
                select(Requirement).join(Appointment).where(Appointment.official_id == other.id)
            ).one()
            made = request_extension(
                db,
                requirement_id=requirement.id,
                requested_due_date=today() + timedelta(days=90),
                reason="מילואים ממושכים",
                actor=ACTOR,
            )
            auditor = make_user(db, "auditor", email="requests-auditor@browser.example", totp_secret=TEST_TOTP_SECRET)
            liaison = make_user(db, "liaison", authority="0031", email="requests-liaison@browser.example")
            return Seeded(made.id, late.id, other.id, other_requirement.id, auditor.email, liaison.email)
    finally:
        engine.dispose()


def _statuses(page) -> list[str]:
    return page.locator("tr[data-requirement] [data-status]").evaluate_all("els => els.map(e => e.dataset.status)")


def test_an_auditor_approves_an_extension_and_a_liaison_files_one(page, server):
    seeded = _seed(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded.auditor_email)
    page.fill("#password", PASSWORD)
    page.fill("#totp", pyotp.TOTP(TEST_TOTP_SECRET).now())
    _submit(page)

    # The queue, pending first; the request of the overdue official.
    page.goto("/compliance/requests?state=pending")
    check_in_both_languages(page, "compliance-requests")
    _click(page, page.locator(f'a[href="/compliance/requests/{seeded.request_id}"]'))
    expect(page.locator("dd [data-status]")).to_have_attribute("data-status", "overdue")
    expect(page.locator('tr[data-event-kind="request_filed"]')).to_have_count(1)
    expect(page.locator('tr[data-event-kind="appointment_started"]')).to_have_count(1)
    check_in_both_languages(page, "compliance-request")

    # Approve: the due date asked for is filled in; the note is required.
    page.locator('label[for="approve"]').click()
    _submit(page)
    expect(page.locator(".error-summary")).to_contain_text("יש לכתוב הערה להחלטה")
    check_page(page, "compliance-request-error")
    page.locator('label[for="approve"]').click()
    page.fill("#note", "אושר: המחזור הבא מתחיל אחרי המועד")
    _submit(page)
    expect(page.locator(".notice")).to_contain_text("הבקשה אושרה")
    expect(page.locator("[data-decision]")).to_have_attribute("data-decision", "approved")
    expect(page.locator('form[action$="/decision"]')).to_have_count(0)

    # The official: no longer overdue as of today, still overdue as of the day before the decision.
    _click(page, page.locator(f'a[href="/compliance/officials/{seeded.overdue_official_id}"]').first)
    assert _statuses(page) == ["not_started"]
    expect(page.locator('tr[data-event-kind="request_decided"]')).to_have_count(1)
    check_in_both_languages(page, "compliance-official")
    page.fill("#as_of", (today() - timedelta(days=1)).isoformat())
    _submit(page)
    assert _statuses(page) == ["overdue"]

    # A liaison of the same authority files a request, and cannot decide it.
    page.context.clear_cookies()
    page.goto("/login")
    _sign_in(page, seeded.liaison_email)
    page.goto(f"/compliance/officials/{seeded.other_official_id}")
    _click(
        page,
        page.locator(f'a[href="/compliance/requirements/{seeded.other_requirement_id}/requests/new?kind=extension"]'),
    )
    check_in_both_languages(page, "compliance-request-new")
    page.fill("#requested_due_date", (today() + timedelta(days=500)).isoformat())
    page.fill("#reason", "חופשת לידה")
    _submit(page)
    expect(page.locator(".notice")).to_contain_text("הבקשה הוגשה")
    expect(page.locator("h1 [data-request-state]")).to_have_attribute("data-request-state", "pending")
    expect(page.locator('form[action$="/decision"]')).to_have_count(0)
    check_in_both_languages(page, "compliance-request-liaison")
    page.goto(f"/compliance/requests/{seeded.request_id}")
    expect(page.locator("[data-decision]")).to_have_attribute("data-decision", "approved")
