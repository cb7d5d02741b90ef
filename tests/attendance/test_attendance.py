"""Attendance, assessments, closing a cohort and completion by decision, through the API."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import xlsxwriter

from app.config import get_settings
from tests.factories import headers, make_appointment, make_official, make_user, national_id

DATES = ["2025-03-10", "2025-03-17", "2025-03-24", "2025-03-31", "2025-04-07"]
LAST = DATES[-1]


@pytest.fixture
def admin(db):
    return headers(make_user(db, "admin"))


def _programme(client, admin, code="TREAS", **kw):
    body = {
        "code": code,
        "kind": "mandatory",
        "title_he": "הכשרת גזברים",
        "title_en": "Treasurers' entry training",
        "hours": 20,
        "min_attendance_pct": 80,
        "late_credit_pct": 50,
        "role_codes": ["treasurer"],
        "assessments": [{"code": "final_project", "title_he": "עבודת גמר", "title_en": "Final project"}],
        **kw,
    }
    r = client.post("/api/v1/programmes", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()


def _cohort(client, admin, programme="TREAS", code="T-2025", capacity=10, dates=DATES, hours=4):
    body = {
        "programme_code": programme,
        "code": code,
        "start_date": "2025-03-01",
        "end_date": "2025-06-30",
        "capacity": capacity,
    }
    r = client.post("/api/v1/cohorts", json=body, headers=admin)
    assert r.status_code == 201, r.text
    cohort = r.json()
    sessions = []
    for d in dates:
        s = client.post(f"/api/v1/cohorts/{cohort['id']}/sessions", json={"date": d, "hours": hours}, headers=admin)
        assert s.status_code == 201, s.text
        sessions.append(s.json()["id"])
    return cohort, sessions


def _enrol(client, admin, cohort_id, official):
    r = client.post(f"/api/v1/cohorts/{cohort_id}/enrolments", json={"official_id": official.id}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()


def _mark(client, admin, session_id, *records):
    body = {"records": [{"official_id": o.id, "status": s} for o, s in records]}
    return client.put(f"/api/v1/sessions/{session_id}/attendance", json=body, headers=admin)


def _mark_all(client, admin, sessions, official, statuses):
    for sid, status in zip(sessions, statuses, strict=True):
        r = _mark(client, admin, sid, (official, status))
        assert r.status_code == 200 and r.json()["refused"] == 0, r.text


def _result(client, admin, enrolment_id, passed, code="final_project", **kw):
    return client.put(
        f"/api/v1/enrolments/{enrolment_id}/assessments/{code}", json={"passed": passed, **kw}, headers=admin
    )


def _requirement(client, admin, official, as_of, appointment_id=None):
    r = client.get(f"/api/v1/officials/{official.id}/requirements", params={"as_of": as_of}, headers=admin)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    if appointment_id is not None:
        items = [i for i in items if i["appointment_id"] == appointment_id]
    [req] = items
    return req


def _enrolments(client, admin, cohort_id):
    r = client.get(f"/api/v1/cohorts/{cohort_id}/enrolments", headers=admin)
    return {e["official_id"]: e for e in r.json()["items"]}


def test_a_cohort_from_attendance_to_completion(client, db, admin):
    _programme(client, admin)
    a, b, c, late_one, waiting, stranger = (make_official(db) for _ in range(6))
    for o in (a, b, c, waiting, stranger):
        make_appointment(db, o, start=date(2024, 1, 1))  # due 2026-01-01
    make_appointment(db, late_one, start=date(2023, 1, 1))  # due 2025-01-01: completes late
    cohort, sessions = _cohort(client, admin, capacity=4)
    enrolments = {o.id: _enrol(client, admin, cohort["id"], o) for o in (a, b, c, late_one, waiting)}
    assert enrolments[waiting.id]["status"] == "waitlisted"
    assert _requirement(client, admin, a, LAST)["status"] == "in_progress"

    # The whole cohort in one request; the waitlisted, the stranger and a repeated row are refused one by one.
    r = _mark(
        client,
        admin,
        sessions[0],
        (a, "present"),
        (b, "present"),
        (waiting, "present"),
        (c, "present"),
        (stranger, "present"),
        (a, "absent"),
        (late_one, "present"),
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["created"], report["updated"], report["unchanged"], report["refused"]) == (4, 0, 0, 3)
    assert [(row["row"], row["result"], row["error"]) for row in report["rows"]] == [
        (1, "created", None),
        (2, "created", None),
        (3, "refused", "no_seat"),
        (4, "created", None),
        (5, "refused", "not_enrolled"),
        (6, "refused", "duplicate_row"),
        (7, "created", None),
    ]
    assert "waitlisted" in report["rows"][2]["detail"] and "row 1" in report["rows"][5]["detail"]
    listed = client.get(f"/api/v1/sessions/{sessions[0]}/attendance", headers=admin).json()
    assert {(i["official_id"], i["status"]) for i in listed["items"]} == {
        (a.id, "present"),
        (b.id, "present"),
        (c.id, "present"),
        (late_one.id, "present"),
    }
    assert listed["items"][0]["session_date"] == DATES[0]

    _mark_all(client, admin, sessions[1:4], a, ["present", "present", "present"])
    _mark_all(client, admin, sessions[1:], b, ["present", "present", "late", "late"])  # 16 h: just enough
    _mark_all(client, admin, sessions[1:], c, ["present", "present", "excused", "absent"])  # 8 h
    _mark_all(client, admin, sessions[1:], late_one, ["present"] * 4)

    # A correction of the last session is kept in the audit trail with before and after.
    first = _mark(client, admin, sessions[4], (a, "absent")).json()
    assert first["created"] == 1
    body = {"records": [{"official_id": a.id, "status": "late", "note": "הגיע בעשר"}]}
    fixed = client.put(f"/api/v1/sessions/{sessions[4]}/attendance", json=body, headers=admin).json()
    assert fixed["updated"] == 1 and fixed["rows"][0]["record_id"] == first["rows"][0]["record_id"]
    # Sent again without a note: nothing changes and the note stays.
    again = _mark(client, admin, sessions[4], (a, "late")).json()
    assert again["unchanged"] == 1
    trail = client.get(
        "/api/v1/audit",
        params={"entity_type": "attendance", "entity_id": str(fixed["rows"][0]["record_id"])},
        headers=admin,
    ).json()["items"]
    assert [e["action"] for e in trail] == ["update", "create"]
    assert (trail[0]["before"]["status"], trail[0]["after"]["status"]) == ("absent", "late")
    assert trail[0]["after"]["note"] == "הגיע בעשר" and trail[0]["before"]["note"] is None

    # Assessment results; a code the cohort does not require is 422 naming the code.
    for official, passed in ((a, True), (b, False), (c, True), (late_one, True)):
        r = _result(client, admin, enrolments[official.id]["id"], passed, grade=92 if passed else 41)
        assert r.status_code == 200, r.text
    assert r.json()["passed"] is True and r.json()["grade"] == 92 and r.json()["code"] == "final_project"
    bad = _result(client, admin, enrolments[a.id]["id"], True, code="oral_exam")
    assert bad.status_code == 422 and bad.json()["field"] == "code" and "final_project" in bad.json()["detail"]
    results = client.get(f"/api/v1/enrolments/{enrolments[b.id]['id']}/assessments", headers=admin).json()
    assert [(i["code"], i["passed"], i["grade"]) for i in results["items"]] == [("final_project", False, 41)]
    progress = client.get(f"/api/v1/enrolments/{enrolments[a.id]['id']}/progress", headers=admin).json()
    assert (progress["attended_hours"], progress["scheduled_hours"], progress["required_hours"]) == (18, 20, 16)
    assert [s["status"] for s in progress["sessions"]] == ["present"] * 4 + ["late"]

    # Close: decided by rule 5, dated the last session, the waitlist withdrawn.
    r = client.post(f"/api/v1/cohorts/{cohort['id']}/close", headers=admin)
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["total"] == 4 and closed["closed_on"] == LAST and closed["withdrawn_from_waitlist"] == 1
    outcome = {i["official_id"]: (i["result"], i["attended_hours"]) for i in closed["items"]}
    assert outcome == {
        a.id: ("completed", 18.0),  # 4 present + a late at 50%
        b.id: ("not_completed", 16.0),
        c.id: ("not_completed", 12.0),
        late_one.id: ("completed", 20.0),
    }
    reasons = {i["official_id"]: i["reasons"] for i in closed["items"]}
    assert reasons[b.id] == ["assessment final_project not passed"]
    assert reasons[c.id] == ["attended 12 of 20 hours, 80% (16 hours) needed"]
    assert reasons[a.id] == []

    listed = _enrolments(client, admin, cohort["id"])
    assert (listed[a.id]["status"], listed[a.id]["completed_on"], listed[a.id]["attended_hours"]) == (
        "completed",
        LAST,
        18.0,
    )
    assert (listed[c.id]["status"], listed[c.id]["completed_on"]) == ("not_completed", None)
    assert (listed[waiting.id]["status"], listed[waiting.id]["ended_on"]) == ("withdrawn", LAST)
    assert listed[a.id]["decision_reason"] is None

    # The requirement is completed as of the last session's date, not the day of closing.
    done = _requirement(client, admin, a, LAST)
    assert (done["status"], done["late"], done["completed_on"]) == ("completed", False, LAST)
    day_before = (date.fromisoformat(LAST) - timedelta(days=1)).isoformat()
    assert _requirement(client, admin, a, day_before)["status"] == "in_progress"
    late = _requirement(client, admin, late_one, LAST)
    assert (late["status"], late["late"]) == ("completed", True)
    assert _requirement(client, admin, c, "2025-06-01")["status"] == "not_started"
    completions = client.get(f"/api/v1/officials/{a.id}/completions", headers=admin).json()["items"]
    assert [(x["source"], x["completed_on"]) for x in completions] == [("cohort", LAST)]

    state = client.get(f"/api/v1/cohorts/{cohort['id']}", headers=admin).json()
    assert state["state"] == "closed"
    events = client.get(
        "/api/v1/audit", params={"entity_type": "cohort", "entity_id": str(cohort["id"])}, headers=admin
    )
    close_event = events.json()["items"][0]
    assert close_event["action"] == "close" and close_event["after"]["state"] == "closed"
    assert close_event["after"]["closed_at"] is not None

    # Closed means decided: a second close, attendance and results afterwards are 409, and nothing changes.
    again = client.post(f"/api/v1/cohorts/{cohort['id']}/close", headers=admin)
    assert again.status_code == 409 and again.json()["error"] == "cohort_closed"
    late_fix = _mark(client, admin, sessions[0], (c, "present"))
    assert late_fix.status_code == 409 and "corrections after closing are not possible" in late_fix.json()["detail"]
    assert _result(client, admin, enrolments[b.id]["id"], True).status_code == 409
    assert len(client.get(f"/api/v1/officials/{a.id}/completions", headers=admin).json()["items"]) == 1


def test_attendance_for_another_cohorts_official_is_refused_while_the_rest_is_written(client, db, admin):
    _programme(client, admin)
    mine, theirs = make_official(db), make_official(db)
    cohort, sessions = _cohort(client, admin, code="A")
    other, _ = _cohort(client, admin, code="B", dates=[])
    _enrol(client, admin, cohort["id"], mine)
    _enrol(client, admin, other["id"], theirs)
    report = _mark(client, admin, sessions[0], (theirs, "present"), (mine, "late")).json()
    assert [r["result"] for r in report["rows"]] == ["refused", "created"]
    assert report["rows"][0]["error"] == "not_enrolled" and "cohort A" in report["rows"][0]["detail"]
    # A withdrawn official no longer takes a seat either.
    e = _enrol(client, admin, cohort["id"], theirs_two := make_official(db))
    client.post(f"/api/v1/enrolments/{e['id']}/withdraw", headers=admin)
    refused = _mark(client, admin, sessions[0], (theirs_two, "present")).json()["rows"][0]
    assert (refused["result"], refused["error"]) == ("refused", "no_seat") and "withdrawn" in refused["detail"]


def test_a_cohort_keeps_the_rules_it_was_opened_under(client, db, admin):
    _programme(client, admin)
    o = make_official(db)
    cohort, sessions = _cohort(client, admin)
    r = client.patch("/api/v1/programmes/TREAS", json={"min_attendance_pct": 50, "late_credit_pct": 100}, headers=admin)
    assert r.status_code == 200 and r.json()["min_attendance_pct"] == 50
    e = _enrol(client, admin, cohort["id"], o)
    _mark_all(client, admin, sessions, o, ["present", "present", "present", "late", "absent"])
    _result(client, admin, e["id"], True)
    assert client.get(f"/api/v1/cohorts/{cohort['id']}", headers=admin).json()["min_attendance_pct"] == 80
    [item] = client.post(f"/api/v1/cohorts/{cohort['id']}/close", headers=admin).json()["items"]
    # Under the old rules: 12 + 2 (late at 50%) = 14 of the 16 needed. The new ones would have passed it.
    assert (item["result"], item["attended_hours"]) == ("not_completed", 14.0)


def _sheet(lines, encoding="cp1255"):
    return {"file": ("attendance.csv", "\r\n".join(lines).encode(encoding), "text/csv")}


def test_csv_import_from_excel_in_windows_1255_with_semicolons(client, db, admin):
    _programme(client, admin)
    zero = make_official(db, national_id=national_id(1_234_567))  # 0123456 7x: Excel drops the zero
    other, outsider = make_official(db), make_official(db)
    cohort, sessions = _cohort(client, admin)
    foreign, foreign_sessions = _cohort(client, admin, code="F", dates=["2025-03-10"])
    for o in (zero, other):
        _enrol(client, admin, cohort["id"], o)
    lines = [
        'ת"ז;תאריך;נוכחות;הערה',
        f"{zero.national_id.lstrip('0')};10/03/2025;נוכח;",
        f"{other.national_id};10/03/2025;איחור;פקק ברחוב",
        f"{other.national_id};2025-03-17;נעדרת;",
        f"{zero.national_id};11/03/2025;נוכח;",  # no session that day
        f"{outsider.national_id};10/03/2025;נוכח;",  # not enrolled
        "123456789;10/03/2025;נוכח;",  # bad check digit
        f"{zero.national_id};17/03/2025;אולי;",  # not a status
        f"{zero.national_id};10/03/2025;מוצדק;",  # the same person and session again
    ]
    r = client.post(f"/api/v1/cohorts/{cohort['id']}/attendance/import", files=_sheet(lines), headers=admin)
    assert r.status_code == 200, r.text
    report = r.json()
    assert [(x["row"], x["result"], x["error"]) for x in report["rows"]] == [
        (2, "created", None),
        (3, "created", None),
        (4, "created", None),
        (5, "refused", "no_session"),
        (6, "refused", "not_enrolled"),
        (7, "refused", "invalid"),
        (8, "refused", "invalid"),
        (9, "refused", "duplicate_row"),
    ]
    assert report["rows"][0]["national_id"] == zero.national_id
    assert "2025-03-11" in report["rows"][3]["detail"] and "check digit" in report["rows"][5]["detail"]
    assert report["rows"][6]["detail"].startswith("status:")
    listed = client.get(f"/api/v1/sessions/{sessions[0]}/attendance", headers=admin).json()["items"]
    assert {(i["official_id"], i["status"], i["note"]) for i in listed} == {
        (zero.id, "present", None),
        (other.id, "late", "פקק ברחוב"),
    }

    # By session id, in UTF-8 with a BOM and commas: a session of another cohort is refused.
    lines = [
        "national_id,session_id,status",
        f"{zero.national_id},{foreign_sessions[0]},present",
        f"{zero.national_id},{sessions[1]},late",
        f"{other.national_id},{sessions[1]},absent",
        f"{other.national_id},²,absent",
    ]
    r = client.post(
        f"/api/v1/cohorts/{cohort['id']}/attendance/import", files=_sheet(lines, "utf-8-sig"), headers=admin
    )
    rows = r.json()["rows"]
    assert [(x["result"], x["error"]) for x in rows] == [
        ("refused", "other_cohort"),
        ("created", None),
        ("unchanged", None),
        ("refused", "invalid"),
    ]
    assert foreign["code"] == "F" and "not a session of cohort T-2025" in rows[0]["detail"]


def test_csv_import_refuses_files_it_cannot_use(client, db, admin, monkeypatch):
    _programme(client, admin)
    cohort, _ = _cohort(client, admin)
    url = f"/api/v1/cohorts/{cohort['id']}/attendance/import"
    r = client.post(url, files=_sheet(["national_id;status", "18;present"]), headers=admin)
    assert r.status_code == 422 and r.json()["error"] == "missing_column" and r.json()["field"] == "file"
    monkeypatch.setattr(get_settings(), "upload_max_bytes", 64)
    big = ["national_id,session_date,status"] + [f"18,2025-03-10,present{i}" for i in range(10)]
    r = client.post(url, files=_sheet(big), headers=admin)
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert (
        client.post("/api/v1/cohorts/987654/attendance/import", files=_sheet(["x"]), headers=admin).status_code == 404
    )


def test_xlsx_import_with_numbers_as_ids_and_real_date_cells(client, db, admin, monkeypatch):
    _programme(client, admin)
    zero, other = make_official(db, national_id=national_id(1_234_567)), make_official(db)
    cohort, sessions = _cohort(client, admin)
    for o in (zero, other):
        _enrol(client, admin, cohort["id"], o)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("נוכחות")
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, ["ת״ז", "תאריך", "נוכחות", "הערה"])
    sheet.write_number(1, 0, int(zero.national_id))  # a number: Excel shows it without its leading zero
    sheet.write_datetime(1, 1, date(2025, 3, 10), day)
    sheet.write_string(1, 2, "נוכח")
    sheet.write_string(2, 0, other.national_id)
    sheet.write_datetime(2, 1, date(2025, 3, 17), day)
    sheet.write_row(2, 2, ["איחור", "פקק ברחוב"])
    sheet.write_number(3, 0, int(other.national_id))
    sheet.write_datetime(3, 1, date(2025, 3, 11), day)  # no session that day
    sheet.write_string(3, 2, "נוכח")
    book.close()
    url = f"/api/v1/cohorts/{cohort['id']}/attendance/import"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    r = client.post(url, files={"file": ("attendance.xlsx", buf.getvalue(), xlsx)}, headers=admin)
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert [(x["row"], x["national_id"], x["result"], x["error"]) for x in rows] == [
        (2, zero.national_id, "created", None),
        (3, other.national_id, "created", None),
        (4, other.national_id, "refused", "no_session"),
    ]
    assert [x["session_id"] for x in rows[:2]] == sessions[:2] and "2025-03-11" in rows[2]["detail"]
    # The workbook limit holds for attendance as for every import.
    monkeypatch.setattr(get_settings(), "xlsx_max_uncompressed_bytes", 1000)
    r = client.post(url, files={"file": ("attendance.xlsx", buf.getvalue(), xlsx)}, headers=admin)
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_completion_by_decision_is_kept_and_shown_as_such(client, db, admin):
    _programme(client, admin)
    decided, failed, waiting = make_official(db), make_official(db), make_official(db)
    for o in (decided, failed):
        make_appointment(db, o, start=date(2024, 1, 1))
    cohort, sessions = _cohort(client, admin, capacity=2)
    e_decided = _enrol(client, admin, cohort["id"], decided)
    e_failed = _enrol(client, admin, cohort["id"], failed)
    e_waiting = _enrol(client, admin, cohort["id"], waiting)
    _mark(client, admin, sessions[0], (decided, "present"), (failed, "present"))
    url = f"/api/v1/enrolments/{e_decided['id']}/complete"

    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    r = client.post(url, json={"completed_on": tomorrow, "reason": "equivalent course"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "completed_on"
    r = client.post(url, json={"completed_on": "2025-02-01", "reason": "equivalent course"}, headers=admin)
    assert r.status_code == 422 and "before cohort" in r.json()["detail"]
    r = client.post(url, json={"completed_on": "2025-03-20"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = client.post(url, json={"completed_on": "2025-03-20", "reason": "  "}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "reason"
    waiting_r = client.post(
        f"/api/v1/enrolments/{e_waiting['id']}/complete",
        json={"completed_on": "2025-03-20", "reason": "equivalent course"},
        headers=admin,
    )
    assert waiting_r.status_code == 409 and waiting_r.json()["error"] == "wrong_state"

    reason = "השלים קורס מקביל במרכז השלטון המקומי"
    r = client.post(url, json={"completed_on": "2025-03-20", "reason": reason}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["completed_on"], body["decision_reason"], body["attended_hours"]) == (
        "completed",
        "2025-03-20",
        reason,
        4.0,
    )
    again = client.post(url, json={"completed_on": "2025-03-21", "reason": "once more"}, headers=admin)
    assert again.status_code == 409 and again.json()["error"] == "already_completed"
    assert _enrolments(client, admin, cohort["id"])[decided.id]["decision_reason"] == reason
    req = _requirement(client, admin, decided, "2025-03-20")
    assert (req["status"], req["completed_on"]) == ("completed", "2025-03-20")
    [completion] = client.get(f"/api/v1/officials/{decided.id}/completions", headers=admin).json()["items"]
    assert (completion["source"], completion["reason"]) == ("decision", reason)

    # Closing keeps the decision, and decides the others by the rules.
    closed = client.post(f"/api/v1/cohorts/{cohort['id']}/close", headers=admin).json()
    items = {i["official_id"]: i for i in closed["items"]}
    assert (items[decided.id]["result"], items[decided.id]["by_decision"]) == ("completed", True)
    assert items[decided.id]["completed_on"] == "2025-03-20"
    assert (items[failed.id]["result"], items[failed.id]["by_decision"]) == ("not_completed", False)
    assert len(client.get(f"/api/v1/officials/{decided.id}/completions", headers=admin).json()["items"]) == 1

    # Not completed when the cohort closed: an admin may still decide it, after the fact.
    r = client.post(
        f"/api/v1/enrolments/{e_failed['id']}/complete",
        json={"completed_on": "2025-05-01", "reason": "final project accepted late by the committee"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["attended_hours"]) == ("completed", 4.0)
    assert _requirement(client, admin, failed, "2025-05-01")["status"] == "completed"
    assert _requirement(client, admin, failed, "2025-04-30")["status"] == "not_started"


def test_a_completion_carries_over_to_a_later_appointment_within_validity(client, db, admin):
    _programme(client, admin, validity_years=1)
    o = make_official(db)
    first = make_appointment(db, o, authority="0031", start=date(2024, 1, 1), end=date(2025, 12, 31))
    cohort, sessions = _cohort(client, admin)
    e = _enrol(client, admin, cohort["id"], o)
    _mark_all(client, admin, sessions, o, ["present"] * 5)
    _result(client, admin, e["id"], True)
    assert client.post(f"/api/v1/cohorts/{cohort['id']}/close", headers=admin).status_code == 200
    within = make_appointment(db, o, authority="0070", start=date(2026, 3, 1), end=date(2026, 5, 31))
    beyond = make_appointment(db, o, authority="2400", start=date(2026, 6, 1))
    assert _requirement(client, admin, o, LAST, first.id)["status"] == "completed"
    carried = _requirement(client, admin, o, "2026-03-01", within.id)
    assert (carried["status"], carried["completed_on"]) == ("completed", LAST)
    # Completed 2025-04-07 with a validity of one year: no longer valid when the appointment of June 2026 began.
    assert _requirement(client, admin, o, "2026-06-01", beyond.id)["status"] == "not_started"


def test_bad_requests(client, db, admin):
    _programme(client, admin)
    o = make_official(db)
    cohort, sessions = _cohort(client, admin)
    e = _enrol(client, admin, cohort["id"], o)
    put = f"/api/v1/sessions/{sessions[0]}/attendance"
    assert client.put("/api/v1/sessions/987654/attendance", json={"records": []}, headers=admin).status_code == 422
    r = client.put(
        "/api/v1/sessions/987654/attendance",
        json={"records": [{"official_id": o.id, "status": "present"}]},
        headers=admin,
    )
    assert r.status_code == 404
    r = client.put(put, json={"records": [{"official_id": o.id, "status": "maybe"}]}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "records.0.status"
    r = client.put(put, json={"records": []}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "records"
    for body in ({"passed": "yes"}, {"passed": True, "grade": 101}, {"passed": True, "grade": -1}, {}):
        r = client.put(f"/api/v1/enrolments/{e['id']}/assessments/final_project", json=body, headers=admin)
        assert r.status_code == 422, body
    for code in ("oral exam", "x" * 41):
        r = _result(client, admin, e["id"], True, code=code)
        assert r.status_code == 422 and r.json()["field"] == "code", code
    # A NUL in the path is refused before any route (PostgreSQL could not even compare it).
    r = _result(client, admin, e["id"], True, code="%00")
    assert r.status_code == 422 and r.json()["field"] == "path"
    assert client.post("/api/v1/cohorts/987654/close", headers=admin).status_code == 404
    assert (
        client.put(
            "/api/v1/enrolments/987654/assessments/final_project", json={"passed": True}, headers=admin
        ).status_code
        == 404
    )

    # A cohort with no sessions has nothing to decide; a cancelled one takes no attendance and cannot close.
    empty, _ = _cohort(client, admin, code="EMPTY", dates=[])
    r = client.post(f"/api/v1/cohorts/{empty['id']}/close", headers=admin)
    assert r.status_code == 409 and r.json()["error"] == "no_sessions"
    assert client.get(f"/api/v1/cohorts/{empty['id']}", headers=admin).json()["state"] == "open"
    client.patch(f"/api/v1/cohorts/{cohort['id']}", json={"state": "cancelled"}, headers=admin)
    r = client.post(f"/api/v1/cohorts/{cohort['id']}/close", headers=admin)
    assert r.status_code == 409 and r.json()["error"] == "cohort_cancelled"
    r = _mark(client, admin, sessions[0], (o, "present"))
    assert r.status_code == 409 and r.json()["error"] == "cohort_cancelled"


def test_only_admins_write_and_reads_are_scoped(client, db, admin):
    _programme(client, admin)
    mine, theirs = make_official(db), make_official(db)
    make_appointment(db, mine, authority="0031")
    make_appointment(db, theirs, authority="0070")
    cohort, sessions = _cohort(client, admin)
    e_mine = _enrol(client, admin, cohort["id"], mine)
    e_theirs = _enrol(client, admin, cohort["id"], theirs)
    _mark(client, admin, sessions[0], (mine, "present"), (theirs, "late"))
    liaison = headers(make_user(db, "liaison", authority="0031"))
    own = headers(make_user(db, "official", official=theirs))
    auditor = headers(make_user(db, "auditor"))

    for who in (liaison, own, auditor):
        assert _mark(client, who, sessions[0], (mine, "absent")).status_code == 403
        assert client.post(f"/api/v1/cohorts/{cohort['id']}/close", headers=who).status_code == 403
        assert _result(client, who, e_mine["id"], True).status_code == 403
    assert client.put(f"/api/v1/sessions/{sessions[0]}/attendance", json={"records": []}).status_code == 401

    def seen(h):
        r = client.get(f"/api/v1/sessions/{sessions[0]}/attendance", headers=h)
        assert r.status_code == 200, r.text
        return {i["official_id"] for i in r.json()["items"]}

    assert seen(auditor) == {mine.id, theirs.id}
    assert seen(liaison) == {mine.id}
    assert seen(own) == {theirs.id}
    assert client.get(f"/api/v1/enrolments/{e_theirs['id']}/assessments", headers=liaison).status_code == 404
    assert client.get(f"/api/v1/enrolments/{e_mine['id']}/assessments", headers=liaison).status_code == 200
    assert client.get(f"/api/v1/enrolments/{e_mine['id']}/progress", headers=own).status_code == 404
    progress = client.get(f"/api/v1/enrolments/{e_theirs['id']}/progress", headers=own).json()
    assert (progress["attended_hours"], progress["sessions"][0]["status"]) == (2.0, "late")
