"""Compliance reports for auditors and liaisons: summaries, the rows behind them, changes, risk, seats, exports."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.factories import headers, make_appointment, make_completion, make_official, make_programme, make_user

AS_OF = "2026-01-01"


@pytest.fixture
def world(db):
    """Ofakim (0031, Southern): one completed on time, one completed late, one overdue, one not started and
    due soon, one closed. Nahal Soreq (31, Central): one overdue, one not started."""
    p = make_programme(db, code="TREAS")
    people = {}

    def person(key, authority, start, end=None, done=None):
        o = make_official(db)
        make_appointment(db, o, authority=authority, start=start, end=end)
        if done:
            make_completion(db, o, p, done)
        people[key] = o

    person("on_time", "0031", date(2023, 1, 1), done=date(2024, 6, 1))
    person("late", "0031", date(2023, 1, 1), done=date(2025, 6, 1))
    person("overdue", "0031", date(2023, 6, 1))
    person("soon", "0031", date(2024, 2, 15))
    person("closed", "0031", date(2023, 1, 1), end=date(2024, 1, 1))
    person("soreq_overdue", "31", date(2023, 2, 1))
    person("soreq_new", "31", date(2025, 6, 1))
    return people


def _get(client, h, path, **params):
    r = client.get(path, params={"as_of": AS_OF, **params}, headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_summary_by_authority(client, db, world):
    auditor = headers(make_user(db, "auditor"))
    items = {i["key"]: i for i in _get(client, auditor, "/api/v1/compliance/summary", group_by="authority")["items"]}
    o = items["0031"]
    assert (
        o["required"],
        o["completed"],
        o["completed_on_time"],
        o["completed_late"],
        o["overdue"],
        o["not_started"],
        o["closed"],
        o["due_soon"],
    ) == (4, 2, 1, 1, 1, 1, 1, 1)
    assert o["compliance_rate"] == 0.75 and o["name"] == "אופקים"
    s = items["31"]
    assert (s["required"], s["overdue"], s["not_started"]) == (2, 1, 1)


def test_summary_by_district_role_and_combination(client, db, world):
    auditor = headers(make_user(db, "auditor"))
    by_district = {
        i["key"]: i for i in _get(client, auditor, "/api/v1/compliance/summary", group_by="district")["items"]
    }
    assert by_district["Southern"]["required"] == 4 and by_district["Central"]["required"] == 2
    combo = _get(client, auditor, "/api/v1/compliance/summary", group_by="authority,role")["items"]
    assert {c["key"] for c in combo} == {"0031|treasurer", "31|treasurer"}
    assert combo[0]["keys"] == {"authority": "0031", "role": "treasurer"}
    bad = client.get("/api/v1/compliance/summary", params={"group_by": "planet"}, headers=auditor)
    assert bad.status_code == 422 and bad.json()["field"] == "group_by"


def test_as_of_changes_the_answer(client, db, world):
    auditor = headers(make_user(db, "auditor"))
    early = {i["key"]: i for i in _get(client, auditor, "/api/v1/compliance/summary", as_of="2024-01-01")["items"]}
    assert early["0031"]["overdue"] == 0 and "31" in early and early["31"]["required"] == 1


def test_drill_down_behind_a_number(client, db, world):
    auditor = headers(make_user(db, "auditor"))
    rows = _get(client, auditor, "/api/v1/compliance/requirements", status="overdue")
    assert {r["official_id"] for r in rows["items"]} == {world["overdue"].id, world["soreq_overdue"].id}
    one = _get(client, auditor, "/api/v1/compliance/requirements", status="overdue", authority="0031")["items"]
    assert len(one) == 1 and one[0]["due_date"] == "2025-06-01" and one[0]["official_name_he"]
    late = _get(client, auditor, "/api/v1/compliance/requirements", late="true")["items"]
    assert [r["official_id"] for r in late] == [world["late"].id]
    page = _get(client, auditor, "/api/v1/compliance/requirements", limit=2, sort="-due_date")
    assert page["total"] == 7 and len(page["items"]) == 2
    assert page["items"][0]["due_date"] >= page["items"][1]["due_date"]


def test_liaison_sees_only_their_authority(client, db, world):
    liaison = headers(make_user(db, "liaison", authority="31"))
    items = _get(client, liaison, "/api/v1/compliance/summary")["items"]
    assert [i["key"] for i in items] == ["31"]
    rows = _get(client, liaison, "/api/v1/compliance/requirements")["items"]
    assert {r["authority_code"] for r in rows} == {"31"}
    assert _get(client, liaison, "/api/v1/compliance/requirements", authority="0031")["total"] == 0


def test_changes_between_two_dates(client, db, world):
    auditor = headers(make_user(db, "auditor"))
    r = client.get(
        "/api/v1/compliance/changes", params={"since": "2025-04-01", "until": "2025-07-01"}, headers=auditor
    ).json()
    changed = {i["official_id"]: (i["status_before"], i["status_after"]) for i in r["items"]}
    assert changed[world["late"].id] == ("overdue", "completed")
    assert changed[world["soreq_new"].id] == ("none", "not_started")
    assert changed[world["overdue"].id] == ("not_started", "overdue")


def test_summary_compared_between_two_dates(client, db, world):
    auditor = headers(make_user(db, "auditor"))
    r = client.get(
        "/api/v1/compliance/summary/compare", params={"since": "2025-04-01", "until": "2025-07-01"}, headers=auditor
    )
    assert r.status_code == 200, r.text
    items = {i["key"]: i for i in r.json()["items"]}
    ofakim, soreq = items["0031"], items["31"]
    # Ofakim: the late one completed, the one due in June fell overdue; the rate stays at 3 of 4.
    assert (ofakim["since"]["completed"], ofakim["until"]["completed"], ofakim["change"]["completed_late"]) == (1, 2, 1)
    assert (ofakim["since"]["overdue"], ofakim["until"]["overdue"], ofakim["change"]["not_started"]) == (1, 1, -1)
    assert ofakim["since"]["compliance_rate"] == ofakim["until"]["compliance_rate"] == 0.75
    assert ofakim["change"]["compliance_rate"] == 0.0
    # Nahal Soreq: a new appointment in June, not started, lifts the rate from 0 to a half.
    assert (soreq["since"]["required"], soreq["until"]["required"], soreq["change"]["required"]) == (1, 2, 1)
    assert soreq["change"]["compliance_rate"] == 0.5
    # The same as evidence: a sheet with each count before, after and its change.
    params = {"since": "2025-04-01", "until": "2025-07-01", "lang": "en"}
    csv_file = client.get("/api/v1/compliance/summary/compare.csv", params=params, headers=auditor)
    table = list(csv.DictReader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    [soreq_line] = [t for t in table if t["Key"] == "31"]
    assert [soreq_line[f"Required ({p})"] for p in ("before", "after", "change")] == ["1", "2", "1"]
    x = client.get("/api/v1/compliance/summary/compare.xlsx", params={**params, "lang": "he"}, headers=auditor)
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws.sheet_view.rightToLeft is True and "2025-04-01" in ws.cell(row=1, column=1).value


def test_summary_comparison_is_scoped_and_checks_its_dates(client, db, world):
    liaison = headers(make_user(db, "liaison", authority="31"))
    r = client.get("/api/v1/compliance/summary/compare", params={"since": "2025-04-01"}, headers=liaison)
    assert [i["key"] for i in r.json()["items"]] == ["31"]
    auditor = headers(make_user(db, "auditor"))
    for path in ("/api/v1/compliance/summary/compare", "/api/v1/compliance/changes"):
        bad = client.get(path, params={"since": "2025-07-01", "until": "2025-04-01"}, headers=auditor)
        assert bad.status_code == 422 and bad.json()["field"] == "since", path


def test_at_risk_and_seat_demand(client, db, world):
    auditor = headers(make_user(db, "auditor"))
    risky = _get(client, auditor, "/api/v1/compliance/at-risk")["items"]
    assert [(r["official_id"], r["risk"]) for r in risky] == [(world["soon"].id, "not_enrolled")]
    demand = _get(client, auditor, "/api/v1/compliance/seat-demand")["items"]
    [treas] = [d for d in demand if d["programme_code"] == "TREAS"]
    assert treas["due_within_6_months"] == 1 and treas["free_seats_within_6_months"] == 0
    assert treas["shortfall_within_6_months"] == 1 and treas["overdue_without_completion"] == 2


def test_exports_csv_and_xlsx(client, db, world):
    auditor = headers(make_user(db, "auditor"))
    r = client.get("/api/v1/compliance/export.csv", params={"as_of": AS_OF}, headers=auditor)
    assert r.status_code == 200
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][0] == "סמל רשות" and len(table) == 1 + 7
    x = client.get("/api/v1/compliance/export.xlsx", params={"as_of": AS_OF, "authority": "31"}, headers=auditor)
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws.sheet_view.rightToLeft is True
    assert AS_OF in ws.cell(row=1, column=1).value
    assert [ws.cell(row=i, column=1).value for i in (4, 5)] == ["31", "31"]
    s = client.get("/api/v1/compliance/summary.csv", params={"as_of": AS_OF, "lang": "en"}, headers=auditor)
    assert s.content.decode("utf-8-sig").splitlines()[0].startswith("Key,Name,Required")
