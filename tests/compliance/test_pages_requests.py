"""The requests pages: the list (pending first, oldest first, filtered, exported), one request and the auditor's
decision (approve an extension, refuse with a note, the cap, a paper decision's date, a second decision), a
liaison who reads but does not decide and files requests for their authority's officials, an official's history in
date order; each in both languages where words matter, and in the same number of statements for 1 or 10 rows."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.clock import today
from app.compliance.models import RequirementRequest
from app.compliance.service import request_exemption, request_extension
from app.officials.models import Appointment, Official, Requirement
from app.officials.rules import add_months
from app.programmes.models import Programme
from tests.factories import (
    ACTOR,
    counting_statements,
    headers,
    make_appointment,
    make_completion,
    make_official,
    make_programme,
    make_user,
    sign_in,
)

ORIGIN = {"Origin": "http://testserver"}


@dataclass
class Person:
    official: Official
    requirement: Requirement


def _person(
    db: Session, *, authority: str = "0031", days_ago: int = 800, role: str = "treasurer", **names: str
) -> Person:
    """An official appointed `days_ago` days ago (800: overdue since about two months), with one requirement."""
    o = make_official(db, **names)
    make_appointment(db, o, authority=authority, role=role, start=today() - timedelta(days=days_ago))
    req = db.scalars(select(Requirement).join(Appointment).where(Appointment.official_id == o.id)).one()
    return Person(o, req)


def _filed_on(db: Session, request_id: int, day) -> None:
    at = datetime.combine(day, time(12), tzinfo=ZoneInfo("Asia/Jerusalem"))
    db.execute(update(RequirementRequest).where(RequirementRequest.id == request_id).values(requested_at=at))
    db.flush()


def _extension(db: Session, p: Person, *, days: int = 120, filed_days_ago: int = 0) -> RequirementRequest:
    r = request_extension(
        db,
        requirement_id=p.requirement.id,
        requested_due_date=today() + timedelta(days=days),
        reason="reserve duty",
        actor=ACTOR,
    )
    if filed_days_ago:
        _filed_on(db, r.id, today() - timedelta(days=filed_days_ago))
    return r


@pytest.fixture
def programme(db: Session) -> Programme:
    return make_programme(db, code="TREAS")


def _auditor(db: Session, client: TestClient) -> str:
    return sign_in(db, client, make_user(db, "auditor")).csrf_token


def _liaison(db: Session, client: TestClient, authority: str = "0031") -> str:
    return sign_in(db, client, make_user(db, "liaison", authority=authority)).csrf_token


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-request="(\d+)"', html)]


def test_the_list_shows_pending_first_oldest_first_and_filters(db: Session, client: TestClient, programme) -> None:
    a, b, c = (_person(db) for _ in range(3))
    d = _person(db, authority="0070", role="treasurer")
    decided = _extension(db, a, filed_days_ago=10)
    newer = _extension(db, b, filed_days_ago=2)
    older = _extension(db, c, filed_days_ago=5)
    elsewhere = request_exemption(
        db, requirement_id=d.requirement.id, reason_code="acting_appointment", reason="acting", actor=ACTOR
    )
    _filed_on(db, elsewhere.id, today() - timedelta(days=1))
    db.execute(
        update(RequirementRequest)
        .where(RequirementRequest.id == decided.id)
        .values(state="refused", decided_on=today(), decided_at=datetime.now(ZoneInfo("UTC")), decision_note="no")
    )
    _auditor(db, client)
    page = client.get("/compliance/requests")
    assert page.status_code == 200, page.text
    assert _ids(page.text) == [older.id, newer.id, elsewhere.id, decided.id]
    assert 'data-request-state="pending"' in page.text and "ממתינה להחלטה" in page.text
    assert _ids(client.get("/compliance/requests?state=pending").text) == [older.id, newer.id, elsewhere.id]
    assert _ids(client.get("/compliance/requests?kind=exemption").text) == [elsewhere.id]
    assert _ids(client.get("/compliance/requests?authority=0070").text) == [elsewhere.id]
    assert _ids(client.get("/compliance/requests?district=Southern&state=refused").text) == [decided.id]
    assert _ids(client.get("/compliance/requests?role=mayor").text) == []
    english = client.get("/compliance/requests?lang=en").text
    assert '<html lang="en" dir="ltr">' in english and "Waiting for a decision" in english and "Exemption" in english
    # A liaison sees their own authority's only, and no authority filter.
    client.cookies.clear()
    _liaison(db, client)
    mine = client.get("/compliance/requests").text
    assert _ids(mine) == [older.id, newer.id, decided.id] and 'name="authority"' not in mine
    assert _ids(client.get("/compliance/requests?authority=0070").text) == [older.id, newer.id, decided.id]


def test_the_list_exports_as_csv_and_xlsx_in_the_pages_language(db: Session, client: TestClient, programme) -> None:
    p = _person(db)
    made = _extension(db, p)
    _auditor(db, client)
    body = client.get("/compliance/requests.csv?state=pending")
    assert body.status_code == 200 and body.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["מספר בקשה"] == str(made.id)
    assert rows[0]["מצב"] == "ממתינה להחלטה" and rows[0]["קוד מצב"] == "pending"
    assert rows[0]["מחוז"] == "הדרום" and rows[0]["סוג"] == "הארכת מועד" and rows[0]["קוד סוג"] == "extension"
    english = client.get("/compliance/requests.csv?lang=en").content.decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(english)))
    assert row["State"] == "Waiting for a decision" and row["District"] == "Southern" and row["Kind"] == "Extension"
    xlsx = client.get("/compliance/requests.xlsx?lang=he")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.sheet_view.rightToLeft
    values = [[c for c in r] for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert values[0][0] == "מספר בקשה" and values[1][0] == made.id and "ממתינה להחלטה" in values[1]


def _decide(client: TestClient, csrf: str, request_id: int, **fields: str):
    return client.post(
        f"/compliance/requests/{request_id}/decision",
        data={"csrf_token": csrf, **fields},
        headers=ORIGIN,
        follow_redirects=False,
    )


def _status(client: TestClient, official_id: int, as_of) -> list[str]:
    page = client.get(f"/compliance/officials/{official_id}?as_of={as_of}")
    assert page.status_code == 200, page.text
    return re.findall(r'<strong class="tag tag--\w+" data-status="(\w+)"', page.text)


def test_an_auditor_approves_an_extension_and_the_official_is_no_longer_overdue(
    db: Session, client: TestClient, programme
) -> None:
    p = _person(db)
    made = _extension(db, p, days=100)
    csrf = _auditor(db, client)
    page = client.get(f"/compliance/requests/{made.id}")
    assert page.status_code == 200, page.text
    assert 'data-status="overdue"' in page.text
    asked = (today() + timedelta(days=100)).isoformat()
    assert f'value="{asked}"' in page.text and f'action="/compliance/requests/{made.id}/decision"' in page.text
    assert "המועד האחרון יזוז מ-" in page.text
    assert _status(client, p.official.id, today()) == ["overdue"]
    r = _decide(client, csrf, made.id, approve="true", requested_due_date=asked, note="approved", decided_on="")
    assert r.status_code == 303 and r.headers["location"] == f"/compliance/requests/{made.id}?notice=request_approved"
    after = client.get(r.headers["location"]).text
    assert "הבקשה אושרה." in after and 'data-decision="approved"' in after and "/decision" not in after
    assert _status(client, p.official.id, today()) == ["not_started"]
    assert _status(client, p.official.id, today() - timedelta(days=1)) == ["overdue"]
    # A second decision is refused, 409, in the page's language.
    again = _decide(client, csrf, made.id, approve="false", note="changed my mind")
    assert again.status_code == 409 and "כבר התקבלה החלטה בבקשה הזו" in again.text
    english = client.post(
        f"/compliance/requests/{made.id}/decision?lang=en",
        data={"csrf_token": csrf, "approve": "false", "note": "x"},
        headers=ORIGIN,
    )
    assert english.status_code == 409 and "This request was already decided" in english.text


def test_an_auditor_refuses_with_a_note_which_is_required(db: Session, client: TestClient, programme) -> None:
    p = _person(db)
    made = request_exemption(
        db, requirement_id=p.requirement.id, reason_code="short_tenure", reason="leaving", actor=ACTOR
    )
    csrf = _auditor(db, client)
    assert "בעל/ת התפקיד י/תהיה פטור/ה" in client.get(f"/compliance/requests/{made.id}").text
    missing = _decide(client, csrf, made.id, approve="false", note=" ")
    assert missing.status_code == 422 and 'href="#note"' in missing.text
    assert _decide(client, csrf, made.id, note="x").status_code == 422
    r = _decide(client, csrf, made.id, approve="false", note="Tenure is two years, not short.")
    assert r.status_code == 303 and r.headers["location"].endswith("notice=request_refused")
    page = client.get(f"/compliance/requests/{made.id}").text
    assert 'data-decision="refused"' in page and "Tenure is two years, not short." in page
    assert _status(client, p.official.id, today()) == ["overdue"]


def test_an_extension_past_the_cap_is_refused_at_its_field(db: Session, client: TestClient, programme) -> None:
    p = _person(db)
    made = _extension(db, p, days=60)
    csrf = _auditor(db, client)
    cap = add_months(p.requirement.due_date, 12)
    r = _decide(
        client, csrf, made.id, approve="true", note="ok", requested_due_date=(cap + timedelta(days=1)).isoformat()
    )
    assert r.status_code == 422 and 'href="#requested_due_date"' in r.text and 'id="requested_due_date-error"' in r.text
    assert f"{cap.day} " in r.text.split('id="requested_due_date-error"')[1].split("</p>")[0]
    english = client.post(
        f"/compliance/requests/{made.id}/decision?lang=en",
        data={
            "csrf_token": csrf,
            "approve": "true",
            "note": "ok",
            "requested_due_date": (cap + timedelta(days=1)).isoformat(),
        },
        headers=ORIGIN,
    )
    assert english.status_code == 422 and "at the latest" in english.text
    # Another date within the cap is granted instead of the one asked.
    r = _decide(client, csrf, made.id, approve="true", note="ok", requested_due_date=cap.isoformat())
    assert r.status_code == 303
    assert db.get(RequirementRequest, made.id).requested_due_date == cap  # type: ignore[union-attr]


def test_a_paper_decision_may_be_dated_back_to_the_request_not_before(
    db: Session, client: TestClient, programme
) -> None:
    p = _person(db)
    made = _extension(db, p, filed_days_ago=20)
    csrf = _auditor(db, client)
    early = (today() - timedelta(days=25)).isoformat()
    r = _decide(client, csrf, made.id, approve="true", note="paper", decided_on=early)
    assert r.status_code == 422 and 'href="#decided_on"' in r.text and "לפני הגשת הבקשה" in r.text
    future = (today() + timedelta(days=1)).isoformat()
    assert _decide(client, csrf, made.id, approve="true", note="paper", decided_on=future).status_code == 422
    paper = today() - timedelta(days=10)
    r = _decide(client, csrf, made.id, approve="true", note="paper", decided_on=paper.isoformat())
    assert r.status_code == 303
    decided = db.get(RequirementRequest, made.id)
    assert decided is not None and decided.decided_on == paper and decided.state == "approved"
    assert _status(client, p.official.id, paper) == ["not_started"]
    assert _status(client, p.official.id, paper - timedelta(days=1)) == ["overdue"]


def test_a_liaison_reads_a_request_but_cannot_decide_it(db: Session, client: TestClient, programme) -> None:
    p = _person(db)
    made = _extension(db, p)
    csrf = _liaison(db, client)
    page = client.get(f"/compliance/requests/{made.id}")
    assert page.status_code == 200 and "/decision" not in page.text and 'name="approve"' not in page.text
    r = _decide(client, csrf, made.id, approve="true", note="mine")
    assert r.status_code == 403
    assert db.get(RequirementRequest, made.id).state == "pending"  # type: ignore[union-attr]


def test_a_liaison_gets_404_for_another_authoritys_request_and_official(
    db: Session, client: TestClient, programme
) -> None:
    p = _person(db, authority="0070")
    made = _extension(db, p)
    _liaison(db, client)
    assert client.get(f"/compliance/requests/{made.id}").status_code == 404
    assert client.get(f"/compliance/officials/{p.official.id}").status_code == 404
    gone = client.get(f"/compliance/requirements/{p.requirement.id}/requests/new?kind=extension")
    assert gone.status_code == 404
    english = client.get(f"/compliance/officials/{p.official.id}?lang=en")
    assert english.status_code == 404 and '<html lang="en" dir="ltr">' in english.text


def test_a_liaison_files_an_extension_and_an_exemption(db: Session, client: TestClient, programme) -> None:
    p = _person(db)
    csrf = _liaison(db, client)
    page = client.get(f"/compliance/officials/{p.official.id}").text
    assert f'href="/compliance/requirements/{p.requirement.id}/requests/new?kind=extension"' in page
    form = client.get(f"/compliance/requirements/{p.requirement.id}/requests/new?kind=extension")
    assert form.status_code == 200 and 'name="requested_due_date"' in form.text
    url = f"/compliance/requirements/{p.requirement.id}/requests"
    bad = client.post(url, data={"csrf_token": csrf, "kind": "extension", "reason": "x"}, headers=ORIGIN)
    assert bad.status_code == 422 and 'href="#requested_due_date"' in bad.text and 'href="#reason"' in bad.text
    wanted = (today() + timedelta(days=90)).isoformat()
    r = client.post(
        url,
        data={"csrf_token": csrf, "kind": "extension", "requested_due_date": wanted, "reason": "reserve duty"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?notice=request_filed"), r.text
    filed = client.get(r.headers["location"]).text
    assert "הבקשה הוגשה." in filed and 'data-request-state="pending"' in filed
    again = client.post(
        url,
        data={"csrf_token": csrf, "kind": "extension", "requested_due_date": wanted, "reason": "again"},
        headers=ORIGIN,
    )
    assert again.status_code == 409 and "כבר ממתינה בקשה" in again.text
    page = client.get(f"/compliance/officials/{p.official.id}").text
    assert 'data-ask="extension"' not in page and 'data-ask="exemption"' in page
    no_code = client.post(url, data={"csrf_token": csrf, "kind": "exemption", "reason": "acting"}, headers=ORIGIN)
    assert no_code.status_code == 422 and 'href="#reason_code"' in no_code.text
    r = client.post(
        url,
        data={"csrf_token": csrf, "kind": "exemption", "reason_code": "acting_appointment", "reason": "acting"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303
    kinds = db.scalars(
        select(RequirementRequest.kind).where(RequirementRequest.requirement_id == p.requirement.id)
    ).all()
    assert sorted(kinds) == ["exemption", "extension"]
    english = client.get(f"/compliance/requirements/{p.requirement.id}/requests/new?kind=exemption&lang=en").text
    assert "Acting appointment" in english and "Ask for an exemption" in english


def test_the_history_is_in_date_order(db: Session, client: TestClient, programme) -> None:
    p = _person(db, days_ago=900)
    made = _extension(db, p, filed_days_ago=30)
    make_completion(db, p.official, programme, today() - timedelta(days=3))
    _auditor(db, client)
    page = client.get(f"/compliance/officials/{p.official.id}")
    assert page.status_code == 200, page.text
    rows = re.findall(r'<tr data-event-kind="(\w+)"[^>]*>\s*<td><time datetime="([\d-]+)"', page.text)
    kinds = [k for k, _ in rows]
    assert kinds == ["appointment_started", "requirement", "request_filed", "completion"], kinds
    days = [d for _, d in rows]
    assert days == sorted(days)
    assert f'href="/compliance/requests/{made.id}"' in page.text
    assert 'data-status="completed"' in page.text
    assert (
        'data-status="overdue"'
        in client.get(f"/compliance/officials/{p.official.id}?as_of={today() - timedelta(days=4)}").text
    )
    bad = client.get(f"/compliance/officials/{p.official.id}?as_of=2026-02-30")
    assert bad.status_code == 422 and 'href="#as_of"' in bad.text
    english = client.get(f"/compliance/officials/{p.official.id}?lang=en").text
    assert "Appointment start" in english and "Training requirement" in english


def test_the_biggest_pages_run_as_many_statements_for_1_or_10_rows(
    db: Session, client: TestClient, programme, callers_read_each_time
) -> None:
    first = _person(db)
    _extension(db, first)
    _auditor(db, client)
    with counting_statements(db) as one:
        assert len(_ids(client.get("/compliance/requests").text)) == 1
    with counting_statements(db) as one_history:
        client.get(f"/compliance/officials/{first.official.id}")
    for _ in range(9):
        _extension(db, _person(db))
    make_appointment(db, first.official, authority="0031", role="internal_auditor", start=today() - timedelta(days=100))
    make_completion(db, first.official, programme, today() - timedelta(days=3))
    db.flush()
    with counting_statements(db) as ten:
        assert len(_ids(client.get("/compliance/requests").text)) == 10
    with counting_statements(db) as ten_history:
        client.get(f"/compliance/officials/{first.official.id}")
    assert len(one) == len(ten)
    assert len(one_history) == len(ten_history)


def test_a_liaison_no_longer_sees_the_requests_of_a_former_official(db: Session, client: TestClient, programme) -> None:
    p = _person(db)
    made = _extension(db, p)
    db.execute(
        update(Appointment)
        .where(Appointment.official_id == p.official.id)
        .values(end_date=today() - timedelta(days=200))
    )
    _liaison(db, client)
    assert _ids(client.get("/compliance/requests").text) == []
    assert client.get(f"/compliance/requests/{made.id}").status_code == 404


def test_the_api_filters_requests_as_the_page_does(db: Session, client: TestClient, programme) -> None:
    here = _extension(db, _person(db))
    there = _extension(db, _person(db, authority="0070"))
    auth = headers(make_user(db, "auditor"))
    listed = client.get("/api/v1/requests", params={"authority": "0070"}, headers=auth).json()["items"]
    assert [r["id"] for r in listed] == [there.id]
    southern = client.get("/api/v1/requests", params={"district": "southern"}, headers=auth).json()["items"]
    assert {r["id"] for r in southern} == {here.id, there.id}
    assert client.get("/api/v1/requests", params={"role": "mayor"}, headers=auth).json()["total"] == 0
