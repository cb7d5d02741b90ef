"""The school's attendance and closing pages: a session's attendance on one screen (both languages, the hooks the
script and the browser tests use), saved by the whole form without the script or row by row through the API with
the session's cookie and CSRF header; a sign-in sheet uploaded with the per-row report; the printable sign-in sheet;
the check before closing, naming who will not complete and why, then the close issuing the certificates; and the
screen's statement count for 1 official as for 30."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.attendance.models import AttendanceRecord
from app.attendance.schemas import AttendanceIn
from app.attendance.service import record_attendance
from app.auth import Principal
from app.certificates.models import Certificate
from app.clock import today
from app.cohorts.models import Cohort, CohortSession, Enrolment
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.officials.models import Official
from tests.factories import ACTOR, counting_statements, make_appointment, make_official, make_programme, make_user
from tests.factories import sign_in as start_session

FIRST = ["נועה", "יוסף", "מרים", "עומר", "רחל", "דוד", "שירה", "אמיר", "טליה", "איתן"]
LAST = ["ברק", "לוי", "חדד", "מזרחי", "אבוטבול", "פרץ", "ביטון", "דהן", "אזולאי", "שושן"]
FIRST_EN = ["Noa", "Yosef", "Miriam", "Omer", "Rachel", "David", "Shira", "Amir", "Talia", "Eitan"]
LAST_EN = ["Barak", "Levi", "Hadad", "Mizrahi", "Abutbul", "Peretz", "Biton", "Dahan", "Azoulay", "Shoshan"]


@dataclass
class Running:
    """A running cohort of a mandatory programme: its sessions (dated in the past) and the officials holding seats."""

    cohort: Cohort
    sessions: list[CohortSession]
    officials: list[Official]
    enrolments: list[Enrolment]


def seed_cohort(
    db: Session,
    *,
    people: int,
    sessions: int = 2,
    code: str = "ATT",
    actor: Principal = ACTOR,
    hours: float = 3,
    role: str = "treasurer",
) -> Running:
    """A programme and a cohort that started a month ago with `sessions` sessions of `hours` behind it, and `people`
    officials of Ofakim (each owing the programme) enrolled; made through the services."""
    programme = make_programme(db, code=f"{code}-P", roles=[role])
    start = today() - timedelta(days=30)
    cohort = create_cohort(
        db,
        data=CohortCreate(
            programme_code=programme.code,
            code=code,
            start_date=start,
            end_date=today() + timedelta(days=30),
            capacity=max(people, 1),
            location="בית הספר, ירושלים",
        ),
        actor=actor,
    )
    meetings = [
        add_session(
            db,
            cohort_id=cohort.id,
            data=SessionCreate(date=start + timedelta(days=7 * (i + 1)), hours=hours),
            actor=actor,
        )
        for i in range(sessions)
    ]
    officials, enrolments = [], []
    for i in range(people):
        first, last = i % 10, (i + i // 10) % 10  # distinct names for up to 100 people
        o = make_official(
            db,
            first_name_he=FIRST[first],
            last_name_he=LAST[last],
            first_name_en=FIRST_EN[first],
            last_name_en=LAST_EN[last],
        )
        make_appointment(db, o, role=role, start=today() - timedelta(days=200))
        officials.append(o)
        enrolments.append(enrol_official(db, cohort_id=cohort.id, official_id=o.id, actor=actor))
    return Running(cohort=cohort, sessions=meetings, officials=officials, enrolments=enrolments)


def _origin() -> dict[str, str]:
    return {"Origin": "http://testserver"}


@pytest.fixture
def admin_csrf(db: Session, client: TestClient) -> str:
    return start_session(db, client, make_user(db, "admin")).csrf_token


def _records(db: Session, session_id: int) -> dict[int, str]:
    rows = db.execute(
        select(AttendanceRecord.official_id, AttendanceRecord.status).where(AttendanceRecord.session_id == session_id)
    )
    return dict(rows.all())


def test_the_screen_lists_every_seat_with_one_click_per_status_in_both_languages(
    db: Session, client: TestClient, admin_csrf: str
) -> None:
    run = seed_cohort(db, people=3)
    url = f"/admin/sessions/{run.sessions[0].id}/attendance"
    page = client.get(url)
    assert page.status_code == 200, page.text
    html = page.text
    assert '<html lang="he" dir="rtl">' in html
    for o in run.officials:
        assert f"{o.first_name_he} {o.last_name_he}" in html
        assert f'name="status-{o.id}"' in html and f'value="present" id="status-{o.id}"' in html
        assert f'id="status-{o.id}-absent"' in html and f'name="note-{o.id}"' in html
    assert "כולם נוכחים" in html and "אופקים" in html  # the authority they owe it for
    assert f'data-attendance-api="/api/v1/sessions/{run.sessions[0].id}/attendance"' in html
    assert "/static/js/attendance." in html and 'name="csrf-token"' in html
    assert "שמירת הנוכחות של 3 בעלי/ות תפקידים" in html
    assert f'href="/admin/cohorts/{run.cohort.id}"' in html  # back to the cohort
    english = client.get(url + "?lang=en").text
    assert '<html lang="en" dir="ltr">' in english and "All present" in english and "Absent" in english


def test_the_form_saves_the_whole_screen_and_all_present_marks_everyone_not_marked(
    db: Session, client: TestClient, admin_csrf: str
) -> None:
    run = seed_cohort(db, people=4)
    session_id = run.sessions[0].id
    a, b = run.officials[:2]
    form = {"csrf_token": admin_csrf, f"status-{a.id}": "absent", f"status-{b.id}": "late", "all_present": "1"}
    r = client.post(f"/admin/sessions/{session_id}/attendance", data=form, headers=_origin(), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?notice=attendance_saved")
    saved = _records(db, session_id)
    assert saved[a.id] == "absent" and saved[b.id] == "late"
    assert [saved[o.id] for o in run.officials[2:]] == ["present", "present"]
    page = client.get(r.headers["location"]).text
    assert "הנוכחות נשמרה." in page and f'data-official-id="{a.id}" data-attendance-status="absent"' in page
    assert f'value="absent" id="status-{a.id}-absent" checked' in page


def test_an_empty_form_or_a_status_that_is_none_is_422_at_the_row_and_writes_nothing(
    db: Session, client: TestClient, admin_csrf: str
) -> None:
    run = seed_cohort(db, people=2)
    url = f"/admin/sessions/{run.sessions[0].id}/attendance"
    r = client.post(url, data={"csrf_token": admin_csrf}, headers=_origin())
    assert r.status_code == 422 and 'href="#attendance"' in r.text
    a, b = run.officials
    r = client.post(
        url, data={"csrf_token": admin_csrf, f"status-{a.id}": "present", f"status-{b.id}": "maybe"}, headers=_origin()
    )
    assert r.status_code == 422 and f'href="#status-{b.id}"' in r.text and "attendance-row--error" in r.text
    assert _records(db, run.sessions[0].id) == {}
    # Without the session's CSRF token: refused before anything.
    assert client.post(url, data={f"status-{a.id}": "present"}, headers=_origin()).status_code == 403


def test_the_script_saves_a_row_through_the_api_with_the_cookie_and_the_csrf_header(
    db: Session, client: TestClient, admin_csrf: str
) -> None:
    run = seed_cohort(db, people=2)
    session_id = run.sessions[0].id
    a = run.officials[0]
    api = f"/api/v1/sessions/{session_id}/attendance"
    body = {"records": [{"official_id": a.id, "status": "late"}]}
    assert client.put(api, json=body, headers=_origin()).status_code == 403  # no CSRF header
    r = client.put(api, json=body, headers={**_origin(), "X-CSRF-Token": admin_csrf})
    assert r.status_code == 200 and r.json()["rows"][0]["result"] == "created"
    stranger = make_official(db)
    r = client.put(
        api,
        json={"records": [{"official_id": stranger.id, "status": "present"}]},
        headers={**_origin(), "X-CSRF-Token": admin_csrf},
    )
    assert r.json()["rows"][0]["result"] == "refused"  # what the row shows, plainly
    assert _records(db, session_id) == {a.id: "late"}


def test_an_uploaded_sign_in_sheet_is_reported_row_by_row_with_why_refused(
    db: Session, client: TestClient, admin_csrf: str
) -> None:
    run = seed_cohort(db, people=2)
    meeting = run.sessions[0]
    url = f"/admin/sessions/{meeting.id}/attendance/import"
    r = client.post(url, data={"csrf_token": admin_csrf}, headers=_origin())
    assert r.status_code == 422 and 'href="#file"' in r.text and "יש לבחור קובץ" in r.text
    a, b = run.officials
    day = meeting.date.strftime("%d/%m/%Y")
    sheet = (
        "מספר זהות,תאריך,נוכחות,הערה\n"
        f"{a.national_id},{day},נוכח,\n"
        f"{b.national_id},{day},אולי,\n"
        f"000000018,{day},נעדר,\n"
    ).encode()
    r = client.post(
        url, data={"csrf_token": admin_csrf}, files={"file": ("sheet.csv", sheet, "text/csv")}, headers=_origin()
    )
    assert r.status_code == 200, r.text
    html = r.text
    assert html.count('data-row-result="created"') == 1 and html.count('data-row-result="refused"') == 2
    assert f"<td><bdi>{day}</bdi></td>" in html  # the session each row was taken for, by its date
    assert "הנוכחות אינה אחת מאלה" in html and "אין בעל/ת תפקיד עם מספר הזהות הזה" in html
    assert _records(db, meeting.id) == {a.id: "present"}
    # A file that is no sheet: named at the field, nothing written.
    r = client.post(
        url,
        data={"csrf_token": admin_csrf},
        files={"file": ("sheet.csv", b"a,b\n1,2\n", "text/csv")},
        headers=_origin(),
    )
    assert r.status_code == 422 and 'href="#file"' in r.text and "עמודה לא מוכרת" in r.text


def test_the_printable_sign_in_sheet_is_a_pdf_with_each_official(
    db: Session, client: TestClient, admin_csrf: str
) -> None:
    run = seed_cohort(db, people=2)
    r = client.get(f"/admin/sessions/{run.sessions[0].id}/sign-in-sheet.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content[:5] == b"%PDF-"
    assert "attachment" in r.headers["content-disposition"]
    text = subprocess.run(["pdftotext", "-", "-"], input=r.content, capture_output=True, check=True).stdout.decode()
    for o in run.officials:
        assert o.national_id in text
    assert "ATT" in text


def test_the_check_before_closing_names_who_will_not_complete_and_why_then_closing_issues_the_certificates(
    db: Session, client: TestClient, admin_csrf: str
) -> None:
    run = seed_cohort(db, people=3, sessions=3)
    stays, misses = run.officials[:2], run.officials[2]
    for i, meeting in enumerate(run.sessions):
        records = [AttendanceIn(official_id=o.id, status="present") for o in stays]
        records.append(AttendanceIn(official_id=misses.id, status="present" if i == 0 else "absent"))
        record_attendance(db, session_id=meeting.id, records=records, actor=ACTOR)
    url = f"/admin/cohorts/{run.cohort.id}/close"
    page = client.get(url)
    assert page.status_code == 200, page.text
    html = page.text
    completing, not_completing = html.split('data-closing="not-completing"')
    assert all(f"{o.first_name_he} {o.last_name_he}" in completing for o in stays)
    assert f"{misses.first_name_he} {misses.last_name_he}" in not_completing
    assert 'data-reason="hours"' in not_completing and "נכח/ה <bdi>3</bdi> מתוך <bdi>9</bdi> שעות" in not_completing
    assert "סגירת המחזור והנפקת 2 תעודות" in html
    assert "Close the cohort and issue 2 certificates" in client.get(url + "?lang=en").text
    assert db.scalar(select(func.count()).select_from(Certificate)) == 0  # the check writes nothing
    r = client.post(url, data={"csrf_token": admin_csrf}, headers=_origin(), follow_redirects=False)
    assert (
        r.status_code == 303
        and r.headers["location"] == f"/admin/cohorts/{run.cohort.id}/certificates?notice=cohort_closed"
    )
    holders = set(db.scalars(select(Certificate.official_id).where(Certificate.cohort_id == run.cohort.id)))
    assert holders == {o.id for o in stays}
    page = client.get(url + "?lang=he").text
    assert "המחזור כבר נסגר." in page and "סגירת המחזור והנפקת" not in page
    screen = client.get(f"/admin/sessions/{run.sessions[0].id}/attendance").text
    assert "אי אפשר עוד לשנות את הנוכחות" in screen and "שמירת הנוכחות" not in screen
    assert client.post(url, data={"csrf_token": admin_csrf}, headers=_origin()).status_code == 409


def test_the_check_names_an_assessment_missing_or_failed(db: Session, client: TestClient, admin_csrf: str) -> None:
    from app.attendance.schemas import AssessmentResultIn
    from app.attendance.service import record_assessment_result
    from app.cohorts.models import CohortAssessment

    run = seed_cohort(db, people=2, sessions=1)
    db.add(CohortAssessment(cohort_id=run.cohort.id, code="final_exam", title_he="מבחן מסכם", title_en="Final exam"))
    db.flush()
    records = [AttendanceIn(official_id=o.id, status="present") for o in run.officials]
    record_attendance(db, session_id=run.sessions[0].id, records=records, actor=ACTOR)
    record_assessment_result(
        db, enrolment_id=run.enrolments[0].id, code="final_exam", data=AssessmentResultIn(passed=False), actor=ACTOR
    )
    html = client.get(f"/admin/cohorts/{run.cohort.id}/close").text
    assert 'data-reason="assessment_failed"' in html and 'data-reason="assessment_missing"' in html
    assert "סגירת המחזור והנפקת 0 תעודות" in html


def test_the_screen_runs_as_many_statements_for_thirty_officials_as_for_one(
    db: Session,
    client: TestClient,
    admin_csrf: str,
    callers_read_each_time,
) -> None:
    counts = []
    for n, code, role in ((1, "ONE", "treasurer"), (30, "THIRTY", "city_engineer")):
        run = seed_cohort(db, people=n, code=code, role=role)
        record_attendance(
            db,
            session_id=run.sessions[0].id,
            records=[AttendanceIn(official_id=o.id, status="present") for o in run.officials],
            actor=ACTOR,
        )
        db.flush()  # what the seeding still holds is not the page's
        with counting_statements(db) as statements:
            page = client.get(f"/admin/sessions/{run.sessions[0].id}/attendance")
        assert page.status_code == 200 and page.text.count("data-official-id=") == n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_an_unknown_session_is_404_and_other_roles_are_refused(db: Session, client: TestClient) -> None:
    start_session(db, client, make_user(db, "admin"))
    assert client.get("/admin/sessions/999999/attendance").status_code == 404
    assert client.get("/admin/cohorts/999999/close").status_code == 404
    client.cookies.clear()
    run = seed_cohort(db, people=1)
    start_session(db, client, make_user(db, "auditor"))
    assert client.get(f"/admin/sessions/{run.sessions[0].id}/attendance").status_code == 403
