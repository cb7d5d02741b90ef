"""One authority, the requirements behind its figures, officials at risk and seat demand, in a real browser, over
officials seeded through the services in Haifa (4000): an auditor (with the second factor) opens the authority,
finds an overdue official's row, follows the overdue figure to the requirements list filtered by status and clears
the filter; opens the officials at risk and the seat demand. A liaison of another authority who types Haifa's
address gets 404. Every page checked by axe-core in both languages and photographed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pyotp
import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import create_engine, make_url, select
from sqlalchemy.orm import Session

from app.auth import operator
from app.clock import today
from app.cohorts.schemas import CohortCreate
from app.cohorts.service import create_cohort, enrol_official
from app.compliance.service import request_extension
from app.officials.models import Appointment, Requirement
from app.officials.service import add_requirements_for_programme
from app.programmes.schemas import ProgrammeCreate
from app.programmes.service import create_programme
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _sign_in, _submit
from tests.factories import PASSWORD, TEST_TOTP_SECRET, make_appointment, make_completion, make_official, make_user

pytestmark = pytest.mark.browser

AUTHORITY = "4000"  # Haifa (no other browser test has officials there)


@dataclass(frozen=True)
class Seeded:
    auditor_email: str
    liaison_email: str  # a liaison of Ofakim (0031)
    overdue: str  # the Hebrew name of an overdue official
    overdue_id: int
    soon: str  # due within 90 days, not enrolled
    programme_code: str
    request_id: int  # a pending extension request of an overdue official


def _seed(database_url: str) -> Seeded:
    engine = create_engine(make_url(database_url))
    actor = operator("test")
    try:
        with Session(engine) as db, db.begin():
            data = ProgrammeCreate(
                code="BRW-LEGAL",
                kind="mandatory",  # type: ignore[arg-type]
                title_he="הכשרת יועצים משפטיים ומנהלי חינוך",
                title_en="Legal advisers' and heads of education's entry training",
                hours=40,
                role_codes=["legal_adviser", "education_head"],
            )
            programme = create_programme(db, data=data, actor=actor)
            people = [
                ("יעל", "מאירי", "Yael", "Meiri", "legal_adviser", today() - relativedelta(years=3)),
                ("אמיר", "חדד", "Amir", "Haddad", "education_head", today() - relativedelta(years=2, months=4)),
                (
                    "נורית",
                    "שגיא",
                    "Nurit",
                    "Sagi",
                    "legal_adviser",
                    today() - relativedelta(months=24) + timedelta(days=40),
                ),
                ("מוחמד", "עזאם", "Muhammad", "Azzam", "education_head", today() - relativedelta(months=10)),
                ("ליאת", "פרץ", "Liat", "Peretz", "legal_adviser", date(2023, 3, 1)),
                ("דוד", "לוי", "David", "Levi", "education_head", today() - relativedelta(months=3)),
            ]
            officials = []
            for first_he, last_he, first_en, last_en, role, start in people:
                o = make_official(
                    db, first_name_he=first_he, last_name_he=last_he, first_name_en=first_en, last_name_en=last_en
                )
                make_appointment(db, o, authority=AUTHORITY, role=role, start=start)
                officials.append(o)
            add_requirements_for_programme(db, programme_id=programme.id, actor=actor)
            start = today() + timedelta(days=14)
            cohort = create_cohort(
                db,
                data=CohortCreate(
                    programme_code="BRW-LEGAL",
                    code="BRW-LEGAL-1",
                    start_date=start,
                    end_date=start + timedelta(days=45),
                    capacity=8,
                ),
                actor=actor,
            )
            enrol_official(db, cohort_id=cohort.id, official_id=officials[3].id, actor=actor)  # in progress
            make_completion(db, officials[4], programme, date(2024, 2, 1))  # completed
            owed = db.scalars(
                select(Requirement).join(Appointment).where(Appointment.official_id == officials[1].id)
            ).one()
            asked = request_extension(
                db,
                requirement_id=owed.id,
                requested_due_date=owed.due_date + relativedelta(months=4),
                reason="מילואים ממושכים",
                actor=actor,
            )
            auditor = make_user(db, "auditor", email="authority-auditor@browser.example", totp_secret=TEST_TOTP_SECRET)
            liaison = make_user(db, "liaison", email="ofakim-liaison@browser.example", authority="0031")
            return Seeded(
                auditor_email=auditor.email,
                liaison_email=liaison.email,
                overdue="יעל מאירי",
                overdue_id=officials[0].id,
                soon="נורית שגיא",
                programme_code=programme.code,
                request_id=asked.id,
            )
    finally:
        engine.dispose()


def test_an_auditor_drills_from_an_authority_to_its_overdue_officials(page, server):
    seeded = _seed(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded.auditor_email)
    page.fill("#password", PASSWORD)
    page.fill("#totp", pyotp.TOTP(TEST_TOTP_SECRET).now())
    _submit(page)

    # The authority: its heading, figures, roles, officials and files.
    page.goto(f"/compliance/authorities/{AUTHORITY}")
    assert page.locator("h1").inner_text().startswith("חיפה")
    row = page.locator(f"tr[data-official-id='{seeded.overdue_id}']")
    assert seeded.overdue in row.inner_text()
    assert row.locator("[data-status]").get_attribute("data-status") == "overdue"
    assert row.locator("a").first.get_attribute("href").startswith(f"/compliance/officials/{seeded.overdue_id}?as_of=")
    request = page.locator(f"tr[data-request-id='{seeded.request_id}']")
    assert request.get_attribute("data-request-state") == "pending"
    assert request.locator("a").first.get_attribute("href") == f"/compliance/requests/{seeded.request_id}"
    assert (
        page.locator("a", has_text="PDF")
        .get_attribute("href")
        .startswith(f"/compliance/report.pdf?authority={AUTHORITY}")
    )
    check_in_both_languages(page, "compliance-authority")

    # The overdue figure opens the requirements behind it: the list filtered by status.
    _click(page, page.locator(".figure[data-status=overdue] a"))
    assert "status=overdue" in page.url and f"authority={AUTHORITY}" in page.url
    rows = page.locator("tbody tr[data-official-id]")
    assert rows.count() == 2
    assert {rows.nth(i).locator("[data-status]").get_attribute("data-status") for i in range(2)} == {"overdue"}
    assert seeded.overdue in page.locator("tbody").inner_text()
    assert "באיחור" in page.locator(".active-filters").inner_text()
    check_in_both_languages(page, "compliance-requirements")

    # The status filter cleared: every requirement of the authority again.
    _click(page, page.locator("[data-filter=status] a"))
    assert "status=" not in page.url
    assert page.locator("tbody tr[data-official-id]").count() == 6

    # Officials at risk: the one due within 90 days, with the open cohort's seats.
    page.goto(f"/compliance/at-risk?authority={AUTHORITY}")
    risky = page.locator("tbody tr[data-official-id]")
    assert risky.count() == 1 and seeded.soon in risky.inner_text()
    assert risky.locator("[data-open-seats]").get_attribute("data-open-seats") == "7"
    check_in_both_languages(page, "compliance-at-risk")

    # Seat demand: the programme's row, in words and numbers.
    page.goto("/compliance/seat-demand")
    demand = page.locator(f"tr[data-programme='{seeded.programme_code}']")
    assert demand.count() == 1
    check_in_both_languages(page, "compliance-seat-demand")


def test_a_liaison_typing_another_authoritys_address_gets_404(page, server):
    seeded = _seed_liaison(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded)
    response = page.goto(f"/compliance/authorities/{AUTHORITY}")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "הדף לא נמצא"
    check_page(page, "compliance-authority-404")
    own = page.goto("/compliance/authorities/0031")
    assert own is not None and own.status == 200
    assert page.locator("h1").inner_text().startswith("אופקים")
    assert page.goto("/compliance/seat-demand").status == 403  # type: ignore[union-attr]


def _seed_liaison(database_url: str) -> str:
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            return make_user(db, "liaison", email="ofakim-liaison-2@browser.example", authority="0031").email
    finally:
        engine.dispose()
