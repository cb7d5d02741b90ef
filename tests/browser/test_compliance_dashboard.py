"""The Ministry's compliance journey in a real browser. An auditor (with the second factor) opens the dashboard as of
the end of last year and, through its date field, as of today, limited to one programme; finds the worst authority at
the top of the ranked table (and again by a search typed with a Hebrew geresh); follows it to the authority's page,
drills down to an overdue official, opens that official's pending extension and approves it; sees the official no
longer overdue as of today but still overdue as of the end of last year; and downloads the dashboard's XLSX and the
PDF report. A liaison sees their own authority only, everywhere: the dashboard, a typed address of another authority
or of its request (404), and their own authority's request without a way to decide it (a POST answers 403). Every page
checked by axe-core in both languages and photographed at 1280 and 390 px."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
from dateutil.relativedelta import relativedelta
from openpyxl import load_workbook
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
    make_completion,
    make_official,
    make_programme,
    make_user,
)

pytestmark = pytest.mark.browser

PROGRAMME = "DASH-HR"


@dataclass(frozen=True)
class Seeded:
    auditor: str
    liaison: str
    overdue_name: str  # Sakhnin's official overdue since the last days of last year, with an extension pending
    sakhnin_request_id: int


def _requirement_of(db: Session, official_id: int) -> Requirement:
    return db.scalars(select(Requirement).join(Appointment).where(Appointment.official_id == official_id)).one()


def _seed(database_url: str) -> Seeded:
    """HR managers owe a programme of their own. Sakhnin's two are overdue (the worst authority): one since 2024, the
    other since the day before the end of last year, who asks for the longest extension allowed (12 months, to a day
    still ahead). Nahal Soreq has one overdue and one who completed on time, and a
    liaison."""
    end_of_last_year = date(today().year - 1, 12, 31)
    due = end_of_last_year - timedelta(days=1)
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            programme = make_programme(db, code=PROGRAMME, roles=["hr_manager"])
            make_appointment(db, make_official(db), authority="7500", role="hr_manager", start=date(2022, 1, 1))
            late = make_official(db, first_name_he="ג׳מילה", last_name_he="חלאילה", first_name_en="Jamila")
            make_appointment(db, late, authority="7500", role="hr_manager", start=due - relativedelta(years=2))
            sakhnin = request_extension(
                db,
                requirement_id=_requirement_of(db, late.id).id,
                requested_due_date=due + relativedelta(months=12),
                reason="מילואים ממושכים",
                actor=ACTOR,
            )
            make_appointment(db, make_official(db), authority="31", role="hr_manager", start=date(2022, 3, 1))
            done = make_official(db)
            make_appointment(db, done, authority="31", role="hr_manager", start=date(2022, 3, 1))
            make_completion(db, done, programme, date(2023, 5, 1))
            auditor = make_user(db, "auditor", email="dash-auditor@browser.example", totp_secret=TEST_TOTP_SECRET)
            liaison = make_user(db, "liaison", authority="31", email="dash-liaison@browser.example")
            return Seeded(
                auditor=auditor.email,
                liaison=liaison.email,
                overdue_name="ג׳מילה חלאילה",
                sakhnin_request_id=sakhnin.id,
            )
    finally:
        engine.dispose()


def _first_ranked(page) -> str | None:
    return page.locator("table.ranking tbody tr").first.get_attribute("data-authority")


def _statuses(page) -> list[str]:
    return page.locator("tr[data-requirement] [data-status]").evaluate_all("els => els.map(e => e.dataset.status)")


def test_an_auditor_finds_the_worst_authority_and_decides_its_overdue_officials_extension(page, server):
    seeded = _seed(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded.auditor)
    page.fill("#password", PASSWORD)
    page.fill("#totp", pyotp.TOTP(TEST_TOTP_SECRET).now())
    _submit(page)
    assert page.url.endswith("/compliance")  # the auditor's home

    # As of the end of last year, limited to the programme (the other tests' records are in this database too).
    end_of_last_year = date(today().year - 1, 12, 31).isoformat()
    page.goto(f"/compliance?as_of={end_of_last_year}&programme={PROGRAMME}")
    assert _first_ranked(page) == "7500"
    assert page.locator("[data-figure=overdue][data-status=overdue]").count() == 1
    assert page.locator("table.heatmap td.heat a").count() > 0
    check_in_both_languages(page, "compliance-dashboard-past")

    # As of today, through the date field.
    page.fill("#as_of", today().isoformat())
    _click(page, page.get_by_role("button", name="הצגת הנתונים"))
    assert f"as_of={today().isoformat()}" in page.url
    assert _first_ranked(page) == "7500"
    check_page(page, "compliance-dashboard-today")

    # Found again by name, typed with a Hebrew geresh.
    page.fill("#q", "סח׳נין")
    _click(page, page.get_by_role("button", name="חיפוש", exact=True))
    rows = page.locator("table.ranking tbody tr")
    assert rows.count() == 1 and _first_ranked(page) == "7500"
    check_page(page, "compliance-dashboard-search")
    dashboard_url = page.url

    # Its link leads to the authority's page as of the same date, and on to the overdue official.
    _click(page, rows.first.locator("th a"))
    assert page.url.split("://", 1)[1].split("/", 1)[1] == f"compliance/authorities/7500?as_of={today().isoformat()}"
    official_row = page.locator("tr[data-requirement-id]", has=page.locator("th", has_text=seeded.overdue_name))
    assert official_row.locator("[data-status]").get_attribute("data-status") == "overdue"
    _click(page, official_row.locator("th a"))
    assert _statuses(page) == ["overdue"]

    # The official's pending extension, from their history: approved.
    _click(page, page.locator(f'a[href="/compliance/requests/{seeded.sakhnin_request_id}"]').first)
    check_in_both_languages(page, "compliance-journey-request")
    page.locator('label[for="approve"]').click()
    page.fill("#note", "אושר: שירות מילואים ממושך")
    _submit(page)
    expect(page.locator(".notice")).to_contain_text("הבקשה אושרה")
    expect(page.locator("[data-decision]")).to_have_attribute("data-decision", "approved")

    # No longer overdue as of today; still overdue as of the end of last year (the decision came after it).
    _click(page, page.locator('a[href^="/compliance/officials/"]').first)
    assert _statuses(page) != ["overdue"]
    page.fill("#as_of", end_of_last_year)
    _submit(page)
    assert _statuses(page) == ["overdue"]
    check_page(page, "compliance-journey-official-past")

    # The evidence: the dashboard's table of authorities as XLSX (a right-to-left sheet with Hebrew headers), and the
    # report as a PDF.
    page.goto(dashboard_url.split("&q=")[0])
    with page.expect_download() as download:
        page.locator('a[href^="/compliance/authorities.xlsx"]').click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet.sheet_view.rightToLeft
    assert any("סח" in str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    with page.expect_download() as download:
        page.locator('a[href^="/compliance/report.pdf"]').click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"


def test_a_liaison_sees_their_own_authority_only(page, server):
    seeded = _seed_liaison_only(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded.email)
    assert page.url.endswith("/compliance")
    assert [r.get_attribute("data-authority") for r in page.locator("table.ranking tbody tr").all()] == ["31"]
    assert page.locator("#district").count() == 0 and page.locator("#authority_type").count() == 0
    assert page.locator("table.heatmap tbody tr").count() == 1
    check_in_both_languages(page, "compliance-dashboard-liaison")

    # Another authority's page and its request, typed: not found.
    for url in ("/compliance/authorities/7500", seeded.other_request):
        response = page.goto(url)
        assert response is not None and response.status == 404
    check_page(page, "compliance-liaison-not-found")

    # Their own authority's pending request: read, with no way to decide it.
    own = seeded.own_request
    page.goto(own)
    expect(page.locator('form[action$="/decision"]')).to_have_count(0)
    refused = page.request.post(f"{own}/decision", form={"approve": "true", "note": "x"})
    assert refused.status == 403


@dataclass(frozen=True)
class LiaisonSeeded:
    email: str
    own_request: str  # the address of a pending request in the liaison's authority
    other_request: str  # and of one in Sakhnin


def _seed_liaison_only(database_url: str) -> LiaisonSeeded:
    """A second liaison of Nahal Soreq, and a pending request of an official of each of Nahal Soreq and Sakhnin (the
    first test's records may be there too, or not: this one needs none of them)."""
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            make_programme(db, code="DASH-LIA", roles=["council_secretary"])
            urls = []
            for authority in ("31", "7500"):
                official = make_official(db)
                make_appointment(db, official, authority=authority, role="council_secretary", start=date(2022, 3, 1))
                made = request_extension(
                    db,
                    requirement_id=_requirement_of(db, official.id).id,
                    requested_due_date=date(2024, 9, 1),
                    reason="חופשת לידה",
                    actor=ACTOR,
                )
                urls.append(f"/compliance/requests/{made.id}")
            email = make_user(db, "liaison", authority="31", email="dash-liaison-2@browser.example").email
            return LiaisonSeeded(email=email, own_request=urls[0], other_request=urls[1])
    finally:
        engine.dispose()
