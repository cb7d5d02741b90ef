"""Officials and appointments through the API, as an admin would use them."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import headers, make_appointment, make_official, make_programme, make_user, national_id


@pytest.fixture
def admin(db):
    return headers(make_user(db, "admin"))


def _create(client, admin, **kw):
    body = {"national_id": national_id(), "first_name_he": "דנה", "last_name_he": "לוי", **kw}
    return client.post("/api/v1/officials", json=body, headers=admin)


def test_create_official_restores_leading_zeros_and_reads_back(client, admin):
    r = _create(client, admin, national_id="18", first_name_en="Dana", last_name_en="Levi", email="Dana@Example.org")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["national_id"] == "000000018"
    assert body["email"] == "dana@example.org"
    got = client.get(f"/api/v1/officials/{body['id']}", headers=admin).json()
    assert got["first_name_he"] == "דנה" and got["last_name_en"] == "Levi"


@pytest.mark.parametrize("typed", ["000000018", "18", "0000-00018", "\u200f18\u200e", 18])
def test_the_same_person_twice_is_409_however_typed(client, admin, typed):
    assert _create(client, admin, national_id="000000018").status_code == 201
    r = _create(client, admin, national_id=typed)
    assert r.status_code == 409
    assert r.json()["error"] == "duplicate_official"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("national_id", "123456789", "check digit"),
        ("national_id", "000000000", "all zeros"),
        ("national_id", "12345678a", "digits only"),
        ("national_id", "1234567890", "more than 9"),
        ("first_name_he", "Dana", "Hebrew"),
        ("first_name_he", "\u200f\u200b", "empty"),
        ("email", "not-an-email", "email"),
    ],
)
def test_bad_fields_are_422_naming_the_field(client, admin, field, value, says):
    r = _create(client, admin, **{field: value})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid"
    assert body["field"] == field
    assert says in body["detail"] and field in body["detail"]


def test_missing_required_field_is_named(client, admin):
    r = client.post("/api/v1/officials", json={"national_id": national_id(), "first_name_he": "דנה"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "last_name_he"


def test_names_are_cleaned_before_storage(client, admin):
    r = _create(client, admin, first_name_he="\u202bדנה\u202c\u200b", last_name_he="  כהן   לוי ")
    assert r.json()["first_name_he"] == "דנה"
    assert r.json()["last_name_he"] == "כהן לוי"


def test_patch_changes_only_what_is_sent_and_keeps_ids_unique(client, admin):
    a = _create(client, admin).json()
    b = _create(client, admin).json()
    r = client.patch(f"/api/v1/officials/{a['id']}", json={"last_name_en": "Cohen"}, headers=admin)
    assert r.status_code == 200 and r.json()["last_name_en"] == "Cohen" and r.json()["last_name_he"] == "לוי"
    r = client.patch(f"/api/v1/officials/{a['id']}", json={"national_id": b["national_id"]}, headers=admin)
    assert r.status_code == 409
    r = client.patch(f"/api/v1/officials/{a['id']}", json={"last_name_he": None}, headers=admin)
    assert r.status_code == 422
    assert client.get("/api/v1/officials/999999", headers=admin).status_code == 404


def test_search_by_name_id_authority_and_role(client, db, admin):
    o = make_official(db, first_name_he="יוסי", last_name_he="מזרחי", first_name_en="Yossi", last_name_en="Mizrahi")
    other = make_official(db, first_name_he="רונית", last_name_he="מזרחי")
    make_appointment(db, o, authority="0031", role="treasurer")
    make_appointment(db, other, authority="31", role="city_engineer")

    def ids(**q: str) -> set[int]:
        return {x["id"] for x in client.get("/api/v1/officials", params=q, headers=admin).json()["items"]}

    assert ids(q="מזרחי") >= {o.id, other.id}
    assert o.id in ids(q="yossi")
    assert ids(q=o.national_id.lstrip("0")) == {o.id}
    assert o.id in ids(authority="0031") and other.id not in ids(authority="0031")
    assert other.id in ids(authority="31") and o.id not in ids(authority="31")
    assert ids(role="city_engineer", q="מזרחי") == {other.id}


def test_appointment_creates_requirement_due_by_rule_1(client, db, admin):
    make_programme(db, code="TREAS")
    o = _create(client, admin).json()
    r = client.post(
        f"/api/v1/officials/{o['id']}/appointments",
        json={"authority_code": "0031", "role_code": "treasurer", "start_date": "2024-02-29"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    reqs = client.get(f"/api/v1/officials/{o['id']}/requirements", params={"as_of": "2025-12-15"}, headers=admin)
    [req] = reqs.json()["items"]
    assert req["due_date"] == "2026-02-28"
    assert (req["status"], req["due_soon"], req["late"]) == ("not_started", True, False)
    assert (req["role_code"], req["authority_code"], req["programme_code"]) == ("treasurer", "0031", "TREAS")
    assert req["appointment_id"] == r.json()["id"]
    after = client.get(f"/api/v1/officials/{o['id']}/requirements", params={"as_of": "2026-03-01"}, headers=admin)
    assert after.json()["items"][0]["status"] == "overdue"
    before = client.get(f"/api/v1/officials/{o['id']}/requirements", params={"as_of": "2024-02-28"}, headers=admin)
    assert before.json()["items"] == []


def test_role_without_mandatory_programme_creates_no_requirement(client, db, admin):
    o = make_official(db)
    make_appointment(db, o, role="legal_adviser")
    assert client.get(f"/api/v1/officials/{o.id}/requirements", headers=admin).json()["total"] == 0


def test_unknown_codes_are_422_with_the_code(client, db, admin):
    o = make_official(db)
    r = client.post(
        f"/api/v1/officials/{o.id}/appointments",
        json={"authority_code": "9999", "role_code": "treasurer", "start_date": "2024-01-01"},
        headers=admin,
    )
    assert r.status_code == 422 and "9999" in r.json()["detail"] and r.json()["field"] == "authority_code"
    r = client.post(
        f"/api/v1/officials/{o.id}/appointments",
        json={"authority_code": "0031", "role_code": "mayor", "start_date": "2024-01-01"},
        headers=admin,
    )
    assert r.status_code == 422 and "mayor" in r.json()["detail"] and r.json()["field"] == "role_code"
    r = client.post(
        f"/api/v1/officials/{o.id}/appointments",
        json={"authority_code": "0031", "role_code": "treasurer", "start_date": "2024-01-01", "end_date": "2023-01-01"},
        headers=admin,
    )
    assert r.status_code == 422 and "end_date" in r.json()["detail"]


def test_codes_31_and_0031_are_different_authorities(client, db, admin):
    o = make_official(db)
    a = client.post(
        f"/api/v1/officials/{o.id}/appointments",
        json={"authority_code": "31", "role_code": "treasurer", "start_date": "2020-01-01", "end_date": "2021-12-31"},
        headers=admin,
    )
    b = client.post(
        f"/api/v1/officials/{o.id}/appointments",
        json={"authority_code": "0031", "role_code": "treasurer", "start_date": "2022-01-01"},
        headers=admin,
    )
    assert a.status_code == b.status_code == 201
    assert [
        x["authority_code"] for x in client.get(f"/api/v1/officials/{o.id}/appointments", headers=admin).json()["items"]
    ] == ["31", "0031"]


def test_overlapping_appointment_to_the_same_role_is_409(client, db, admin):
    o = make_official(db)
    make_appointment(db, o, start=date(2024, 1, 1))
    r = client.post(
        f"/api/v1/officials/{o.id}/appointments",
        json={"authority_code": "0031", "role_code": "treasurer", "start_date": "2024-06-01"},
        headers=admin,
    )
    assert r.status_code == 409 and r.json()["error"] == "overlapping_appointment"


def test_ending_an_appointment_early_closes_its_requirement(client, db, admin):
    make_programme(db)
    o = make_official(db)
    appt = make_appointment(db, o, start=date(2023, 3, 1))
    r = client.patch(f"/api/v1/appointments/{appt.id}", json={"end_date": "2024-08-31"}, headers=admin)
    assert r.status_code == 200 and r.json()["end_date"] == "2024-08-31"

    def status(as_of: str) -> str:
        r = client.get(f"/api/v1/officials/{o.id}/requirements", params={"as_of": as_of}, headers=admin)
        return r.json()["items"][0]["status"]

    assert status("2024-08-31") == "not_started"
    assert status("2024-09-01") == "closed"


def test_correcting_the_start_moves_the_due_date(client, db, admin):
    make_programme(db)
    o = make_official(db)
    appt = make_appointment(db, o, start=date(2023, 3, 1))
    client.patch(f"/api/v1/appointments/{appt.id}", json={"start_date": "2023-08-31"}, headers=admin)
    [req] = client.get(f"/api/v1/officials/{o.id}/requirements", params={"as_of": "2024-01-01"}, headers=admin).json()[
        "items"
    ]
    assert req["due_date"] == "2025-08-31"


def test_programme_created_later_is_owed_by_existing_appointments(client, db, admin):
    o = make_official(db)
    make_appointment(db, o, role="hr_manager", start=date(2025, 1, 15))
    r = client.post(
        "/api/v1/programmes",
        headers=admin,
        json={
            "code": "HR-ENTRY",
            "kind": "mandatory",
            "title_he": "הכשרת מנהלי משאבי אנוש",
            "title_en": "HR entry",
            "hours": 90,
            "min_attendance_pct": 80,
            "role_codes": ["hr_manager"],
        },
    )
    assert r.status_code == 201, r.text
    [req] = client.get(f"/api/v1/officials/{o.id}/requirements", headers=admin).json()["items"]
    assert (req["programme_code"], req["due_date"]) == ("HR-ENTRY", "2027-01-15")
    roles = {x["code"]: x for x in client.get("/api/v1/roles", headers=admin).json()["items"]}
    assert roles["hr_manager"]["mandatory_programme_code"] == "HR-ENTRY"
    assert roles["legal_adviser"]["mandatory_programme_code"] is None


def test_a_role_owes_one_mandatory_programme(client, db, admin):
    make_programme(db, code="TREAS")
    r = client.post(
        "/api/v1/programmes",
        headers=admin,
        json={
            "code": "TREAS2",
            "kind": "mandatory",
            "title_he": "שניה",
            "title_en": "Second",
            "hours": 10,
            "role_codes": ["treasurer"],
        },
    )
    assert r.status_code == 409 and "TREAS" in r.json()["detail"]
    r = client.post(
        "/api/v1/programmes",
        headers=admin,
        json={"code": "X1", "kind": "mandatory", "title_he": "א", "title_en": "A", "hours": 10, "role_codes": ["nope"]},
    )
    assert r.status_code == 422 and "nope" in r.json()["detail"]
    r = client.post(
        "/api/v1/programmes",
        headers=admin,
        json={"code": "TREAS", "kind": "advanced", "title_he": "א", "title_en": "A", "hours": 10},
    )
    assert r.status_code == 409


def test_completion_recorded_by_decision_satisfies_requirement_and_carries_over(client, db, admin):
    make_programme(db, code="TREAS", validity_years=5)
    o = make_official(db)
    make_appointment(db, o, authority="0031", start=date(2022, 1, 1), end=date(2023, 12, 31))
    make_appointment(db, o, authority="31", start=date(2024, 6, 1))
    r = client.post(
        f"/api/v1/officials/{o.id}/completions",
        headers=admin,
        json={"programme_code": "TREAS", "completed_on": "2023-05-10", "reason": "paper records of 2023"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "decision"
    reqs = client.get(f"/api/v1/officials/{o.id}/requirements", params={"as_of": "2024-07-01"}, headers=admin)
    assert [(x["authority_code"], x["status"], x["late"]) for x in reqs.json()["items"]] == [
        ("0031", "completed", False),
        ("31", "completed", False),
    ]
    again = client.post(
        f"/api/v1/officials/{o.id}/completions",
        headers=admin,
        json={"programme_code": "TREAS", "completed_on": "2023-05-10", "reason": "again"},
    )
    assert again.status_code == 409
    future = client.post(
        f"/api/v1/officials/{o.id}/completions",
        headers=admin,
        json={"programme_code": "TREAS", "completed_on": "2999-01-01", "reason": "typo"},
    )
    assert future.status_code == 422 and future.json()["field"] == "completed_on"


def test_expired_prior_completion_does_not_carry_over(client, db, admin):
    make_programme(db, code="TREAS", validity_years=3)
    o = make_official(db)
    client.post(
        f"/api/v1/officials/{o.id}/completions",
        headers=admin,
        json={"programme_code": "TREAS", "completed_on": "2019-05-01", "reason": "old"},
    )
    make_appointment(db, o, start=date(2023, 9, 1))
    [req] = client.get(f"/api/v1/officials/{o.id}/requirements", params={"as_of": "2024-01-01"}, headers=admin).json()[
        "items"
    ]
    assert req["status"] == "not_started"


def test_as_of_must_be_a_date(client, db, admin):
    o = make_official(db)
    r = client.get(f"/api/v1/officials/{o.id}/requirements", params={"as_of": "2024-13-01"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "as_of"
