"""The records people look at: an official's transcript, a cohort's attendance matrix, development hours."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from app.reports.rules import cpd_hours_by_year
from tests.factories import headers, make_appointment, make_official, make_programme, make_user


@pytest.fixture
def admin(db):
    return headers(make_user(db, "admin"))


def _run_cohort(client, admin, programme_code, officials, statuses, code="R1"):
    """A closed cohort of three 4-hour sessions; statuses[i][j] is official i's status at session j."""
    c = client.post(
        "/api/v1/cohorts",
        headers=admin,
        json={
            "programme_code": programme_code,
            "code": code,
            "start_date": "2025-01-05",
            "end_date": "2025-03-30",
            "capacity": 10,
        },
    ).json()
    sessions = [
        client.post(
            f"/api/v1/cohorts/{c['id']}/sessions", headers=admin, json={"date": d, "hours": 4, "title": f"מפגש {i}"}
        ).json()
        for i, d in enumerate(("2025-01-05", "2025-02-02", "2025-03-02"), 1)
    ]
    for o in officials:
        assert (
            client.post(f"/api/v1/cohorts/{c['id']}/enrolments", json={"official_id": o.id}, headers=admin).status_code
            == 201
        )
    for j, s in enumerate(sessions):
        records = [{"official_id": o.id, "status": statuses[i][j]} for i, o in enumerate(officials)]
        r = client.put(f"/api/v1/sessions/{s['id']}/attendance", json={"records": records}, headers=admin)
        assert r.status_code == 200, r.text
    return c, sessions


def test_attendance_matrix_json_csv_xlsx(client, db, admin):
    p = make_programme(db, kind="advanced")
    a = make_official(db, first_name_he="אבי", last_name_he="אלון")
    b = make_official(db, first_name_he="בתיה", last_name_he="ברק")
    c, _sessions = _run_cohort(
        client, admin, p.code, [a, b], [["present", "late", "absent"], ["present", "present", "excused"]]
    )
    m = client.get(f"/api/v1/cohorts/{c['id']}/attendance", headers=admin).json()
    assert m["scheduled_hours"] == 12 and [s["date"] for s in m["sessions"]] == [
        "2025-01-05",
        "2025-02-02",
        "2025-03-02",
    ]
    rows = {r["official_id"]: r for r in m["items"]}
    assert rows[a.id]["statuses"] == ["present", "late", "absent"]
    assert rows[a.id]["attended_hours"] == 4 + 4 * m["late_credit_pct"] / 100
    assert rows[b.id]["attended_hours"] == 8 and rows[b.id]["attended_pct"] == pytest.approx(66.7)

    r = client.get(f"/api/v1/cohorts/{c['id']}/attendance.csv", headers=admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][0] == "שם" and len(table[0]) == 1 + 3 + 2
    assert table[-1][1:4] == ["2", "2", "0"]  # present at each session (late counts as there)

    x = client.get(f"/api/v1/cohorts/{c['id']}/attendance.xlsx", headers=admin)
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws.sheet_view.rightToLeft is True
    names = [ws.cell(row=i, column=1).value for i in range(4, 6)]
    assert set(names) == {"אבי אלון", "בתיה ברק"}


def test_transcript_across_appointments_and_decisions(client, db, admin):
    make_programme(db, code="TREAS")
    make_programme(db, code="ADV-1", kind="advanced")
    o = make_official(db)
    make_appointment(db, o, authority="0031", start=date(2024, 1, 1), end=date(2024, 12, 31))
    make_appointment(db, o, authority="31", start=date(2025, 1, 1))
    _run_cohort(client, admin, "TREAS", [o], [["present", "present", "present"]])
    client.post(
        f"/api/v1/officials/{o.id}/completions",
        headers=admin,
        json={"programme_code": "ADV-1", "completed_on": "2023-06-01", "reason": "external course, 2023"},
    )
    t = client.get(f"/api/v1/officials/{o.id}/transcript", headers=admin).json()
    assert t["national_id"] == o.national_id and t["total"] == 2
    first, second = t["items"]
    assert (first["programme_code"], first["by_decision"], first["decision_reason"]) == (
        "ADV-1",
        True,
        "external course, 2023",
    )
    assert (second["programme_code"], second["cohort_code"], second["scheduled_hours"]) == ("TREAS", "R1", 12)
    x = client.get(f"/api/v1/officials/{o.id}/transcript.xlsx", params={"lang": "en"}, headers=admin)
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws.sheet_view.rightToLeft in (False, None)
    assert ws.cell(row=3, column=1).value == "Programme code"


def test_exports_neutralise_formulas(client, db, admin):
    make_programme(db, code="ADV-2", kind="advanced")
    o = make_official(db)
    client.post(
        f"/api/v1/officials/{o.id}/completions",
        headers=admin,
        json={"programme_code": "ADV-2", "completed_on": "2024-01-01", "reason": '=HYPERLINK("x")'},
    )
    r = client.get(f"/api/v1/officials/{o.id}/transcript.csv", headers=admin)
    assert "'=HYPERLINK" in r.content.decode("utf-8-sig")
    x = client.get(f"/api/v1/officials/{o.id}/transcript.xlsx", headers=admin)
    ws = load_workbook(io.BytesIO(x.content)).active
    values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert '\'=HYPERLINK("x")' in values and not any(v.startswith("=") for v in values)


def test_cpd_hours_accumulate_per_year_for_advanced_programmes_only(client, db, admin):
    make_programme(db, code="TREAS")
    make_programme(db, code="ADV-A", kind="advanced")
    make_programme(db, code="ADV-B", kind="advanced")
    o = make_official(db)
    for code, d in (("TREAS", "2024-03-01"), ("ADV-A", "2024-05-01"), ("ADV-B", "2024-11-01"), ("ADV-A", "2025-02-01")):
        client.post(
            f"/api/v1/officials/{o.id}/completions",
            headers=admin,
            json={"programme_code": code, "completed_on": d, "reason": "record"},
        )
    cpd = client.get(f"/api/v1/officials/{o.id}/cpd", headers=admin).json()
    assert [(y["year"], y["hours"], y["programmes"]) for y in cpd["items"]] == [
        (2025, 120, ["ADV-A"]),
        (2024, 240, ["ADV-A", "ADV-B"]),
    ]
    assert cpd["total_hours"] == 360


def test_cpd_rule():
    assert cpd_hours_by_year([]) == []
    assert cpd_hours_by_year([(date(2024, 1, 1), 10.5, "B"), (date(2024, 6, 1), 2, "A")]) == [(2024, 12.5, ["A", "B"])]


def test_records_are_scoped(client, db, admin):
    mine = make_official(db)
    make_appointment(db, mine, authority="0031", role="legal_adviser")
    other = make_official(db)
    make_appointment(db, other, authority="31", role="legal_adviser")
    liaison = headers(make_user(db, "liaison", authority="0031"))
    assert client.get(f"/api/v1/officials/{mine.id}/transcript", headers=liaison).status_code == 200
    for path in ("transcript", "transcript.csv", "cpd"):
        assert client.get(f"/api/v1/officials/{other.id}/{path}", headers=liaison).status_code == 404
    me = headers(make_user(db, "official", official=mine))
    assert client.get(f"/api/v1/officials/{mine.id}/transcript.xlsx", headers=me).status_code == 200
    assert client.get(f"/api/v1/officials/{other.id}/cpd", headers=me).status_code == 404
