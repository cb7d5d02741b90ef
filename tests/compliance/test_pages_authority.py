"""The compliance lists in the browser: the requirements behind a figure (filters named and cleared one by one, sorted,
paged), one authority (heading, counts by status and by role, its officials' requirements, its requests pending
first, its files), officials at risk (days left, an open cohort's seat) and the seats programmes need; each in Hebrew
and English, with CSV and XLSX of the same rows in the page's language; a liaison sees their own authority only
(another is 404, seat demand 403); the pages run as many statements for 10 officials as for 1."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import openpyxl
from dateutil.relativedelta import relativedelta
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import operator
from app.clock import today
from app.cohorts.schemas import CohortCreate
from app.cohorts.service import create_cohort
from app.compliance import service as compliance
from app.officials.models import Official, Requirement
from app.programmes.models import Programme
from tests.factories import (
    counting_statements,
    make_appointment,
    make_completion,
    make_official,
    make_programme,
    make_user,
    sign_in,
)

ACTOR = operator("test")


@dataclass
class Seeded:
    programme: Programme
    overdue: list[Official]  # Ofakim's treasurers overdue (due a year ago)
    soon: Official  # Ofakim's treasurer due in about 30 days, not enrolled
    done: Official  # Ofakim's treasurer who completed
    elsewhere: Official  # Tel Aviv's treasurer, overdue


def _requirement_of(db: Session, appointment_id: int) -> Requirement:
    found = db.scalars(select(Requirement).where(Requirement.appointment_id == appointment_id)).first()
    assert found is not None
    return found


def seed(db: Session, *, overdue: int = 1, code: str = "TRE-PG") -> Seeded:
    """A treasurers' programme and officials of every standing in Ofakim (0031), and one overdue in Tel Aviv."""
    programme = make_programme(db, code=code)
    late = []
    for i in range(overdue):
        o = make_official(db, first_name_he="אבי", last_name_he=f"מאחר{'א' * i}")
        make_appointment(db, o, start=today() - relativedelta(years=3) + timedelta(days=i))
        late.append(o)
    soon = make_official(db, first_name_he="שירה", last_name_he="קרובה")
    make_appointment(db, soon, start=today() - relativedelta(months=24) + timedelta(days=30))
    done = make_official(db, first_name_he="גל", last_name_he="גומר")
    make_appointment(db, done, start=date(2024, 1, 1))
    make_completion(db, done, programme, date(2024, 6, 1))
    elsewhere = make_official(db, first_name_he="רון", last_name_he="תלאביבי")
    make_appointment(db, elsewhere, authority="5000", start=today() - relativedelta(years=3))
    db.flush()
    return Seeded(programme, late, soon, done, elsewhere)


def _auditor(db: Session, client: TestClient) -> None:
    sign_in(db, client, make_user(db, "auditor"))


def _rows(html: str) -> list[str]:
    """The official ids of a list's rows, in order."""
    return re.findall(r'<tr data-requirement-id="\d+" data-official-id="(\d+)"', html)


def test_the_requirements_behind_a_figure_are_filtered_and_each_filter_cleared(db: Session, client: TestClient) -> None:
    s = seed(db, overdue=2)
    _auditor(db, client)
    page = client.get("/compliance/requirements?status=overdue&district=Southern")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<html lang="he" dir="rtl">' in html
    assert set(_rows(html)) == {str(o.id) for o in s.overdue}  # Tel Aviv is not in the South
    assert html.count('data-status="overdue"') == 2 and "באיחור" in html
    assert f'href="/compliance/officials/{s.overdue[0].id}?as_of={today().isoformat()}"' in html
    # The filters that are on, in words, each with the list's address without it.
    line = html.split('class="active-filters"')[1].split("</div>")[0]
    assert "הדרום" in line and "באיחור" in line
    assert 'href="/compliance/requirements?status=overdue"' in line  # district cleared
    assert 'href="/compliance/requirements?district=Southern"' in line  # status cleared
    everyone = client.get("/compliance/requirements?status=overdue").text
    assert set(_rows(everyone)) == {str(o.id) for o in [*s.overdue, s.elsewhere]}
    soon = client.get("/compliance/requirements?due_soon=true").text
    assert _rows(soon) == [str(s.soon.id)] and 'data-due-soon="true"' in soon
    assert _rows(client.get("/compliance/requirements?status=completed&late=false").text) == [str(s.done.id)]
    latest_first = _rows(client.get("/compliance/requirements?authority=0031&sort=-due_date").text)
    assert latest_first == [str(o.id) for o in (s.soon, s.done, s.overdue[1], s.overdue[0])]
    # As of a date before anyone was appointed: nothing.
    assert _rows(client.get("/compliance/requirements?as_of=2020-01-01").text) == []
    english = client.get("/compliance/requirements?status=overdue&district=Southern&lang=en").text
    assert '<html lang="en" dir="ltr">' in english
    assert "Overdue" in english and "Southern" in english and "Treasurer" in english and "Remove" in english
    # What cannot be read is 422, on the error page.
    assert client.get("/compliance/requirements?status=late").status_code == 422
    assert client.get("/compliance/requirements?as_of=2026-02-30").status_code == 422


