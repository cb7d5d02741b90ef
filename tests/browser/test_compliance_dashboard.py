"""The compliance dashboard in a real browser: an auditor (with the second factor) opens it as of the end of last year
and, through its date field, as of today; finds the worst authority at the top of the ranked table (and again by a
search typed with a Hebrew geresh), and follows its link to the authority's page as of the same date. A liaison sees
their own authority only, without the district filters. Every page checked by axe-core in both languages and
photographed at 1280 and 390 px."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyotp
import pytest
from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session

from app.clock import today
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _sign_in, _submit
from tests.factories import (
    PASSWORD,
    TEST_TOTP_SECRET,
    make_appointment,
    make_completion,
    make_official,
    make_programme,
    make_user,
)

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    auditor: str
    liaison: str


def _seed(database_url: str) -> Seeded:
    """HR managers owe a programme of their own: Sakhnin's two are overdue since 2024 (the worst authority); Nahal
    Soreq has one overdue and one who completed on time, and a liaison."""
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            programme = make_programme(db, code="DASH-HR", roles=["hr_manager"])
            for _ in range(2):
                make_appointment(db, make_official(db), authority="7500", role="hr_manager", start=date(2022, 1, 1))
            make_appointment(db, make_official(db), authority="31", role="hr_manager", start=date(2022, 3, 1))
            done = make_official(db)
            make_appointment(db, done, authority="31", role="hr_manager", start=date(2022, 3, 1))
            make_completion(db, done, programme, date(2023, 5, 1))
            auditor = make_user(db, "auditor", email="dash-auditor@browser.example", totp_secret=TEST_TOTP_SECRET)
            liaison = make_user(db, "liaison", authority="31", email="dash-liaison@browser.example")
            return Seeded(auditor=auditor.email, liaison=liaison.email)
    finally:
        engine.dispose()


def _first_ranked(page) -> str | None:
    return page.locator("table.ranking tbody tr").first.get_attribute("data-authority")


def test_an_auditor_reads_the_dashboard_on_two_dates_and_finds_the_worst_authority(page, server):
    seeded = _seed(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded.auditor)
    page.fill("#password", PASSWORD)
    page.fill("#totp", pyotp.TOTP(TEST_TOTP_SECRET).now())
    _submit(page)
    assert page.url.endswith("/compliance")  # the auditor's home

    end_of_last_year = date(today().year - 1, 12, 31).isoformat()
    page.goto(f"/compliance?as_of={end_of_last_year}")
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

    # Its link leads to the authority's page as of the same date.
    _click(page, rows.first.locator("th a"))
    assert page.url.split("://", 1)[1].split("/", 1)[1] == f"compliance/authorities/7500?as_of={today().isoformat()}"


def test_a_liaison_sees_their_own_authority_only(page, server):
    seeded = _seed_liaison_only(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded)
    assert page.url.endswith("/compliance")
    assert [r.get_attribute("data-authority") for r in page.locator("table.ranking tbody tr").all()] == ["31"]
    assert page.locator("#district").count() == 0 and page.locator("#authority_type").count() == 0
    assert page.locator("table.heatmap tbody tr").count() == 1
    check_in_both_languages(page, "compliance-dashboard-liaison")


def _seed_liaison_only(database_url: str) -> str:
    """A second liaison of Nahal Soreq (the first test's records are there already, or not: this one needs none)."""
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            make_appointment(db, make_official(db), authority="31", role="treasurer", start=date(2022, 3, 1))
            return make_user(db, "liaison", authority="31", email="dash-liaison-2@browser.example").email
    finally:
        engine.dispose()
