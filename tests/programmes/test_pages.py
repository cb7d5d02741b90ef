"""The catalogue's pages: the list in both languages; a programme created with its modules and assessments through
the form; a refused form kept as typed with each error at its field (422) and nothing written; "add a row" without
writing; a change; retiring after the check page (and no new cohort of a retired programme); a mandatory programme
that roles owe is not retired (409); the list in the same number of statements for 1 or 10 programmes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import today
from app.cohorts.schemas import CohortCreate
from app.cohorts.service import create_cohort
from app.errors import Invalid
from app.programmes.models import Programme
from app.programmes.selectors import get_programme
from tests.factories import ACTOR, counting_statements, make_programme, make_user, sign_in

ORIGIN = {"Origin": "http://testserver"}


def _admin(db: Session, client: TestClient) -> str:
    return sign_in(db, client, make_user(db, "admin")).csrf_token


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Programme)) or 0


def _new(csrf: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "code": "BUDGET-1",
        "kind": "advanced",
        "title_he": "ניהול תקציב",
        "title_en": "Budget management",
        "hours": "30",
        "min_attendance_pct": "80",
        "late_credit_pct": "50",
        "validity_years": "",
        "modules-0-title_he": "מבוא",
        "modules-0-title_en": "Introduction",
        "modules-0-hours": "12.5",
        "modules-1-title_he": "",
        "modules-1-title_en": "",
        "modules-1-hours": "",
        "assessments-0-code": "FINAL",
        "assessments-0-title_he": "עבודה מסכמת",
        "assessments-0-title_en": "Final project",
        "assessments-0-required": "true",
        **extra,
    }


def test_the_catalogue_lists_programmes_in_both_languages(db: Session, client: TestClient) -> None:
    make_programme(db, code="TREAS-ENTRY")
    _admin(db, client)
    page = client.get("/admin/programmes")
    assert page.status_code == 200, page.text
    assert '<html lang="he" dir="rtl">' in page.text
    assert "TREAS-ENTRY" in page.text and "הכשרת גזברים" in page.text and "חובה" in page.text
    assert 'data-programme-state="offered"' in page.text
    programme_id = get_programme(db, code="TREAS-ENTRY").id
    assert f'href="/admin/audit/programme/{programme_id}"' in page.text  # its history
    english = client.get("/admin/programmes?lang=en").text
    assert "Treasurers&#39; entry training" in english and "Mandatory" in english and "Offered" in english


def test_a_programme_is_created_with_a_module_and_an_assessment(db: Session, client: TestClient) -> None:
    csrf = _admin(db, client)
    assert client.get("/admin/programmes/new").status_code == 200
    r = client.post("/admin/programmes/new", data=_new(csrf), headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/admin/programmes?notice=programme_created")
    programme = get_programme(db, code="BUDGET-1")
    assert [(m.title_en, m.hours) for m in programme.modules] == [("Introduction", 12.5)]
    assert [(a.code, a.required) for a in programme.assessments] == [("FINAL", True)]
    assert programme.kind == "advanced" and programme.validity_years is None
    assert "התוכנית נוספה לקטלוג." in client.get(r.headers["location"]).text


def test_a_refused_form_keeps_what_was_typed_names_each_field_and_writes_nothing(
    db: Session, client: TestClient
) -> None:
    csrf = _admin(db, client)
    before = _count(db)
    form = _new(csrf, code="no spaces", hours="", **{"modules-0-hours": "-2", "assessments-0-title_en": ""})
    r = client.post("/admin/programmes/new", data=form, headers=ORIGIN)
    assert r.status_code == 422
    for field in ("code", "hours", "modules-0-hours", "assessments-0-title_en"):
        assert f'href="#{field}"' in r.text, field
        assert f'id="{field}-error"' in r.text, field
    assert "מודול 1: " in r.text and "הערכה 1: " in r.text
    assert 'value="no spaces"' in r.text and 'value="ניהול תקציב"' in r.text and 'value="Introduction"' in r.text
    assert _count(db) == before
    # A mandatory programme names the roles that owe it; a code already taken is refused at its field.
    make_programme(db, code="TAKEN")
    r = client.post("/admin/programmes/new", data=_new(csrf, kind="mandatory"), headers=ORIGIN)
    assert r.status_code == 422 and 'href="#role_codes"' in r.text
    r = client.post("/admin/programmes/new", data=_new(csrf, code="TAKEN"), headers=ORIGIN)
    assert r.status_code == 422 and 'href="#code"' in r.text and "כבר יש בקטלוג תוכנית עם הקוד הזה" in r.text
    english = client.post("/admin/programmes/new?lang=en", data=_new(csrf, code="TAKEN"), headers=ORIGIN)
    assert english.status_code == 422 and "already a programme with this code" in english.text
    assert _count(db) == before + 1


def test_add_a_row_sends_the_form_back_with_one_more_row_and_writes_nothing(db: Session, client: TestClient) -> None:
    csrf = _admin(db, client)
    before = _count(db)
    form = _new(csrf, **{"modules-1-title_he": "שני", "modules-1-title_en": "Second", "modules-1-hours": "3"})
    r = client.post("/admin/programmes/new", data={**form, "add_row": "modules"}, headers=ORIGIN)
    assert r.status_code == 200
    assert 'name="modules-2-title_he"' in r.text and 'name="modules-3-title_he"' not in r.text
    assert 'value="Second"' in r.text
    assert _count(db) == before


def test_a_programme_is_changed_and_a_module_removed_by_emptying_its_row(db: Session, client: TestClient) -> None:
    csrf = _admin(db, client)
    client.post("/admin/programmes/new", data=_new(csrf), headers=ORIGIN)
    form_page = client.get("/admin/programmes/BUDGET-1/edit")
    assert form_page.status_code == 200 and 'value="Introduction"' in form_page.text
    edit = _new(csrf, title_en="Budgets, revised", validity_years="3")
    edit = {k: v for k, v in edit.items() if k not in ("code", "kind")}
    edit |= {"modules-0-title_he": "", "modules-0-title_en": "", "modules-0-hours": ""}
    r = client.post("/admin/programmes/BUDGET-1/edit", data=edit, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303, r.text
    programme = get_programme(db, code="BUDGET-1")
    assert programme.title_en == "Budgets, revised" and programme.validity_years == 3 and programme.modules == []
    r = client.post("/admin/programmes/BUDGET-1/edit", data={**edit, "title_he": ""}, headers=ORIGIN)
    assert r.status_code == 422 and 'href="#title_he"' in r.text
    assert get_programme(db, code="BUDGET-1").title_he == "ניהול תקציב"


def test_retiring_a_programme_after_the_check_page_stops_new_cohorts(db: Session, client: TestClient) -> None:
    csrf = _admin(db, client)
    advanced = make_programme(db, code="OLD-ADV", kind="advanced")
    check = client.get("/admin/programmes/OLD-ADV/retire")
    assert check.status_code == 200 and "לא ייפתחו עוד מחזורים של התוכנית." in check.text
    r = client.post(
        "/admin/programmes/OLD-ADV/retire", data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=False
    )
    assert r.status_code == 303
    assert get_programme(db, code="OLD-ADV").retired_at is not None
    assert 'data-programme-state="retired"' in client.get("/admin/programmes").text
    start = today() + timedelta(days=10)
    with pytest.raises(Invalid) as refused:
        create_cohort(
            db,
            data=CohortCreate(programme_code=advanced.code, code="OLD-1", start_date=start, end_date=start, capacity=5),
            actor=ACTOR,
        )
    assert refused.value.code == "retired_programme"


def test_a_mandatory_programme_that_roles_owe_is_not_retired(db: Session, client: TestClient) -> None:
    csrf = _admin(db, client)
    make_programme(db, code="OWED")
    r = client.post("/admin/programmes/OWED/retire", data={"csrf_token": csrf}, headers=ORIGIN)
    assert r.status_code == 409 and "תפקידים חייבים בתוכנית החובה הזו" in r.text
    assert get_programme(db, code="OWED").retired_at is None
    assert client.get("/admin/programmes/NOPE/edit").status_code == 404


def test_the_catalogue_answers_in_the_same_number_of_statements_for_1_or_10_programmes(
    db: Session,
    client: TestClient,
    callers_read_each_time,
) -> None:
    _admin(db, client)
    make_programme(db, kind="advanced")
    with counting_statements(db) as one:
        assert client.get("/admin/programmes").status_code == 200
    for _ in range(9):
        make_programme(db, kind="advanced")
    with counting_statements(db) as ten:
        assert client.get("/admin/programmes").status_code == 200
    assert len(ten) == len(one)
