"""Issuing: one certificate per completed enrolment, readable serials, unguessable codes, scoped lists."""

from __future__ import annotations

import re

from app.audit.models import AuditEvent
from tests.certificates.conftest import make_closed_cohort
from tests.factories import headers, make_user


def _issue(client, admin, enrolment_id):
    return client.post(f"/api/v1/enrolments/{enrolment_id}/certificate", headers=admin)


def test_issue_then_again_returns_the_same(client, admin, closed, db):
    first = _issue(client, admin, closed.enrolments[0].id)
    assert first.status_code == 201, first.text
    body = first.json()
    assert re.fullmatch(r"MKM-\d{4}-\d{6}", body["serial"])
    assert len(body["verification_code"]) >= 22  # 16 random bytes, 128 bits
    assert body["status"] == "valid"
    assert body["holder_name_he"] == "נועה ברק" and body["holder_name_en"] == "Noa Barak"
    assert body["programme_code"] == closed.programme.code and body["hours"] == 24
    assert body["completed_on"] == "2025-03-20"
    again = _issue(client, admin, closed.enrolments[0].id)
    assert again.status_code == 200 and again.json() == body
    events = db.query(AuditEvent).filter_by(entity_type="certificate", action="issue").all()
    assert [e.entity_id for e in events] == [str(body["id"])]


def test_serials_are_unique_and_increasing(client, admin, closed):
    serials = [_issue(client, admin, e.id).json()["serial"] for e in closed.enrolments]
    numbers = [int(s.rsplit("-", 1)[1]) for s in serials]
    assert len(set(serials)) == 2 and numbers[1] > numbers[0]


def test_not_completed_is_409_and_unknown_is_404(client, admin, closed):
    r = _issue(client, admin, closed.failed.id)
    assert r.status_code == 409 and r.json()["error"] == "not_completed"
    assert _issue(client, admin, 987_654_321).status_code == 404


def test_list_is_scoped(client, admin, db, closed):
    mine = _issue(client, admin, closed.enrolments[0].id).json()
    other_cohort = make_closed_cohort(db, people=1, authority="0070")
    theirs = _issue(client, admin, other_cohort.enrolments[0].id).json()
    official = headers(make_user(db, "official", official=closed.officials[0]))
    liaison = headers(make_user(db, "liaison", authority="0031"))
    auditor = headers(make_user(db, "auditor"))

    def serials(h, **q):
        r = client.get("/api/v1/certificates", headers=h, params=q)
        assert r.status_code == 200, r.text
        return {i["serial"] for i in r.json()["items"]}

    assert serials(official) == {mine["serial"]}
    assert mine["serial"] in serials(liaison) and theirs["serial"] not in serials(liaison)
    assert {mine["serial"], theirs["serial"]} <= serials(auditor)
    assert serials(admin, official_id=closed.officials[0].id) == {mine["serial"]}
    item = client.get("/api/v1/certificates", headers=official).json()["items"][0]
    assert set(item) == {"serial", "verification_code", "status", "programme_code", "official_id", "issued_on"}
    assert item["official_id"] == closed.officials[0].id and item["status"] == "valid"
    assert client.get(f"/api/v1/certificates/{theirs['serial']}", headers=official).status_code == 404
    assert client.get(f"/api/v1/certificates/{theirs['serial']}", headers=liaison).status_code == 404
    assert client.get(f"/api/v1/certificates/{mine['serial']}", headers=liaison).status_code == 200


def test_no_id_number_in_any_answer(client, admin, closed):
    body = _issue(client, admin, closed.enrolments[0].id).json()
    national_id = closed.officials[0].national_id
    assert national_id not in str(body)
    assert national_id not in client.get(f"/api/v1/verify/{body['verification_code']}").text
    assert national_id not in client.get(f"/verify/{body['verification_code']}").text
    assert national_id not in client.get(f"/api/v1/certificates/{body['serial']}/credential", headers=admin).text
