"""The school's cohort pages: the list and its filters, a new cohort (errors at their fields, 422, nothing written),
the cohort's page in both languages with its sessions, enrolments, waitlist and progress, and every action on it:
sessions added, moved and cancelled; officials enrolled by search, by pasted ID numbers and from those who owe the
programme; moved, withdrawn and promoted. The cohort's page runs as many statements for ten enrolments as for one."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.attendance.models import AssessmentResult
from app.attendance.schemas import AttendanceIn
from app.attendance.service import record_attendance
from app.clock import today
from app.cohorts.models import Cohort, CohortSession, Enrolment
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.officials.models import Official
from app.programmes.models import Programme
from app.programmes.schemas import AssessmentIn, ProgrammeUpdate
from app.programmes.service import update_programme
from tests.factories import (
    ACTOR,
    counting_statements,
    make_appointment,
    make_official,
    make_programme,
    make_user,
    sign_in,
)

ORIGIN = {"Origin": "http://testserver"}


def _admin(db: Session, client: TestClient) -> str:
    return sign_in(db, client, make_user(db, "admin")).csrf_token


def _cohort(db: Session, programme: Programme, *, code: str = "TREAS-1", capacity: int = 4, days: int = 10) -> Cohort:
    start = today() + timedelta(days=days)
    data = CohortCreate(
        programme_code=programme.code,
        code=code,
        start_date=start,
        end_date=start + timedelta(days=40),
        capacity=capacity,
    )
    return create_cohort(db, data=data, actor=ACTOR)


def _owing(db: Session, n: int, **names: str) -> list[Official]:
    """Officials who hold a treasurer's appointment (so owe the treasurers' programme made before or after)."""
    people = []
    for _ in range(n):
        o = make_official(db, **names)
        make_appointment(db, o, start=today() - timedelta(days=100))
        people.append(o)
    return people


def _post(client: TestClient, url: str, csrf: str, **form: object) -> object:
    return client.post(url, data={"csrf_token": csrf, **form}, headers=ORIGIN, follow_redirects=False)


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_a_new_cohort_refused_keeps_what_was_typed_names_each_field_and_writes_nothing(
    db: Session, client: TestClient
) -> None:
    programme = make_programme(db, code="TREAS")
    _cohort(db, programme, code="TREAS-TAKEN")
    csrf = _admin(db, client)
    form = client.get("/admin/cohorts/new")
    assert form.status_code == 200 and 'name="programme_code"' in form.text and 'for="capacity"' in form.text
    before = _count(db, Cohort)
    r = client.post(
        "/admin/cohorts",
        data={
            "csrf_token": csrf,
            "programme_code": "TREAS",
            "code": "TREAS-TAKEN",
            "start_date": "2027-03-10",
            "end_date": "2027-03-01",
            "capacity": "0",
            "location": "בית הספר, ירושלים",
        },
        headers=ORIGIN,
    )
    assert r.status_code == 422
    assert 'href="#capacity"' in r.text and 'href="#end_date"' in r.text
    assert "בית הספר, ירושלים" in r.text and 'value="TREAS-TAKEN"' in r.text  # kept
    r = client.post(
        "/admin/cohorts?lang=en",
        data={
            "csrf_token": csrf,
            "programme_code": "TREAS",
            "code": "TREAS-TAKEN",
            "start_date": "2027-03-01",
            "end_date": "2027-03-10",
            "capacity": "4",
        },
        headers=ORIGIN,
    )
    assert r.status_code == 422 and 'href="#code"' in r.text and "already a cohort with this code" in r.text
    r = _post(client, "/admin/cohorts", csrf)
    assert r.status_code == 422 and 'href="#programme_code"' in r.text and 'href="#start_date"' in r.text
    assert _count(db, Cohort) == before
    r = _post(
        client,
        "/admin/cohorts",
        csrf,
        programme_code="TREAS",
        code="TREAS-NEW",
        start_date="2027-03-01",
        end_date="2027-03-10",
        capacity="4",
        online="on",
        coordinator_name="רונית",
    )
    assert r.status_code == 303
    cohort = db.scalars(select(Cohort).where(Cohort.code == "TREAS-NEW")).one()
    assert r.headers["location"] == f"/admin/cohorts/{cohort.id}?done=created"
    assert cohort.online and cohort.capacity == 4 and cohort.coordinator_name == "רונית"


def test_the_list_filters_by_programme_state_dates_and_place_in_both_languages(db: Session, client: TestClient) -> None:
    treasurers, other = make_programme(db, code="TREAS"), make_programme(db, code="CEO", roles=["director_general"])
    soon = _cohort(db, treasurers, code="TREAS-SOON", days=5)
    _cohort(db, treasurers, code="TREAS-LATE", days=200)
    _cohort(db, other, code="CEO-ONLINE", days=5)
    db.get_one(Cohort, soon.id).location = "אופקים"
    db.execute(Cohort.__table__.update().where(Cohort.code == "CEO-ONLINE").values(online=True))
    _admin(db, client)
    html = client.get("/admin/cohorts").text
    assert '<html lang="he" dir="rtl">' in html
    assert all(code in html for code in ("TREAS-SOON", "TREAS-LATE", "CEO-ONLINE"))
    assert 'href="/admin/cohorts/new"' in html and "מחזור חדש" in html and "פתוח להרשמה" in html
    assert soon.start_date.strftime("%d/%m/%Y") in html and "0 / 4" in html
    assert "CEO-ONLINE" not in client.get("/admin/cohorts?programme=TREAS").text
    until = (today() + timedelta(days=60)).isoformat()
    html = client.get(f"/admin/cohorts?date_to={until}").text
    assert "TREAS-SOON" in html and "TREAS-LATE" not in html
    html = client.get("/admin/cohorts?place=online").text
    assert "CEO-ONLINE" in html and "TREAS-SOON" not in html
    assert "TREAS-SOON" not in client.get("/admin/cohorts?state=planned").text
    r = client.get("/admin/cohorts?date_from=not-a-date&lang=en")
    assert r.status_code == 422 and 'href="#date_from"' in r.text and '<html lang="en" dir="ltr">' in r.text
    assert "Open for enrolment" in client.get("/admin/cohorts?lang=en").text


def test_the_cohort_page_shows_sessions_enrolments_waitlist_and_progress_in_both_languages(
    db: Session, client: TestClient
) -> None:
    programme = make_programme(db, code="TREAS")
    cohort = _cohort(db, programme, capacity=1, days=-5)
    meeting = add_session(db, cohort_id=cohort.id, data=SessionCreate(date=cohort.start_date, hours=4), actor=ACTOR)
    first, second, spare = _owing(db, 3)
    enrol_official(db, cohort_id=cohort.id, official_id=first.id, actor=ACTOR)
    enrol_official(db, cohort_id=cohort.id, official_id=second.id, actor=ACTOR)
    record_attendance(
        db, session_id=meeting.id, records=[AttendanceIn(official_id=first.id, status="present")], actor=ACTOR
    )
    _admin(db, client)
    html = client.get(f"/admin/cohorts/{cohort.id}").text
    assert 'data-enrolment-status="enrolled"' in html and 'data-enrolment-status="waitlisted"' in html
    assert f'href="/admin/sessions/{meeting.id}/attendance"' in html
    assert (
        f'href="/admin/cohorts/{cohort.id}/close"' in html and f'href="/admin/cohorts/{cohort.id}/certificates"' in html
    )
    assert "4 מתוך 3.2 שעות נדרשות" in html  # 80% of 4 hours
    assert spare.national_id in html  # owes the programme, enrolled nowhere: offered
    assert first.national_id not in html.split('id="owed"')[1]
    english = client.get(f"/admin/cohorts/{cohort.id}?lang=en").text
    assert '<html lang="en" dir="ltr">' in english and "On the waiting list" in english and "Sessions" in english
    assert client.get("/admin/cohorts/999999").status_code == 404


def test_sessions_are_added_moved_and_cancelled_with_errors_at_their_fields(db: Session, client: TestClient) -> None:
    programme = make_programme(db, code="TREAS")
    cohort = _cohort(db, programme)
    csrf = _admin(db, client)
    url = f"/admin/cohorts/{cohort.id}/sessions"
    outside = (cohort.end_date + timedelta(days=1)).isoformat()
    r = _post(client, url, csrf, date=outside, hours="3", title="תקציב הרשות")
    assert r.status_code == 422 and 'href="#date"' in r.text and "תקציב הרשות" in r.text
    r = _post(client, url, csrf, date=cohort.start_date.isoformat(), hours="")
    assert r.status_code == 422 and 'href="#hours"' in r.text
    assert _count(db, CohortSession) == 0
    r = _post(client, url, csrf, date=cohort.start_date.isoformat(), hours="3", title="תקציב הרשות")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=session_added")
    meeting = db.scalars(select(CohortSession).where(CohortSession.cohort_id == cohort.id)).one()
    assert client.get(f"/admin/sessions/{meeting.id}/move").status_code == 200
    r = _post(client, f"/admin/sessions/{meeting.id}/move", csrf, date=outside, hours="3")
    assert r.status_code == 422 and "בין תאריך ההתחלה לתאריך הסיום" in r.text
    later = cohort.start_date + timedelta(days=7)
    r = _post(client, f"/admin/sessions/{meeting.id}/move", csrf, date=later.isoformat(), hours="2.5")
    assert r.status_code == 303
    db.refresh(meeting)
    assert meeting.date == later and meeting.hours == 2.5
    check = client.get(f"/admin/sessions/{meeting.id}/cancel")
    assert check.status_code == 200 and "ביטול המפגש" in check.text
    assert _count(db, CohortSession) == 1  # the check page changes nothing
    r = _post(client, f"/admin/sessions/{meeting.id}/cancel", csrf)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/cohorts/{cohort.id}?done=session_cancelled"
    assert _count(db, CohortSession) == 0


def test_a_session_with_attendance_cannot_be_cancelled(db: Session, client: TestClient) -> None:
    programme = make_programme(db, code="TREAS")
    cohort = _cohort(db, programme, days=-3)
    meeting = add_session(db, cohort_id=cohort.id, data=SessionCreate(date=cohort.start_date, hours=3), actor=ACTOR)
    [official] = _owing(db, 1)
    enrol_official(db, cohort_id=cohort.id, official_id=official.id, actor=ACTOR)
    record_attendance(
        db, session_id=meeting.id, records=[AttendanceIn(official_id=official.id, status="absent")], actor=ACTOR
    )
    csrf = _admin(db, client)
    r = _post(client, f"/admin/sessions/{meeting.id}/cancel", csrf)
    assert r.status_code == 422 and "כבר נרשמה נוכחות" in r.text
    assert _count(db, CohortSession) == 1


def test_enrol_by_searching_a_name_an_id_without_zeros_or_an_authority(db: Session, client: TestClient) -> None:
    programme = make_programme(db, code="TREAS")
    cohort = _cohort(db, programme)
    [samir] = _owing(db, 1, first_name_he="סמיר", last_name_he="חורי", first_name_en="Samir", last_name_en="Khoury")
    zeros = make_official(db, national_id="000000018", first_name_he="אלה", last_name_he="לוי")
    csrf = _admin(db, client)
    page = f"/admin/cohorts/{cohort.id}"
    assert "חורי" in client.get(f"{page}?q=סמיר").text
    assert "Khoury" in client.get(f"{page}?q=khoury").text
    assert "לוי" in client.get(f"{page}?q=18").text  # 000000018 without its leading zeros
    assert "חורי" in client.get(f"{page}?q=אופקים").text  # an authority he serves in
    r = _post(client, f"{page}/enrolments", csrf, official_id=str(samir.id), q="סמיר")
    assert r.status_code == 303 and r.headers["location"] == f"{page}?done=enrolled"
    r = _post(client, f"{page}/enrolments", csrf, official_id=str(samir.id), q="סמיר")
    assert r.status_code == 422 and 'href="#q"' in r.text and "כבר רשום/ה" in r.text
    assert zeros.id not in {e.official_id for e in db.scalars(select(Enrolment))}


def test_bulk_enrolment_reports_each_id_and_the_waitlist_then_withdrawal_promotes(
    db: Session, client: TestClient
) -> None:
    programme = make_programme(db, code="TREAS")
    cohort = _cohort(db, programme, capacity=2)
    a, b, c = _owing(db, 3)
    csrf = _admin(db, client)
    url = f"/admin/cohorts/{cohort.id}/enrolments/bulk"
    r = _post(client, url, csrf, national_ids="  ")
    assert r.status_code == 422 and 'href="#national_ids"' in r.text
    pasted = f"{a.national_id}\n{b.national_id.lstrip('0')}, {c.national_id} 123"
    r = _post(client, url, csrf, national_ids=pasted)
    assert r.status_code == 200
    assert r.text.count('data-result="enrolled"') == 2 and r.text.count('data-result="waitlisted"') == 1
    assert r.text.count('data-result="refused"') == 1 and "מספר הזהות לא תקין" in r.text
    waiting = db.scalars(select(Enrolment).where(Enrolment.official_id == c.id)).one()
    assert waiting.status == "waitlisted"
    # No free seat: promoting is refused, at the row.
    r = _post(client, f"/admin/enrolments/{waiting.id}/promote", csrf)
    assert r.status_code == 422 and f'href="#enrolment-{waiting.id}"' in r.text and "אין מקום פנוי" in r.text
    # Withdrawing one who waits frees no seat: the check page promises it to no one.
    assert "הראשון/ה ברשימת ההמתנה" not in client.get(f"/admin/enrolments/{waiting.id}/withdraw").text
    seated = db.scalars(select(Enrolment).where(Enrolment.official_id == a.id)).one()
    check = client.get(f"/admin/enrolments/{seated.id}/withdraw")
    assert check.status_code == 200 and "הראשון/ה ברשימת ההמתנה" in check.text
    db.refresh(seated)
    assert seated.status == "enrolled"  # the check page changes nothing
    r = _post(client, f"/admin/enrolments/{seated.id}/withdraw", csrf)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=withdrawn")
    db.refresh(waiting)
    assert waiting.status == "enrolled"


def test_promote_gives_a_freed_seat_and_move_goes_to_another_cohort_of_the_programme(
    db: Session, client: TestClient
) -> None:
    programme = make_programme(db, code="TREAS")
    cohort = _cohort(db, programme, capacity=1)
    later = _cohort(db, programme, code="TREAS-2", days=60)
    a, b = _owing(db, 2)
    enrol_official(db, cohort_id=cohort.id, official_id=a.id, actor=ACTOR)
    waiting = enrol_official(db, cohort_id=cohort.id, official_id=b.id, actor=ACTOR)
    csrf = _admin(db, client)
    db.execute(Cohort.__table__.update().where(Cohort.id == cohort.id).values(capacity=2))  # a seat, not yet given
    r = _post(client, f"/admin/enrolments/{waiting.id}/promote", csrf)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=promoted")
    db.refresh(waiting)
    assert waiting.status == "enrolled"
    html = client.get(f"/admin/cohorts/{cohort.id}").text
    assert f'id="cohort_id-{waiting.id}"' in html and "TREAS-2" in html
    r = _post(client, f"/admin/enrolments/{waiting.id}/move", csrf, cohort_id=str(later.id))
    assert r.status_code == 303 and r.headers["location"] == f"/admin/cohorts/{cohort.id}?done=moved"
    moved = db.scalars(select(Enrolment).where(Enrolment.cohort_id == later.id)).one()
    assert moved.official_id == b.id and moved.status == "enrolled"


def test_the_officials_who_owe_the_programme_are_enrolled_in_one_step(db: Session, client: TestClient) -> None:
    programme = make_programme(db, code="TREAS")
    cohort = _cohort(db, programme, capacity=5)
    owing = _owing(db, 3)
    csrf = _admin(db, client)
    html = client.get(f"/admin/cohorts/{cohort.id}").text
    assert all(f'value="{o.id}"' in html for o in owing)
    r = _post(client, f"/admin/cohorts/{cohort.id}/enrolments/owed", csrf)
    assert r.status_code == 422 and "יש לסמן" in r.text
    r = client.post(
        f"/admin/cohorts/{cohort.id}/enrolments/owed",
        data={"csrf_token": csrf, "official_id": [str(owing[0].id), str(owing[2].id)]},
        headers=ORIGIN,
    )
    assert r.status_code == 200 and r.text.count('data-result="enrolled"') == 2
    enrolled = set(db.scalars(select(Enrolment.official_id).where(Enrolment.cohort_id == cohort.id)))
    assert enrolled == {owing[0].id, owing[2].id}
    html = client.get(f"/admin/cohorts/{cohort.id}").text.split('id="owed"')[1]
    assert f'value="{owing[1].id}"' in html and f'value="{owing[0].id}"' not in html


def test_editing_the_details_keeps_the_capacity_rule(db: Session, client: TestClient) -> None:
    programme = make_programme(db, code="TREAS")
    cohort = _cohort(db, programme, capacity=2)
    for o in _owing(db, 2):
        enrol_official(db, cohort_id=cohort.id, official_id=o.id, actor=ACTOR)
    csrf = _admin(db, client)
    form = client.get(f"/admin/cohorts/{cohort.id}/edit")
    assert form.status_code == 200 and 'value="2"' in form.text
    fields = {
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "capacity": "1",
        "state": "open",
        "location": "חיפה",
    }
    r = _post(client, f"/admin/cohorts/{cohort.id}/edit", csrf, **fields)
    assert r.status_code == 422 and 'href="#capacity"' in r.text and "חיפה" in r.text
    db.refresh(cohort)
    assert cohort.capacity == 2 and cohort.location is None
    r = _post(client, f"/admin/cohorts/{cohort.id}/edit", csrf, **{**fields, "capacity": "6"})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=updated")
    db.refresh(cohort)
    assert cohort.capacity == 6 and cohort.location == "חיפה"


def test_the_cohort_page_runs_as_many_statements_for_ten_enrolments_as_for_one(
    db: Session, client: TestClient, callers_read_each_time
) -> None:
    programme = make_programme(db, code="TREAS")
    counts = []
    _admin(db, client)
    for n, code in ((1, "TREAS-ONE"), (10, "TREAS-TEN")):
        cohort = _cohort(db, programme, code=code, capacity=8, days=-2)
        for day in range(3):
            add_session(
                db,
                cohort_id=cohort.id,
                data=SessionCreate(date=cohort.start_date + timedelta(days=day), hours=3),
                actor=ACTOR,
            )
        for o in _owing(db, n):
            enrol_official(db, cohort_id=cohort.id, official_id=o.id, actor=ACTOR)
        _owing(db, n)  # and as many who owe it, enrolled nowhere
        db.flush()
        with counting_statements(db) as statements:
            assert client.get(f"/admin/cohorts/{cohort.id}?q=כהן").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_an_official_or_an_auditor_cannot_open_the_cohorts(db: Session, client: TestClient) -> None:
    sign_in(db, client, make_user(db, "official"))
    assert client.get("/admin/cohorts").status_code == 403


def test_assessment_results_are_recorded_from_the_cohort_page_with_errors_at_their_fields(
    db: Session, client: TestClient
) -> None:
    programme = make_programme(db, code="TREAS")
    exam = AssessmentIn(code="EXAM", title_he="מבחן מסכם", title_en="Final exam")
    update_programme(db, code="TREAS", data=ProgrammeUpdate(assessments=[exam]), actor=ACTOR)
    cohort = _cohort(db, programme, days=-3)
    [official] = _owing(db, 1)
    e = enrol_official(db, cohort_id=cohort.id, official_id=official.id, actor=ACTOR)
    csrf = _admin(db, client)
    assert f'href="/admin/enrolments/{e.id}/assessments"' in client.get(f"/admin/cohorts/{cohort.id}").text
    page = client.get(f"/admin/enrolments/{e.id}/assessments")
    assert page.status_code == 200 and "מבחן מסכם" in page.text and 'data-assessment-result="none"' in page.text
    url = f"/admin/enrolments/{e.id}/assessments/EXAM"
    r = _post(client, url, csrf, grade="120", note="בעל פה")
    assert r.status_code == 422 and 'href="#passed-EXAM"' in r.text and 'href="#grade-EXAM"' in r.text
    assert "בעל פה" in r.text  # kept
    assert _count(db, AssessmentResult) == 0
    r = _post(client, url, csrf, passed="true", grade="92", note="בעל פה")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=recorded")
    result = db.scalars(select(AssessmentResult)).one()
    assert result.passed and result.grade == 92
    english = client.get(f"/admin/enrolments/{e.id}/assessments?lang=en").text
    assert "Final exam" in english and 'data-assessment-result="passed"' in english
    assert "1 מתוך 1 עברו" in client.get(f"/admin/cohorts/{cohort.id}?lang=he").text
