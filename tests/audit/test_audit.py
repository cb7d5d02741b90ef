"""The audit trail: every change and login, who, when, before and after, in the same transaction."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import headers, make_official, make_user


def test_create_and_update_of_an_official_are_in_the_trail(client, db):
    admin = make_user(db, "admin")
    h = headers(admin)
    o = client.post(
        "/api/v1/officials", headers=h, json={"national_id": "18", "first_name_he": "דנה", "last_name_he": "לוי"}
    ).json()
    client.patch(f"/api/v1/officials/{o['id']}", headers=h, json={"last_name_he": "כהן"})
    events = client.get("/api/v1/audit", params={"entity_type": "official", "entity_id": o["id"]}, headers=h).json()
    assert [e["action"] for e in events["items"]] == ["update", "create"]
    update, create = events["items"]
    assert create["before"] is None and create["after"]["national_id"] == "000000018"
    assert update["before"]["last_name_he"] == "לוי" and update["after"]["last_name_he"] == "כהן"
    assert update["actor_user_id"] == admin.id and update["at"].endswith(("+00:00", "Z"))
    mine = client.get("/api/v1/audit", params={"user_id": admin.id}, headers=h).json()
    assert mine["total"] >= 2 and all(e["actor_user_id"] == admin.id for e in mine["items"])


def test_appointment_and_its_requirement_are_audited(client, db):
    from tests.factories import make_programme

    make_programme(db)
    h = headers(make_user(db, "admin"))
    o = make_official(db)
    a = client.post(
        f"/api/v1/officials/{o.id}/appointments",
        headers=h,
        json={"authority_code": "0031", "role_code": "treasurer", "start_date": "2024-01-01"},
    ).json()
    client.patch(f"/api/v1/appointments/{a['id']}", headers=h, json={"end_date": "2024-12-31"})
    appt = client.get("/api/v1/audit", params={"entity_type": "appointment", "entity_id": a["id"]}, headers=h).json()
    assert [e["action"] for e in appt["items"]] == ["update", "create"]
    assert appt["items"][0]["after"]["end_date"] == "2024-12-31"
    reqs = client.get("/api/v1/audit", params={"entity_type": "requirement"}, headers=h).json()
    assert reqs["total"] >= 1 and reqs["items"][0]["after"]["due_date"] == "2026-01-01"


def test_a_refused_change_leaves_no_audit_event(client, db):
    h = headers(make_user(db, "admin"))
    o = make_official(db)
    before = client.get("/api/v1/audit", params={"entity_type": "appointment"}, headers=h).json()["total"]
    ok = client.post(
        f"/api/v1/officials/{o.id}/appointments",
        headers=h,
        json={"authority_code": "0031", "role_code": "treasurer", "start_date": str(date(2024, 1, 1))},
    )
    dup = client.post(
        f"/api/v1/officials/{o.id}/appointments",
        headers=h,
        json={"authority_code": "0031", "role_code": "treasurer", "start_date": "2024-03-01"},
    )
    assert (ok.status_code, dup.status_code) == (201, 409)
    after = client.get("/api/v1/audit", params={"entity_type": "appointment"}, headers=h).json()["total"]
    assert after == before + 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_route_changes_or_deletes_the_trail(client, db, method):
    h = headers(make_user(db, "admin"))
    r = client.request(method.upper(), "/api/v1/audit", headers=h, json={})
    assert r.status_code == 405