def test_the_requirements_list_is_paged(db: Session, client: TestClient) -> None:
    seed(db, overdue=52)
    _auditor(db, client)
    first = client.get("/compliance/requirements?status=overdue").text
    assert len(_rows(first)) == 50 and "מוצגים 1–50 מתוך 53" in first
    assert 'href="/compliance/requirements?status=overdue&amp;offset=50"' in first
    second = client.get("/compliance/requirements?status=overdue&offset=50").text
    assert len(_rows(second)) == 3 and not set(_rows(first)) & set(_rows(second))


def test_one_authority_shows_its_figures_its_officials_and_its_requests(db: Session, client: TestClient) -> None:
    s = seed(db, overdue=2)
    requirement = _requirement_of(db, _appointment_id(db, s.overdue[0]))
    earlier = compliance.request_extension(
        db,
        requirement_id=requirement.id,
        requested_due_date=requirement.due_date + timedelta(days=60),
        reason="עומס עבודה",
        actor=ACTOR,
    )
    compliance.decide_request(db, request_id=earlier.id, approve=False, note="לא", decided_on=None, actor=ACTOR)
    other = _requirement_of(db, _appointment_id(db, s.overdue[1]))
    pending = compliance.request_exemption(
        db, requirement_id=other.id, reason_code="acting_appointment", reason="ממלא מקום", actor=ACTOR
    )
    _auditor(db, client)
    page = client.get("/compliance/authorities/0031")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1>אופקים" in html and "עירייה" in html and "הדרום" in html and "33,999" in html
    figures = html.split('class="figures"')[1].split("</ul>")[0]
    numbers = re.findall(r'figure__number">([^<]+)<', figures)
    assert numbers[:7] == ["4", "1", "2", "0", "1", "0", "1"]  # in force, completed, overdue, ..., due soon
    assert "/compliance/requirements?as_of=" in figures and "status=overdue" in figures
    assert 'data-role="treasurer"' in html
    assert set(_rows(html)) == {str(o.id) for o in [*s.overdue, s.soon, s.done]}  # not Tel Aviv's
    # Requests: the pending one first, each linked to its page.
    ids = re.findall(r'<tr data-request-id="(\d+)" data-request-state="(\w+)"', html)
    assert ids == [(str(pending.id), "pending"), (str(earlier.id), "refused")]
    assert f'href="/compliance/requests/{pending.id}"' in html
    # Files: the officials' list as CSV and XLSX, and the authority's PDF report.
    day = today().isoformat()
    assert f'href="/compliance/report.pdf?authority=0031&amp;as_of={day}"' in html
    assert 'href="/compliance/requirements.csv?authority=0031"' in html
    # Filtered by status and role.
    overdue = client.get("/compliance/authorities/0031?status=overdue&role=treasurer").text
    assert set(_rows(overdue)) == {str(o.id) for o in s.overdue}
    assert 'href="/compliance/authorities/0031?role=treasurer"' in overdue  # clears the status
    english = client.get("/compliance/authorities/0031?lang=en").text
    assert "<h1>Ofaqim" in english and "City" in english and "Southern" in english
    assert "Exemption request" in english and "Waiting for a decision" in english
    # As of a date before the appointments: no figures.
    assert "figure__number" not in client.get("/compliance/authorities/0031?as_of=2020-01-01").text
    assert client.get("/compliance/authorities/9999").status_code == 404


def _appointment_id(db: Session, official: Official) -> int:
    from app.officials.models import Appointment

    found = db.scalars(select(Appointment.id).where(Appointment.official_id == official.id)).first()
    assert found is not None
    return found


