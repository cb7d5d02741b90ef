"""The official's pages: the home in both languages with every hook the browser tests use; enrolling from it; the
request forms keep what was typed and name each error at its field (422); nothing is written when refused."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import today
from app.compliance.models import RequirementRequest
from app.home.selectors import official_home
from app.officials.models import Official
from tests.factories import ACTOR, counting_statements, make_user, sign_in
from tests.home.test_home import ROLES, _official_of_every_kind


def _signed_in(db: Session, client: TestClient, official_id: int) -> str:
    record = sign_in(db, client, make_user(db, "official", official=db.get_one(Official, official_id)))
    return record.csrf_token


def _origin() -> dict[str, str]:
    return {"Origin": "http://testserver"}


def test_the_home_shows_each_requirement_cohort_and_certificate_in_both_languages(
    db: Session, client: TestClient
) -> None:
    official_id = _official_of_every_kind(db, ROLES[:1])
    _signed_in(db, client, official_id)
    page = client.get("/me")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<html lang="he" dir="rtl">' in html
    assert 'data-status="not_started"' in html and "טרם התחיל/ה" in html
    assert 'data-enrolment-status="enrolled"' in html and 'data-enrolment-status="completed"' in html
    assert 'data-certificate-status="valid"' in html and "/pdf" in html
    assert "בקשה להארכת מועד ממתינה להחלטה" in html
    assert "no-store" in page.headers["cache-control"]
    english = client.get("/me?lang=en").text
    assert '<html lang="en" dir="ltr">' in english and "Not started" in english and "waiting for a decision" in english


def test_an_official_enrols_from_the_home_and_sees_the_next_session(db: Session, client: TestClient) -> None:
    official_id = _official_of_every_kind(db, ROLES[:1])
    csrf = _signed_in(db, client, official_id)
    html = client.get("/me").text
    cohort_id = int(html.split('action="/me/cohorts/')[1].split("/")[0])
    r = client.post(
        f"/me/cohorts/{cohort_id}/enrol", data={"csrf_token": csrf}, headers=_origin(), follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/me?notice=enrolled"
    html = client.get("/me").text
    assert 'data-status="in_progress"' in html and "להגיע למפגש הבא" in html


def test_an_extension_form_refused_keeps_what_was_typed_and_writes_nothing(db: Session, client: TestClient) -> None:
    official_id = _official_of_every_kind(db, ROLES[:1])
    csrf = _signed_in(db, client, official_id)
    db.execute(RequirementRequest.__table__.delete())  # nothing pending: the form is open
    requirement_id = int(client.get("/me").text.split("/me/requirements/")[1].split("/")[0])
    before = db.scalar(select(func.count()).select_from(RequirementRequest))
    form = {"csrf_token": csrf, "requested_due_date": today().isoformat(), "reason": "מילואים ארוכים"}
    r = client.post(f"/me/requirements/{requirement_id}/extension", data=form, headers=_origin())
    assert r.status_code == 422
    assert 'href="#requested_due_date"' in r.text and "צריך להיות אחרי המועד האחרון" in r.text
    assert "מילואים ארוכים" in r.text  # kept
    r = client.post(
        f"/me/requirements/{requirement_id}/extension",
        data={**form, "requested_due_date": "", "reason": ""},
        headers=_origin(),
    )
    assert r.status_code == 422 and 'href="#reason"' in r.text and 'href="#requested_due_date"' in r.text
    assert db.scalar(select(func.count()).select_from(RequirementRequest)) == before
    later = (today() + timedelta(days=400)).isoformat()  # after the due date (in 330 days), within the limit
    r = client.post(
        f"/me/requirements/{requirement_id}/extension",
        data={**form, "requested_due_date": later},
        headers=_origin(),
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/me?notice=request_sent", r.text
    assert db.scalar(select(func.count()).select_from(RequirementRequest)) == before + 1
    # Now pending: the form is closed, and the home says so.
    assert client.get(f"/me/requirements/{requirement_id}/extension", follow_redirects=False).status_code == 303


def test_an_exemption_asks_for_a_reason_code_and_a_form_without_csrf_is_refused(
    db: Session, client: TestClient
) -> None:
    official_id = _official_of_every_kind(db, ROLES[:1])
    csrf = _signed_in(db, client, official_id)
    db.execute(RequirementRequest.__table__.delete())
    requirement_id = int(client.get("/me").text.split("/me/requirements/")[1].split("/")[0])
    url = f"/me/requirements/{requirement_id}/exemption"
    r = client.post(url, data={"csrf_token": csrf, "reason": "ממלאת מקום"}, headers=_origin())
    assert r.status_code == 422 and 'href="#reason_code"' in r.text and "ממלאת מקום" in r.text
    assert (
        client.post(
            url, data={"reason_code": "acting_appointment", "reason": "ממלאת מקום"}, headers=_origin()
        ).status_code
        == 403
    )
    other_site = {"Origin": "https://evil.example"}
    form = {"csrf_token": csrf, "reason_code": "acting_appointment", "reason": "ממלאת מקום"}
    assert client.post(url, data=form, headers=other_site).status_code == 403
    assert db.scalar(select(func.count()).select_from(RequirementRequest)) == 0
    r = client.post(url, data=form, headers=_origin(), follow_redirects=False)
    assert r.status_code == 303
    assert "בקשה לפטור ממתינה להחלטה" in client.get("/me").text


def test_another_officials_requirement_is_404_and_an_admin_is_refused_the_home(db: Session, client: TestClient) -> None:
    mine, theirs = _official_of_every_kind(db, ROLES[:1]), _official_of_every_kind(db, ROLES[1:2])
    [their_requirement] = official_home(db, official_id=theirs, actor=ACTOR, today=today()).requirements
    _signed_in(db, client, mine)
    assert client.get(f"/me/requirements/{their_requirement.requirement.id}/extension").status_code == 404
    client.cookies.clear()
    sign_in(db, client, make_user(db, "admin"))
    assert client.get("/me").status_code == 403


def test_the_home_page_runs_as_many_statements_for_ten_of_each_as_for_one(
    db: Session, client: TestClient, callers_read_each_time
) -> None:
    one, ten = _official_of_every_kind(db, ROLES[:1]), _official_of_every_kind(db, ROLES[1:])
    db.commit()  # the records above committed (and the data version bumped) before anything is counted
    counts = []
    for official_id in (one, ten):
        client.cookies.clear()
        _signed_in(db, client, official_id)
        with counting_statements(db) as statements:
            assert client.get("/me").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
