"""The registry's pages: search by names in Hebrew, Arabic and English and by ID with or without leading zeros; a
person's page with every record and its hooks, in a fixed number of statements; adding and editing an official and
their appointments, refused forms kept as typed with each error at its field and nothing written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import ADMIN
from app.clock import today
from app.officials.models import Appointment, Official
from app.officials.selectors import list_officials
from tests.factories import ACTOR, counting_statements, make_appointment, make_official, make_user, national_id, sign_in
from tests.home.test_home import ROLES, _official_of_every_kind

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def csrf(db: Session, client: TestClient) -> str:
    return sign_in(db, client, make_user(db, ADMIN)).csrf_token


def _found(db: Session, q: str) -> set[int]:
    page = list_officials(db, q=q, authority=None, role=None, actor=ACTOR, limit=50, offset=0)
    return {o.id for o in page.items}


def test_the_search_finds_names_in_hebrew_arabic_and_english_and_ids_with_or_without_zeros(db: Session) -> None:
    jamal = make_official(db, first_name_he="ג'מאל", last_name_he="חסן", first_name_en="Jamal", last_name_en="Hassan")
    ahmad = make_official(db, first_name_he="אחמד", last_name_he="עבד", first_name_en="أحمد", last_name_en="عبد الله")
    zero_led = national_id(1234567)  # "01234567" and its check digit: a leading zero
    dana = make_official(db, national_id=zero_led, first_name_he="דָּנָה", last_name_he="לוי")
    db.flush()
    # Hebrew, whichever geresh (or none), points or not.
    assert jamal.id in _found(db, "ג׳מאל") and jamal.id in _found(db, "גמאל חסן") and jamal.id in _found(db, "ג'מאל")
    assert dana.id in _found(db, "דנה לוי")
    # English, any case; Arabic, with or without harakat and hamza.
    assert _found(db, "jamal hassan") == {jamal.id} and jamal.id in _found(db, "HASSAN")
    assert ahmad.id in _found(db, "احمد") and ahmad.id in _found(db, "أَحْمَد") and ahmad.id in _found(db, "عبد")
    assert jamal.id not in _found(db, "احمد")
    # The ID, with its leading zero or without it, or with dashes.
    assert dana.id in _found(db, zero_led) and dana.id in _found(db, zero_led.lstrip("0"))
    assert dana.id in _found(db, f"{zero_led[:3]}-{zero_led[3:]}")


def test_the_registry_lists_officials_with_their_appointments_and_what_they_owe_in_both_languages(
    db: Session, client: TestClient, csrf: str
) -> None:
    official_id = _official_of_every_kind(db, ROLES[:1])
    other = make_official(db, first_name_he="ג'מאל", last_name_he="חסן", first_name_en="Jamal", last_name_en="Hassan")
    make_appointment(db, other, authority="3000", role="city_engineer", start=date(2023, 5, 1))
    official = db.get_one(Official, official_id)
    page = client.get("/admin/officials", params={"q": official.national_id.lstrip("0")})
    assert page.status_code == 200 and '<html lang="he" dir="rtl">' in page.text
    assert f'data-official-id="{official_id}"' in page.text and f'href="/admin/officials/{official_id}"' in page.text
    assert "אופקים" in page.text and 'class="tag tag--overdue-count">1<' in page.text  # one requirement outstanding
    assert f'data-official-id="{other.id}"' not in page.text
    english = client.get("/admin/officials?q=hassan&lang=en").text
    assert '<html lang="en" dir="ltr">' in english and "Jamal Hassan" in english and "Jerusalem" in english
    assert f'data-official-id="{official_id}"' not in english
    by_authority = client.get("/admin/officials", params={"authority": "3000", "role": "city_engineer"}).text
    assert f'data-official-id="{other.id}"' in by_authority and f'data-official-id="{official_id}"' not in by_authority
    nobody = client.get("/admin/officials", params={"q": "אין כזה שם", "lang": "he"})
    assert nobody.status_code == 200 and "לא נמצאו בעלי/ות תפקידים" in nobody.text


def test_a_persons_page_shows_appointments_requirements_enrolments_certificates_requests_and_history(
    db: Session, client: TestClient, csrf: str
) -> None:
    official_id = _official_of_every_kind(db, ROLES[:1])
    r = client.post(
        f"/admin/officials/{official_id}/edit",
        data={
            "csrf_token": csrf,
            "national_id": db.get_one(Official, official_id).national_id,
            "first_name_he": "דנה",
            "last_name_he": "שמעוני",
            "first_name_en": "Dana",
            "last_name_en": "Cohen",
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/admin/officials/{official_id}?notice=official_saved"
    html = client.get(r.headers["location"]).text
    assert "דנה שמעוני" in html and "הפרטים נשמרו." in html
    assert 'data-status="not_started"' in html and '<bdi lang="he">' in html  # the Hebrew calendar beside the date
    assert 'data-enrolment-status="enrolled"' in html and 'data-enrolment-status="completed"' in html
    assert 'data-certificate-status="valid"' in html and "/pdf" in html
    assert 'data-request-state="pending"' in html and "הארכת מועד" in html
    assert "/admin/appointments/" in html and "גזבר" in html
    # The history: the name's change, before and after.
    assert "<del><bdi>כהן" in html and "<ins><bdi>שמעוני</bdi></ins>" in html
    english = client.get(f"/admin/officials/{official_id}?lang=en").text
    assert '<html lang="en" dir="ltr">' in english and "Not started" in english and "Extension" in english


def test_a_persons_page_costs_the_same_statements_for_one_record_of_each_kind_as_for_ten(
    db: Session,
    client: TestClient,
    csrf: str,
    callers_read_each_time,
) -> None:
    one, ten = _official_of_every_kind(db, ROLES[:1]), _official_of_every_kind(db, ROLES[1:])
    client.get("/admin/officials")  # the test's own first savepoint released outside the count
    counts = []
    for official_id in (one, ten):
        with counting_statements(db) as statements:
            assert client.get(f"/admin/officials/{official_id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    listed = []
    lone = make_official(db, first_name_he="זאב", last_name_he="מרגלית")
    make_appointment(db, lone, start=today() - timedelta(days=30))
    for _ in range(10):
        make_appointment(db, make_official(db), start=today() - timedelta(days=30))
    client.get("/admin/officials")  # as above
    for q in ("זאב מרגלית", ""):  # one official listed, then a full page of them
        with counting_statements(db) as statements:
            page = client.get("/admin/officials", params={"q": q})
        assert page.status_code == 200
        listed.append((len(statements), page.text.count("data-official-id=")))
    assert listed[0][1] == 1 and listed[1][1] > 10
    assert listed[0][0] == listed[1][0]


def test_adding_an_official_refused_keeps_what_was_typed_names_each_field_and_writes_nothing(
    db: Session, client: TestClient, csrf: str
) -> None:
    before = db.scalar(select(func.count()).select_from(Official))
    r = client.post("/admin/officials", data={"csrf_token": csrf, "first_name_en": "Dana"}, headers=ORIGIN)
    assert r.status_code == 422
    for name in ("national_id", "first_name_he", "last_name_he"):
        assert f'href="#{name}"' in r.text and f'id="{name}-error"' in r.text
    assert 'value="Dana"' in r.text
    wrong = client.post(
        "/admin/officials",
        data={"csrf_token": csrf, "national_id": "123456789", "first_name_he": "Dana", "last_name_he": "לוי"},
        headers=ORIGIN,
    )
    assert wrong.status_code == 422 and "ספרת הביקורת" in wrong.text and "באותיות עבריות" in wrong.text
    assert 'value="123456789"' in wrong.text
    existing = make_official(db)
    duplicate = client.post(
        "/admin/officials",
        data={
            "csrf_token": csrf,
            "national_id": existing.national_id.lstrip("0"),
            "first_name_he": "רונית",
            "last_name_he": "לוי",
        },
        headers=ORIGIN,
    )
    assert duplicate.status_code == 409 and 'id="national_id-error"' in duplicate.text
    assert f'href="/admin/officials/{existing.id}"' in duplicate.text
    english = client.post("/admin/officials?lang=en", data={"csrf_token": csrf}, headers=ORIGIN)
    assert english.status_code == 422 and "Enter" in english.text
    assert db.scalar(select(func.count()).select_from(Official)) == before + 1  # only the factory's


def test_an_admin_adds_an_official_then_an_appointment_then_ends_it(db: Session, client: TestClient, csrf: str) -> None:
    new_id = national_id(2345678)
    r = client.post(
        "/admin/officials",
        data={
            "csrf_token": csrf,
            "national_id": new_id.lstrip("0"),
            "first_name_he": "סמיר",
            "last_name_he": "חורי",
            "first_name_en": "سمير",
            "last_name_en": "خوري",
            "email": "",
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    official = db.scalars(select(Official).where(Official.national_id == new_id)).one()
    assert official.first_name_en == "سمير" and official.email is None
    assert r.headers["location"] == f"/admin/officials/{official.id}?notice=official_created"

    form = {"csrf_token": csrf, "authority_code": "0031", "role_code": "treasurer", "start_date": "2025-03-01"}
    refused = client.post(
        f"/admin/officials/{official.id}/appointments", data={**form, "end_date": "2025-01-01"}, headers=ORIGIN
    )
    assert refused.status_code == 422 and 'id="end_date-error"' in refused.text and 'value="2025-01-01"' in refused.text
    missing = client.post(f"/admin/officials/{official.id}/appointments", data={"csrf_token": csrf}, headers=ORIGIN)
    assert missing.status_code == 422
    assert all(f'href="#{n}"' in missing.text for n in ("authority_code", "role_code", "start_date"))
    assert db.scalar(select(func.count()).select_from(Appointment).where(Appointment.official_id == official.id)) == 0
    added = client.post(
        f"/admin/officials/{official.id}/appointments", data=form, headers=ORIGIN, follow_redirects=False
    )
    assert added.status_code == 303
    overlap = client.post(f"/admin/officials/{official.id}/appointments", data=form, headers=ORIGIN)
    assert overlap.status_code == 422 and 'id="start_date-error"' in overlap.text
    appointment = db.scalars(select(Appointment).where(Appointment.official_id == official.id)).one()

    edit = client.get(f"/admin/appointments/{appointment.id}/edit")
    assert edit.status_code == 200 and 'value="2025-03-01"' in edit.text
    ended = client.post(
        f"/admin/appointments/{appointment.id}/edit",
        data={"csrf_token": csrf, "start_date": "2025-03-01", "end_date": "2026-02-28"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert ended.status_code == 303
    db.refresh(appointment)
    assert appointment.end_date == date(2026, 2, 28)
    page = client.get(f"/admin/officials/{official.id}").text
    assert "28/02/2026" in page and "<ins><bdi>2026-02-28</bdi></ins>" in page