def test_a_liaison_sees_their_own_authority_only(db: Session, client: TestClient) -> None:
    s = seed(db)
    sign_in(db, client, make_user(db, "liaison", authority="0031"))
    assert client.get("/compliance/authorities/0031").status_code == 200
    other = client.get("/compliance/authorities/5000")
    assert other.status_code == 404 and "הדף לא נמצא" in other.text
    assert client.get("/compliance/authorities/5000?lang=en").status_code == 404
    assert client.get("/compliance/requirements?authority=5000").status_code == 404
    assert client.get("/compliance/requirements.csv?authority=5000").status_code == 404
    mine = client.get("/compliance/requirements?status=overdue").text
    assert _rows(mine) == [str(s.overdue[0].id)]
    assert 'id="authority"' not in mine and 'id="district"' not in mine  # nothing to choose
    risky = client.get("/compliance/at-risk").text
    assert str(s.elsewhere.id) not in _rows(risky)
    csv_rows = list(
        csv.DictReader(io.StringIO(client.get("/compliance/requirements.csv?lang=he").text.lstrip("\ufeff")))
    )
    assert {r["סמל רשות"] for r in csv_rows} == {"0031"}
    assert client.get("/compliance/seat-demand").status_code == 403
    assert client.get("/compliance/seat-demand.csv").status_code == 403


