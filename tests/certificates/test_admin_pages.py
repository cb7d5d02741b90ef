"""The school's page of a cohort's certificates: each with its status hook, issuing the missing ones, downloading
each and all (one PDF or a ZIP, the API's export), reissuing one, and revoking one with a reason (a form whose errors
are at the field, 422, nothing written); both languages; other roles refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.certificates.models import Certificate
from tests.certificates.conftest import make_closed_cohort
from tests.factories import make_user, sign_in


def _origin() -> dict[str, str]:
    return {"Origin": "http://testserver"}


def _statuses(db: Session, cohort_id: int) -> list[str]:
    return sorted(db.scalars(select(Certificate.status).where(Certificate.cohort_id == cohort_id)))


def test_issuing_the_missing_certificates_then_downloading_each_and_all(db: Session, client: TestClient) -> None:
    closed = make_closed_cohort(db, people=2)
    csrf = sign_in(db, client, make_user(db, "admin")).csrf_token
    url = f"/admin/cohorts/{closed.cohort.id}/certificates"
    html = client.get(url).text
    assert "הנפקת 2 התעודות החסרות" in html and "data-certificate-status" not in html
    r = client.post(url, data={"csrf_token": csrf}, headers=_origin(), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == url + "?notice=certificates_issued"
    assert _statuses(db, closed.cohort.id) == ["valid", "valid"]
    page = client.get(r.headers["location"])
    html = page.text
    assert page.status_code == 200 and "התעודות החסרות הונפקו." in html
    assert html.count('data-certificate-status="valid"') == 2
    assert f'action="/admin/cohorts/{closed.cohort.id}/certificates"' not in html  # none missing now
    serial = db.scalars(select(Certificate.serial).where(Certificate.cohort_id == closed.cohort.id)).first()
    assert f'href="/api/v1/certificates/{serial}/pdf"' in html
    assert f'href="/api/v1/cohorts/{closed.cohort.id}/certificates.zip"' in html
    one = client.get(f"/api/v1/certificates/{serial}/pdf")
    assert one.status_code == 200 and one.content[:5] == b"%PDF-"
    zipped = client.get(f"/api/v1/cohorts/{closed.cohort.id}/certificates.zip")
    assert zipped.status_code == 200 and zipped.content[:2] == b"PK"
    english = client.get(url + "?lang=en").text
    assert '<html lang="en" dir="ltr">' in english and "Valid" in english and "All certificates as one PDF" in english


def test_revoking_asks_for_a_reason_at_the_field_then_revokes(db: Session, client: TestClient) -> None:
    closed = make_closed_cohort(db, people=1)
    csrf = sign_in(db, client, make_user(db, "admin")).csrf_token
    client.post(f"/admin/cohorts/{closed.cohort.id}/certificates", data={"csrf_token": csrf}, headers=_origin())
    serial = db.scalars(select(Certificate.serial).where(Certificate.cohort_id == closed.cohort.id)).one()
    url = f"/admin/certificates/{serial}/revoke"
    form = client.get(url)
    assert form.status_code == 200 and f"ביטול התעודה <bdi>{serial}</bdi>" in form.text and 'for="reason"' in form.text
    r = client.post(url, data={"csrf_token": csrf, "reason": " x "}, headers=_origin())
    assert r.status_code == 422 and 'href="#reason"' in r.text and 'id="reason-error"' in r.text
    assert "Write why" in client.post(url + "?lang=en", data={"csrf_token": csrf, "reason": ""}, headers=_origin()).text
    assert _statuses(db, closed.cohort.id) == ["valid"]  # nothing written
    client.get(url + "?lang=he")
    r = client.post(url, data={"csrf_token": csrf, "reason": "הוענקה בטעות"}, headers=_origin(), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?notice=certificate_revoked")
    assert _statuses(db, closed.cohort.id) == ["revoked"]
    html = client.get(r.headers["location"]).text
    assert 'data-certificate-status="revoked"' in html and "הוענקה בטעות" in html and "התעודה בוטלה." in html
    assert "אפשר לבטל רק תעודה בתוקף" in client.get(url).text


def test_reissuing_supersedes_the_old_certificate(db: Session, client: TestClient) -> None:
    closed = make_closed_cohort(db, people=1)
    csrf = sign_in(db, client, make_user(db, "admin")).csrf_token
    client.post(f"/admin/cohorts/{closed.cohort.id}/certificates", data={"csrf_token": csrf}, headers=_origin())
    serial = db.scalars(select(Certificate.serial).where(Certificate.cohort_id == closed.cohort.id)).one()
    r = client.post(
        f"/admin/certificates/{serial}/reissue", data={"csrf_token": csrf}, headers=_origin(), follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?notice=certificate_reissued")
    assert _statuses(db, closed.cohort.id) == ["superseded", "valid"]
    html = client.get(r.headers["location"]).text
    assert 'data-certificate-status="superseded"' in html and 'data-certificate-status="valid"' in html


def test_other_roles_and_unknown_records(db: Session, client: TestClient) -> None:
    closed = make_closed_cohort(db, people=1)
    sign_in(db, client, make_user(db, "auditor"))
    assert client.get(f"/admin/cohorts/{closed.cohort.id}/certificates").status_code == 403
    client.cookies.clear()
    sign_in(db, client, make_user(db, "admin"))
    assert client.get("/admin/cohorts/999999/certificates").status_code == 404
    assert client.get("/admin/certificates/MKM-0000-999999/revoke").status_code == 404
