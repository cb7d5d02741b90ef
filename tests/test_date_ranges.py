"""Every date a client sends has a plausible range, checked in one place: a date no one could mean is a 422
naming the field, never a 500 from date arithmetic past year 9999 nor a broken cell in a spreadsheet."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.clock import today
from app.officials.models import Appointment, Requirement
from tests.factories import headers, make_appointment, make_official, make_programme, make_user, national_id

REPORTS = [
    "/api/v1/compliance/summary",
    "/api/v1/compliance/requirements",
    "/api/v1/compliance/at-risk",
    "/api/v1/compliance/seat-demand",
    "/api/v1/compliance/export.xlsx",
    "/api/v1/compliance/export.csv",
    "/api/v1/compliance/summary.xlsx",
    "/api/v1/compliance/report.pdf",
]


@pytest.fixture
def world(db):
    make_programme(db, code="TREAS")
    official = make_official(db)
    make_appointment(db, official, authority="0031", start=today() - timedelta(days=400))
    return {
        "official": official,
        "admin": headers(make_user(db, "admin")),
        "auditor": headers(make_user(db, "auditor")),
    }


@pytest.mark.parametrize("path", REPORTS)
@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01", "1900-01-01"])
def test_a_report_refuses_an_implausible_as_of(client, world, path, as_of):
    r = client.get(path, params={"as_of": as_of}, headers=world["auditor"])
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "as_of"


def test_a_report_as_of_ten_years_ahead_still_answers(client, world):
    r = client.get(
        "/api/v1/compliance/summary", params={"as_of": str(today() + timedelta(days=365 * 9))}, headers=world["auditor"]
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("path", ["/api/v1/compliance/summary/compare", "/api/v1/compliance/changes"])
@pytest.mark.parametrize(
    ("since", "until", "field"), [("0001-01-01", None, "since"), ("2024-01-01", "9999-12-31", "until")]
)
def test_a_period_refuses_implausible_ends(client, world, path, since, until, field):
    params = {"since": since} | ({"until": until} if until else {})
    r = client.get(path, params=params, headers=world["auditor"])
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


def test_an_officials_requirements_refuse_an_implausible_as_of(client, world):
    r = client.get(
        f"/api/v1/officials/{world['official'].id}/requirements", params={"as_of": "9999-12-31"}, headers=world["admin"]
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "as_of"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_date": "9999-12-30"}, "start_date"),
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"start_date": "2024-01-01", "end_date": "9999-12-31"}, "end_date"),
    ],
)
def test_an_appointment_refuses_implausible_dates(client, world, body, field):
    r = client.post(
        f"/api/v1/officials/{world['official'].id}/appointments",
        headers=world["admin"],
        json={"authority_code": "0031", "role_code": "treasurer"} | body,
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    # Nothing was written, and every report still answers.
    assert client.get("/api/v1/compliance/summary", headers=world["auditor"]).status_code == 200


def test_the_first_day_of_the_state_is_a_plausible_appointment_start(client, world):
    r = client.post(
        f"/api/v1/officials/{world['official'].id}/appointments",
        headers=world["admin"],
        json={
            "authority_code": "0031",
            "role_code": "city_engineer",
            "start_date": "1948-05-14",
            "end_date": "1950-01-01",
        },
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_date": "0001-01-01", "end_date": "2025-01-01"}, "start_date"),
        ({"start_date": "2025-01-01", "end_date": "9999-12-31"}, "end_date"),
    ],
)
def test_a_cohort_refuses_implausible_dates(client, world, body, field):
    r = client.post(
        "/api/v1/cohorts",
        headers=world["admin"],
        json={"programme_code": "TREAS", "code": "C-DATES", "capacity": 10} | body,
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


def test_an_extension_request_refuses_an_implausible_due_date(client, world, db):
    req = db.scalar(select(Requirement).join(Appointment).where(Appointment.official_id == world["official"].id))
    r = client.post(
        f"/api/v1/requirements/{req.id}/extension-requests",
        headers=world["admin"],
        json={"requested_due_date": "9999-12-31", "reason": "forever"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "requested_due_date"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("30/12/9999", "", "start_date"), ("2024-01-01", "9999-12-31", "end_date"), ("01/01/0001", "", "start_date")],
)
def test_an_appointment_import_refuses_implausible_dates(client, world, start, end, field):
    header = "national_id,first_name_he,last_name_he,authority_code,role_code,start_date,end_date"
    csv = f"{header}\r\n{national_id()},דנה,לוי,0031,treasurer,{start},{end}\r\n"
    r = client.post(
        "/api/v1/imports/officials",
        params={"dry_run": False},
        headers=world["admin"],
        files={"file": ("officials.csv", csv.encode())},
    )
    assert r.status_code == 422, r.text
    (row,) = r.json()["rows"]
    assert row["appointment"] == "refused"
    assert [e["field"] for e in row["errors"]] == [field]
    assert client.get("/api/v1/compliance/summary", headers=world["auditor"]).status_code == 200


def test_plausible_range_bounds():
    from app.schemas import FIRST_PLAUSIBLE_DATE, fact_date_problem, plan_date_problem

    assert date(1948, 5, 14) == FIRST_PLAUSIBLE_DATE
    now = date(2026, 12, 1)
    assert plan_date_problem(date(1948, 5, 14), today=now) is None
    assert plan_date_problem(date(1948, 5, 13), today=now) is not None
    assert plan_date_problem(date(2036, 12, 1), today=now) is None
    assert plan_date_problem(date(2036, 12, 2), today=now) is not None
    assert fact_date_problem(now, today=now) is None
    assert fact_date_problem(now + timedelta(days=1), today=now) is not None
    assert fact_date_problem(date(1948, 5, 13), today=now) is not None