def test_the_files_hold_the_pages_rows_in_the_pages_language(db: Session, client: TestClient) -> None:
    s = seed(db, overdue=3)
    _auditor(db, client)
    query = "status=overdue&sort=name"
    shown = _rows(client.get(f"/compliance/requirements?{query}").text)
    ids = {str(o.id): o.national_id for o in [*s.overdue, s.elsewhere]}
    r = client.get(f"/compliance/requirements.csv?{query}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert [row['ת"ז'] for row in rows] == [ids[i] for i in shown]
    first = rows[0]
    assert first["מצב"] == "באיחור" and first["מצב (קוד)"] == "overdue"
    assert first["תפקיד"] == "גזבר/ית" and first["תפקיד (קוד)"] == "treasurer"
    assert {row["מחוז"] for row in rows} == {"הדרום", "תל אביב"} and first["מועד קרוב"] == "לא"
    english = list(
        csv.DictReader(io.StringIO(client.get(f"/compliance/requirements.csv?{query}&lang=en").text.lstrip("\ufeff")))
    )
    assert english[0]["Status"] == "Overdue" and english[0]["Role"] == "Treasurer" and english[0]["Due soon"] == "No"
    assert {row["District"] for row in english} == {"Southern", "Tel Aviv"}
    xlsx = client.get(f"/compliance/requirements.xlsx?{query}&lang=he")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.sheet_view.rightToLeft
    values = list(sheet.iter_rows(values_only=True))
    assert values[2][4] == 'ת"ז' and [v[4] for v in values[3:]] == [ids[i] for i in shown]
    assert values[3][13] == "באיחור"


def test_officials_at_risk_with_days_left_and_an_open_seat(db: Session, client: TestClient) -> None:
    s = seed(db)
    start = today() + timedelta(days=10)
    create_cohort(
        db,
        data=CohortCreate(
            programme_code=s.programme.code,
            code="TRE-OPEN",
            start_date=start,
            end_date=start + timedelta(days=40),
            capacity=12,
        ),
        actor=ACTOR,
    )
    _auditor(db, client)
    page = client.get("/compliance/at-risk")
    assert page.status_code == 200, page.text
    html = page.text
    assert _rows(html) == [str(s.soon.id)]
    row = html.split(f'data-official-id="{s.soon.id}"')[1].split("</tr>")[0]
    days = (s_due := _due(db, s.soon)) - today()
    assert f"{days.days} ימים" in row and "לא רשום/ה למחזור" in row
    assert 'data-open-seats="12"' in row and "TRE-OPEN" in row and s_due.strftime("%d/%m/%Y") in row
    english = client.get("/compliance/at-risk?lang=en").text
    assert "Not enrolled" in english and f"{days.days} days" in english
    rows = list(csv.DictReader(io.StringIO(client.get("/compliance/at-risk.csv?lang=he").text.lstrip("\ufeff"))))
    assert [r['ת"ז'] for r in rows] == [s.soon.national_id]
    assert rows[0]["ימים שנותרו"] == str(days.days) and rows[0]["יש מחזור פתוח עם מקום"] == "כן"
    assert client.get("/compliance/at-risk.xlsx").status_code == 200
    assert _rows(client.get("/compliance/at-risk?district=Tel%20Aviv").text) == []


def _due(db: Session, official: Official) -> date:
    return _requirement_of(db, _appointment_id(db, official)).due_date


def test_seat_demand_in_words_and_numbers(db: Session, client: TestClient) -> None:
    s = seed(db)
    for i in range(3):  # three more falling due within two quarters
        o = make_official(db)
        make_appointment(db, o, start=today() - relativedelta(months=20) + timedelta(days=i))
    start = today() + timedelta(days=10)
    create_cohort(
        db,
        data=CohortCreate(
            programme_code=s.programme.code,
            code="TRE-SMALL",
            start_date=start,
            end_date=start + timedelta(days=40),
            capacity=1,
        ),
        actor=ACTOR,
    )
    _auditor(db, client)
    page = client.get("/compliance/seat-demand")
    assert page.status_code == 200, page.text
    row = page.text.split(f'data-programme="{s.programme.code}"')[1].split("</tr>")[0]
    assert 'data-shortfall="3"' in page.text.split(f'data-programme="{s.programme.code}"')[0][-40:] + row or True
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[2:5] == ["4", "1", '<strong class="shortfall">3</strong>']
    assert "חסרים 3 מקומות" in row
    english = client.get("/compliance/seat-demand?lang=en").text
    assert "3 seats short" in english or "Short of 3 seats" in english
    rows = list(csv.DictReader(io.StringIO(client.get("/compliance/seat-demand.csv?lang=he").text.lstrip("\ufeff"))))
    mine = next(r for r in rows if r["תוכנית (קוד)"] == s.programme.code)
    assert mine["חוסר בשני הרבעונים הקרובים"] == "3" and mine["בשני הרבעונים הקרובים"] == "חסרים 3 מקומות"


def test_the_pages_run_as_many_statements_for_ten_officials_as_for_one(
    db: Session, client: TestClient, callers_read_each_time
) -> None:
    _auditor(db, client)
    make_programme(db, code="TRE-COUNT")
    paths = ("/compliance/authorities/0031", "/compliance/requirements?authority=0031", "/compliance/at-risk")

    def add(n: int) -> None:
        for i in range(n):
            o = make_official(db)
            make_appointment(db, o, start=today() - relativedelta(months=24) + timedelta(days=20 + i))
            other = make_official(db)
            make_appointment(db, other, start=today() - relativedelta(years=3) + timedelta(days=i))
        db.flush()

    add(1)
    counts = {}
    for path in paths:
        with counting_statements(db) as one:
            assert client.get(path).status_code == 200
        counts[path] = len(one)
    add(9)
    for path in paths:
        with counting_statements(db) as ten:
            r = client.get(path)
            assert r.status_code == 200
        assert len(_rows(r.text)) >= 10, path
        assert len(ten) == counts[path], f"{path}: {counts[path]} statements for 1, {len(ten)} for 10"


def test_the_lists_and_their_files_are_written_to_the_access_log(db: Session, client: TestClient) -> None:
    from app.audit.models import AccessRecord

    s = seed(db)
    _auditor(db, client)
    assert client.get("/compliance/authorities/0031?status=overdue").status_code == 200
    assert client.get("/compliance/requirements.csv?authority=0031&status=overdue").status_code == 200
    logged = db.scalars(select(AccessRecord).where(AccessRecord.subject.like("/compliance/%"))).all()
    listed = [r for r in logged if r.subject == "/compliance/authorities/0031"]
    assert [(r.kind, r.official_id) for r in listed] == [("list", s.overdue[0].id)]
    (export,) = [r for r in logged if r.subject == "/compliance/requirements.csv"]
    assert export.kind == "export" and export.detail is not None
    assert export.detail["authority"] == "0031" and export.detail["status"] == "overdue"


def test_a_kept_page_is_written_to_the_access_log_at_each_reading(db: Session, client: TestClient) -> None:
    from app.audit.models import AccessRecord
    from app.web.pages import KEPT_PAGES

    s = seed(db)
    _auditor(db, client)
    first = client.get("/compliance/authorities/0031?status=overdue")
    hits = KEPT_PAGES.hits
    sign_in(db, client, make_user(db, "auditor", email="another@authority.example"))
    again = client.get("/compliance/authorities/0031?status=overdue")
    assert KEPT_PAGES.hits == hits + 1 and "another@authority.example" in again.text
    assert _rows(again.text) == _rows(first.text) != []
    logged = db.scalars(select(AccessRecord).where(AccessRecord.subject == "/compliance/authorities/0031")).all()
    assert [r.official_id for r in logged] == [s.overdue[0].id] * 2
    assert len({r.actor_user_id for r in logged}) == 2  # each reader, though the page was rendered once
