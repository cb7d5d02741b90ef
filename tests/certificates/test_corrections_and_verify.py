"""Revocation, reissue after a name correction, and the public verification (page and JSON)."""

from __future__ import annotations

import pytest

from app.audit.models import AuditEvent
from app.web.ratelimit import SlidingWindow


@pytest.fixture
def cert(client, admin, closed):
    r = client.post(f"/api/v1/enrolments/{closed.enrolments[0].id}/certificate", headers=admin)
    assert r.status_code == 201, r.text
    return r.json()


def test_verify_a_valid_certificate_in_json_and_html(client, cert):
    r = client.get(f"/api/v1/verify/{cert['verification_code']}")
    assert r.status_code == 200
    body = r.json()
    assert {
        k: body[k]
        for k in ("valid", "status", "serial", "holder_name_he", "holder_name_en", "programme_title_he", "issued_on")
    } == {
        "valid": True,
        "status": "valid",
        "serial": cert["serial"],
        "holder_name_he": "נועה ברק",
        "holder_name_en": "Noa Barak",
        "programme_title_he": "ניהול תקציב רשותי",
        "issued_on": cert["issued_on"],
    }
    page = client.get(f"/verify/{cert['verification_code']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "התעודה תקפה" in page.text and "This certificate is valid" not in page.text
    assert f"<bdi>{cert['serial']}</bdi>" in page.text  # isolated inside the Hebrew
    assert '<html lang="he" dir="rtl">' in page.text and 'data-certificate-status="valid"' in page.text
    english = client.get(f"/verify/{cert['verification_code']}", params={"lang": "en"}).text
    assert '<html lang="en" dir="ltr">' in english and "This certificate is valid" in english and "Noa Barak" in english


def test_unknown_code_is_a_clear_404(client):
    r = client.get("/api/v1/verify/not-a-real-code-at-all")
    assert r.status_code == 404
    assert r.json()["valid"] is False and r.json()["error"] == "unknown_certificate"
    page = client.get("/verify/not-a-real-code-at-all")
    assert page.status_code == 404 and "לא נמצאה תעודה" in page.text
    english = client.get("/verify/not-a-real-code-at-all", params={"lang": "en"})
    assert english.status_code == 404 and "No certificate has this verification code" in english.text


def test_revoke_keeps_the_record_and_shows_why(client, admin, cert, db):
    r = client.post(f"/api/v1/certificates/{cert['serial']}/revoke", json={"reason": "הוענקה בטעות"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked" and r.json()["revocation_reason"] == "הוענקה בטעות"
    v = client.get(f"/api/v1/verify/{cert['verification_code']}").json()
    assert v["valid"] is False and v["status"] == "revoked" and v["revocation_reason"] == "הוענקה בטעות"
    assert v["revoked_on"]
    page = client.get(f"/verify/{cert['verification_code']}").text
    assert "התעודה בוטלה" in page and "הוענקה בטעות" in page
    # The PDF of a revoked certificate is not served as valid.
    pdf = client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=admin)
    assert pdf.status_code == 409 and pdf.json()["error"] == "certificate_revoked"
    again = client.post(f"/api/v1/certificates/{cert['serial']}/revoke", json={"reason": "again"}, headers=admin)
    assert again.status_code == 409
    assert client.post(f"/api/v1/certificates/{cert['serial']}/reissue", headers=admin).status_code == 409
    # Asking to issue again gives the same (revoked) certificate, never a second one.
    same = client.post(f"/api/v1/enrolments/{cert['enrolment_id']}/certificate", headers=admin)
    assert same.status_code == 200 and same.json()["serial"] == cert["serial"]
    event = db.query(AuditEvent).filter_by(entity_type="certificate", action="revoke").one()
    assert event.before["status"] == "valid" and event.after["status"] == "revoked"


def test_revoke_needs_a_reason(client, admin, cert):
    r = client.post(f"/api/v1/certificates/{cert['serial']}/revoke", json={"reason": "  "}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "reason"


def test_reissue_after_a_name_correction(client, admin, cert, closed, db):
    official_id = closed.officials[0].id
    r = client.patch(f"/api/v1/officials/{official_id}", json={"last_name_he": "ברקן"}, headers=admin)
    assert r.status_code == 200, r.text
    new = client.post(f"/api/v1/certificates/{cert['serial']}/reissue", headers=admin)
    assert new.status_code == 201, new.text
    new = new.json()
    assert new["serial"] != cert["serial"] and new["verification_code"] != cert["verification_code"]
    assert new["holder_name_he"] == "נועה ברקן" and new["supersedes"] == cert["serial"]
    old = client.get(f"/api/v1/certificates/{cert['serial']}", headers=admin).json()
    assert old["status"] == "superseded" and old["superseded_by"] == new["serial"]
    assert old["holder_name_he"] == "נועה ברק"  # what it said stays as it was
    v = client.get(f"/api/v1/verify/{cert['verification_code']}").json()
    assert v["valid"] is False and v["status"] == "superseded" and v["superseded_by"] == new["serial"]
    assert v["current_verification_url"].endswith(f"/verify/{new['verification_code']}")
    page = client.get(f"/verify/{cert['verification_code']}").text
    assert f"/verify/{new['verification_code']}" in page
    again = client.post(f"/api/v1/certificates/{cert['serial']}/reissue", headers=admin)
    assert again.status_code == 409 and again.json()["error"] == "superseded"
    # The enrolment's certificate is now the new one.
    same = client.post(f"/api/v1/enrolments/{cert['enrolment_id']}/certificate", headers=admin)
    assert same.status_code == 200 and same.json()["serial"] == new["serial"]
    listed = client.get("/api/v1/certificates", params={"official_id": official_id}, headers=admin).json()
    assert {(i["serial"], i["status"]) for i in listed["items"]} == {
        (cert["serial"], "superseded"),
        (new["serial"], "valid"),
    }
    pdf = client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=admin)
    assert pdf.status_code == 409 and pdf.json()["superseded_by"] == new["serial"]
    actions = {e.action for e in db.query(AuditEvent).filter_by(entity_type="certificate")}
    assert {"issue", "supersede", "reissue"} <= actions


def test_only_admins_correct(client, cert, db):
    from tests.factories import headers, make_user

    auditor = headers(make_user(db, "auditor"))
    assert client.post(f"/api/v1/certificates/{cert['serial']}/revoke", json={"reason": "x" * 5},
                       headers=auditor).status_code == 403  # fmt: skip
    assert client.post(f"/api/v1/certificates/{cert['serial']}/reissue", headers=auditor).status_code == 403


def test_verification_is_rate_limited_per_address(client, cert):
    client.app.state.verify_window = SlidingWindow(limit=3)
    codes = ["unknown-1", "unknown-2", cert["verification_code"]]
    assert [client.get(f"/api/v1/verify/{c}").status_code for c in codes] == [404, 404, 200]
    r = client.get(f"/api/v1/verify/{cert['verification_code']}")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"] == "too_many_attempts"
    page = client.get(f"/verify/{cert['verification_code']}")
    assert page.status_code == 429 and "Retry-After" in page.headers


def test_sliding_window_frees_up():
    w = SlidingWindow(limit=2, window=60)
    assert w.hit("a", now=0) == 0 and w.hit("a", now=1) == 0
    assert w.hit("a", now=2) > 0 and w.hit("b", now=2) == 0
    assert w.hit("a", now=61) == 0


def test_shared_limit_falls_back_to_the_process_when_redis_is_unreachable():
    from app.web.ratelimit import SharedWindow

    w = SharedWindow("redis://127.0.0.1:1/0", limit=2)  # nothing listens there
    waits = [w.hit("a") for _ in range(3)]
    assert waits[:2] == [0, 0] and waits[2] > 0  # counted in this process instead of failing
    assert w.hit("b") == 0
