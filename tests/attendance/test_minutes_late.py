"""Minutes late: a late arrival may carry how late it was, and then counts for the time attended (the session's
hours less the minutes) instead of the cohort's late share, wherever hours attended are counted: progress, the
attendance matrix, the check before closing, the close and completion by decision. Through the API (PUT and the
sheet import, with 422 for minutes a record cannot carry) and through the attendance screen's form."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.attendance.models import AttendanceRecord
from app.attendance.schemas import AttendanceIn
from app.attendance.service import record_attendance
from tests.attendance.test_attendance import _cohort, _enrol, _programme, _result
from tests.attendance.test_pages import seed_cohort
from tests.factories import ACTOR, headers, make_appointment, make_official, make_user
from tests.factories import sign_in as start_session

THREE = ["2025-03-10", "2025-03-17", "2025-03-24"]


@pytest.fixture
def admin(db):
    return headers(make_user(db, "admin"))


def _put(client, admin, session_id, *records):
    return client.put(f"/api/v1/sessions/{session_id}/attendance", json={"records": list(records)}, headers=admin)


def _stored(db: Session, session_id: int) -> dict[int, tuple[str, int | None]]:
    rows = db.execute(
        select(AttendanceRecord.official_id, AttendanceRecord.status, AttendanceRecord.minutes_late).where(
            AttendanceRecord.session_id == session_id
        )
    )
    return {oid: (status, minutes) for oid, status, minutes in rows}


def _running(client, db, admin, people=2, dates=THREE, **programme):
    _programme(client, admin, **programme)
    officials = [make_official(db) for _ in range(people)]
    for o in officials:
        make_appointment(db, o, start=date(2024, 1, 1))
    cohort, sessions = _cohort(client, admin, dates=dates)
    enrolments = [_enrol(client, admin, cohort["id"], o) for o in officials]
    return cohort, sessions, officials, enrolments


# --- the API -------------------------------------------------------------------------------------------


def test_minutes_late_are_recorded_listed_reported_and_audited(client, db, admin):
    _, sessions, (a, _), _ = _running(client, db, admin)
    sid = sessions[0]
    r = _put(client, admin, sid, {"official_id": a.id, "status": "late", "minutes_late": 30})
    assert r.status_code == 200, r.text
    row = r.json()["rows"][0]
    assert (row["result"], row["minutes_late"]) == ("created", 30)
    listed = client.get(f"/api/v1/sessions/{sid}/attendance", headers=admin).json()["items"]
    assert [(i["status"], i["minutes_late"]) for i in listed] == [("late", 30)]

    # The same again: unchanged. Other minutes: updated, with before and after in the audit trail.
    assert (
        _put(client, admin, sid, {"official_id": a.id, "status": "late", "minutes_late": 30}).json()["unchanged"] == 1
    )
    assert _put(client, admin, sid, {"official_id": a.id, "status": "late", "minutes_late": 45}).json()["updated"] == 1
    trail = client.get(
        "/api/v1/audit", params={"entity_type": "attendance", "entity_id": str(row["record_id"])}, headers=admin
    ).json()["items"]
    assert (trail[0]["before"]["minutes_late"], trail[0]["after"]["minutes_late"]) == (30, 45)

    # Late without minutes keeps none (the late share then applies); changing away from late clears them.
    assert _put(client, admin, sid, {"official_id": a.id, "status": "late"}).json()["updated"] == 1
    assert _stored(db, sid) == {a.id: ("late", None)}
    _put(client, admin, sid, {"official_id": a.id, "status": "late", "minutes_late": 20})
    assert _put(client, admin, sid, {"official_id": a.id, "status": "present"}).json()["updated"] == 1
    assert _stored(db, sid) == {a.id: ("present", None)}


@pytest.mark.parametrize(
    ("record", "detail"),
    [
        ({"status": "present", "minutes_late": 10}, "only a late arrival carries minutes late"),
        ({"status": "excused", "minutes_late": 10}, "this record is excused"),
        ({"status": "absent", "minutes_late": 1}, "this record is absent"),
        ({"status": "late", "minutes_late": 0}, "greater than or equal to 1"),
        ({"status": "late", "minutes_late": "ten"}, "valid integer"),
        ({"status": "late", "minutes_late": 12.5}, "integer"),
    ],
)
def test_minutes_a_record_cannot_carry_are_422_naming_the_field_and_nothing_is_written(
    client, db, admin, record, detail
):
    _, sessions, (a, b), _ = _running(client, db, admin)
    r = _put(client, admin, sessions[0], {"official_id": b.id, "status": "present"}, {"official_id": a.id, **record})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["field"] == "records.1.minutes_late" and detail in body["detail"], body
    assert _stored(db, sessions[0]) == {}


def test_minutes_beyond_the_session_length_are_422_and_its_whole_length_is_fine(client, db, admin):
    _, sessions, (a, b), _ = _running(client, db, admin)  # sessions of 4 hours: 240 minutes
    r = _put(
        client,
        admin,
        sessions[0],
        {"official_id": a.id, "status": "late", "minutes_late": 240},
        {"official_id": b.id, "status": "late", "minutes_late": 241},
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "records.1.minutes_late"
    assert "241 minutes is longer than the session (240 minutes)" in r.json()["detail"]
    assert _stored(db, sessions[0]) == {}
    r = _put(client, admin, sessions[0], {"official_id": a.id, "status": "late", "minutes_late": 240})
    assert r.status_code == 200 and _stored(db, sessions[0]) == {a.id: ("late", 240)}


def test_the_closing_counts_minutes_late_as_the_time_attended(client, db, admin):
    # 3 sessions of 4 h, a 50% late share, 80% needed (9.6 h). Both late once: one 180 minutes late (1 h of that
    # session, 9 h in all), the other with no minutes (the share: 2 h, 10 h in all).
    cohort, sessions, (by_minutes, by_share), enrolments = _running(client, db, admin, min_attendance_pct=80)
    for sid in sessions[:2]:
        _put(client, admin, sid, {"official_id": by_minutes.id, "status": "present"})
        _put(client, admin, sid, {"official_id": by_share.id, "status": "present"})
    _put(client, admin, sessions[2], {"official_id": by_minutes.id, "status": "late", "minutes_late": 180})
    _put(client, admin, sessions[2], {"official_id": by_share.id, "status": "late"})
    for e in enrolments:
        assert _result(client, admin, e["id"], True).status_code == 200

    progress = client.get(f"/api/v1/enrolments/{enrolments[0]['id']}/progress", headers=admin).json()
    assert progress["attended_hours"] == 9.0
    assert [(s["status"], s["minutes_late"], s["attended_hours"]) for s in progress["sessions"]] == [
        ("present", None, 4.0),
        ("present", None, 4.0),
        ("late", 180, 1.0),
    ]
    assert (
        client.get(f"/api/v1/enrolments/{enrolments[1]['id']}/progress", headers=admin).json()["attended_hours"] == 10.0
    )
    matrix = client.get(f"/api/v1/cohorts/{cohort['id']}/attendance", headers=admin).json()
    assert {i["official_id"]: i["attended_hours"] for i in matrix["items"]} == {by_minutes.id: 9.0, by_share.id: 10.0}

    closed = client.post(f"/api/v1/cohorts/{cohort['id']}/close", headers=admin).json()
    items = {i["official_id"]: i for i in closed["items"]}
    assert (items[by_minutes.id]["result"], items[by_minutes.id]["attended_hours"]) == ("not_completed", 9.0)
    assert items[by_minutes.id]["reasons"] == ["attended 9 of 12 hours, 80% (9.6 hours) needed"]
    assert (items[by_share.id]["result"], items[by_share.id]["attended_hours"]) == ("completed", 10.0)
    listed = {
        e["official_id"]: e
        for e in client.get(f"/api/v1/cohorts/{cohort['id']}/enrolments", headers=admin).json()["items"]
    }
    assert (listed[by_minutes.id]["attended_hours"], listed[by_share.id]["attended_hours"]) == (9.0, 10.0)


def test_completion_by_decision_records_the_hours_by_the_minutes(client, db, admin):
    _, sessions, (a, _), enrolments = _running(client, db, admin, people=1 + 1)
    _put(client, admin, sessions[0], {"official_id": a.id, "status": "late", "minutes_late": 90})  # 2.5 of 4 h
    r = client.post(
        f"/api/v1/enrolments/{enrolments[0]['id']}/complete",
        json={"completed_on": "2025-03-20", "reason": "השלים/ה במחזור מקביל"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["attended_hours"] == 2.5


def test_an_imported_sheet_carries_minutes_late_and_refuses_those_a_row_cannot_carry(client, db, admin):
    cohort, sessions, officials, _ = _running(client, db, admin, people=5)
    a, b, c, d, e = officials
    sheet = (
        "national_id,session_date,status,minutes_late\n"
        f"{a.national_id},10/03/2025,late,25\n"
        f"{b.national_id},10/03/2025,present,10\n"
        f"{c.national_id},10/03/2025,איחור,רבע שעה\n"
        f"{d.national_id},10/03/2025,late,241\n"
        f"{e.national_id},10/03/2025,late,\n"
    ).encode()
    r = client.post(
        f"/api/v1/cohorts/{cohort['id']}/attendance/import",
        files={"file": ("sheet.csv", sheet, "text/csv")},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert [(row["row"], row["result"], row["minutes_late"]) for row in rows] == [
        (2, "created", 25),
        (3, "refused", 10),
        (4, "refused", None),
        (5, "refused", 241),
        (6, "created", None),
    ]
    assert [row["error"] for row in rows if row["result"] == "refused"] == ["invalid"] * 3
    details = [row["detail"] for row in rows if row["result"] == "refused"]
    assert details[0] == "minutes_late: only a late arrival carries minutes late; this record is present"
    assert details[1] == "minutes_late: 'רבע שעה' is not a whole number of minutes"
    assert details[2] == "minutes_late: 241 minutes is longer than the session (240 minutes)"
    assert _stored(db, sessions[0]) == {a.id: ("late", 25), e.id: ("late", None)}


def test_the_database_refuses_minutes_on_a_record_not_late(db: Session) -> None:
    from sqlalchemy.exc import IntegrityError

    run = seed_cohort(db, people=1, sessions=1)
    o = run.officials[0]
    record_attendance(
        db, session_id=run.sessions[0].id, records=[AttendanceIn(official_id=o.id, status="present")], actor=ACTOR
    )
    record = db.scalar(select(AttendanceRecord).where(AttendanceRecord.official_id == o.id))
    assert record is not None
    with db.begin_nested():
        record.minutes_late = 10
        with pytest.raises(IntegrityError):
            db.flush()
    db.expire_all()


# --- the attendance screen -----------------------------------------------------------------------------


def _origin() -> dict[str, str]:
    return {"Origin": "http://testserver"}


@pytest.fixture
def admin_csrf(db: Session, client: TestClient) -> str:
    return start_session(db, client, make_user(db, "admin")).csrf_token


def test_the_screen_has_a_minutes_late_field_for_each_row_with_those_recorded(
    db: Session, client: TestClient, admin_csrf: str
) -> None:
    run = seed_cohort(db, people=2)  # sessions of 3 hours
    a, b = run.officials
    sid = run.sessions[0].id
    record_attendance(
        db,
        session_id=sid,
        records=[
            AttendanceIn(official_id=a.id, status="late", minutes_late=20),
            AttendanceIn(official_id=b.id, status="present"),
        ],
        actor=ACTOR,
    )
    html = client.get(f"/admin/sessions/{sid}/attendance").text
    assert f'<label class="minutes-late__label" for="minutes_late-{a.id}">דקות איחור' in html
    assert f'id="minutes_late-{a.id}" name="minutes_late-{a.id}" value="20"' in html
    assert f'id="minutes_late-{b.id}" name="minutes_late-{b.id}" value=""' in html
    assert html.count('inputmode="numeric"') == 2 and 'data-session-minutes="180"' in html
    assert 'data-attendance-status="late" data-minutes-late="20"' in html
    assert "כשנרשמו דקות האיחור, לזמן שבו נכח/ה בפועל" in html
    english = client.get(f"/admin/sessions/{sid}/attendance?lang=en").text
    assert "Minutes late" in english and "when the minutes late are recorded" in english


def test_the_form_saves_minutes_with_a_late_row_and_ignores_those_of_a_row_not_late(
    db: Session, client: TestClient, admin_csrf: str
) -> None:
    run = seed_cohort(db, people=3)
    a, b, c = run.officials
    sid = run.sessions[0].id
    form = {
        "csrf_token": admin_csrf,
        f"status-{a.id}": "late",
        f"minutes_late-{a.id}": " 35 ",
        f"status-{b.id}": "present",
        f"minutes_late-{b.id}": "15",  # left in a field hidden since the row is not late
        f"status-{c.id}": "late",
        f"minutes_late-{c.id}": "",
    }
    r = client.post(f"/admin/sessions/{sid}/attendance", data=form, headers=_origin(), follow_redirects=False)
    assert r.status_code == 303, r.text
    assert _stored(db, sid) == {a.id: ("late", 35), b.id: ("present", None), c.id: ("late", None)}


@pytest.mark.parametrize("minutes", ["abc", "0", "181", "-2"])
def test_minutes_the_form_cannot_save_are_422_at_the_field_keeping_what_was_sent(
    db: Session, client: TestClient, admin_csrf: str, minutes: str
) -> None:
    run = seed_cohort(db, people=2)
    a, b = run.officials
    sid = run.sessions[0].id
    form = {
        "csrf_token": admin_csrf,
        f"status-{a.id}": "late",
        f"minutes_late-{a.id}": minutes,
        f"status-{b.id}": "present",
    }
    r = client.post(f"/admin/sessions/{sid}/attendance?lang=he", data=form, headers=_origin())
    assert r.status_code == 422
    html = r.text
    assert f'href="#minutes_late-{a.id}"' in html
    assert "דקות האיחור של" in html and "מספר שלם מ־1 עד <bdi>180</bdi> (אורך המפגש)" in html
    assert f'value="{minutes}"' in html and f'aria-describedby="minutes_late-{a.id}-error"' in html
    assert f'value="late" id="status-{a.id}-late" checked' in html  # what was clicked is kept
    assert _stored(db, sid) == {}
    english = client.post(f"/admin/sessions/{sid}/attendance?lang=en", data=form, headers=_origin()).text
    assert "minutes late" in english.lower() and "(the session's length)" in english


def test_the_check_before_closing_shows_hours_by_the_minutes(db: Session, client: TestClient, admin_csrf: str) -> None:
    run = seed_cohort(db, people=2, sessions=3)  # 3 sessions of 3 hours
    a, b = run.officials
    for i, meeting in enumerate(run.sessions):
        late = i == 2
        records = [
            AttendanceIn(official_id=a.id, status="late", minutes_late=120)
            if late
            else AttendanceIn(official_id=a.id, status="present"),
            AttendanceIn(official_id=b.id, status="late" if late else "present"),
        ]
        record_attendance(db, session_id=meeting.id, records=records, actor=ACTOR)
    html = client.get(f"/admin/cohorts/{run.cohort.id}/close").text
    # a: 3 + 3 + 1 = 7 of 9 h (80% is 7.2: short); b: 3 + 3 + 1.5 (the share) = 7.5.
    completing, not_completing = html.split('data-closing="not-completing"')
    assert f"{a.first_name_he} {a.last_name_he}" in not_completing
    assert "נכח/ה <bdi>7</bdi> מתוך <bdi>9</bdi> שעות" in not_completing
    assert f"{b.first_name_he} {b.last_name_he}" in completing and "<bdi>7.5</bdi>" in completing


def test_an_uploaded_sheet_with_minutes_late_shows_them_and_why_a_row_was_refused(
    db: Session, client: TestClient, admin_csrf: str
) -> None:
    run = seed_cohort(db, people=2)
    meeting = run.sessions[0]
    a, b = run.officials
    day = meeting.date.strftime("%d/%m/%Y")
    sheet = f'ת"ז,תאריך,נוכחות,דקות איחור\n{a.national_id},{day},איחור,25\n{b.national_id},{day},נוכח,10\n'.encode()
    url = f"/admin/sessions/{meeting.id}/attendance/import"
    files = {"file": ("sheet.csv", sheet, "text/csv")}
    r = client.post(url, data={"csrf_token": admin_csrf}, files=files, headers=_origin())
    assert r.status_code == 200, r.text
    assert "(<bdi>25</bdi> דקות)" in r.text
    assert "דקות האיחור אינן תקינות: מספר שלם מ־1 עד אורך המפגש, ורק בשורה של איחור" in r.text
    assert _stored(db, meeting.id) == {a.id: ("late", 25)}
    english = client.post(url + "?lang=en", data={"csrf_token": admin_csrf}, files=files, headers=_origin()).text
    assert "(<bdi>25</bdi> minutes)" in english and "The minutes late are not valid" in english
