"""What verifiers resolve besides the credential: the revocation status list (W3C Bitstring Status List), the
issuer's profile and the achievements at their ids; and the reissue of credentials of the old form."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from app.auth import operator
from app.certificates import keys, linked_data, rules, service
from app.certificates.models import Certificate
from app.config import get_settings


def _issue(client, admin, enrolment_id):
    r = client.post(f"/api/v1/enrolments/{enrolment_id}/certificate", headers=admin)
    assert r.status_code == 201, r.text
    return r.json()


def _credential(client, admin, serial):
    return client.get(f"/api/v1/certificates/{serial}/credential", headers=admin).json()["credential"]


def _status_bit(client, credential) -> bool:
    entry = credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    base = get_settings().public_base_url.rstrip("/")
    r = client.get(entry["statusListCredential"][len(base) :])
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vc+ld+json")
    status_list = r.json()
    assert (
        "BitstringStatusListCredential" in status_list["type"] and status_list["issuer"] == credential["issuer"]["id"]
    )
    key = keys.current_key().public_key()
    assert linked_data.verify_proof(status_list, key), "the status list is signed by the issuer"
    return int(entry["statusListIndex"]) in rules.decode_status_list(status_list["credentialSubject"]["encodedList"])


def test_revoking_sets_the_credentials_bit_and_nobody_elses(client, admin, closed):
    first = _issue(client, admin, closed.enrolments[0].id)
    second = _issue(client, admin, closed.enrolments[1].id)
    one, two = _credential(client, admin, first["serial"]), _credential(client, admin, second["serial"])
    assert one["credentialStatus"]["statusListIndex"] != two["credentialStatus"]["statusListIndex"]
    assert not _status_bit(client, one) and not _status_bit(client, two)
    r = client.post(f"/api/v1/certificates/{first['serial']}/revoke", json={"reason": "issued in error"}, headers=admin)
    assert r.status_code == 200, r.text
    assert _status_bit(client, one) and not _status_bit(client, two)


def test_superseding_sets_the_old_ones_bit(client, admin, closed):
    old = _issue(client, admin, closed.enrolments[0].id)
    new = client.post(f"/api/v1/certificates/{old['serial']}/reissue", headers=admin).json()
    assert _status_bit(client, _credential(client, admin, old["serial"]))
    assert not _status_bit(client, _credential(client, admin, new["serial"]))


def test_an_unknown_status_list_is_404(client):
    assert client.get("/api/v1/credentials/status/1").status_code == 200  # the first exists from the start
    assert client.get("/api/v1/credentials/status/99").status_code == 404
    assert client.get("/api/v1/credentials/status/0").status_code == 422


def test_the_issuer_profile_answers_at_its_url_as_json_ld_and_as_a_page(client, admin, closed):
    cert = _issue(client, admin, closed.enrolments[0].id)
    issuer = _credential(client, admin, cert["serial"])["issuer"]
    base = get_settings().public_base_url.rstrip("/")
    assert issuer["url"] == f"{base}/issuer"
    r = client.get("/issuer", headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    assert {k: v for k, v in r.json().items() if k != "@context"} == issuer
    page = client.get("/issuer", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert get_settings().school_name_he in page.text and issuer["id"] in page.text


def test_the_achievement_answers_at_its_id_as_json_ld_and_as_a_page(client, admin, closed):
    cert = _issue(client, admin, closed.enrolments[0].id)
    achievement = _credential(client, admin, cert["serial"])["credentialSubject"]["achievement"]
    base = get_settings().public_base_url.rstrip("/")
    path = achievement["id"][len(base) :]
    r = client.get(path, headers={"Accept": "application/json"})
    assert r.status_code == 200 and {k: v for k, v in r.json().items() if k != "@context"} == achievement
    page = client.get(path)
    assert page.status_code == 200 and "ניהול תקציב רשותי" in page.text and "Municipal budgeting" in page.text
    assert client.get("/achievements/NOPE", headers={"Accept": "application/json"}).status_code == 404
    assert client.get("/achievements/NOPE").status_code == 404


@pytest.fixture
def pdf_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(get_settings(), "certificates_dir", tmp_path / "pdf")
    return tmp_path / "pdf"


def _make_old_form(db, serial: str, national_id: str) -> Certificate:
    """Turn an issued certificate into one of the old form: no proof, no status entry, the ID hashed inside."""
    cert = db.query(Certificate).filter_by(serial=serial).one()
    cert.credential_json, cert.status_list, cert.status_list_index = None, None, None
    cert.credential_jws = "eyJhbGciOiJFZERTQSJ9." + json.dumps({"identityHash": f"sha256$hash-of-{national_id}"})
    db.flush()
    return cert


def test_reissue_credentials_replaces_the_old_form_and_withdraws_it(client, admin, db, closed, pdf_dir):
    valid = _issue(client, admin, closed.enrolments[0].id)
    revoked = _issue(client, admin, closed.enrolments[1].id)
    client.post(f"/api/v1/certificates/{revoked['serial']}/revoke", json={"reason": "issued in error"}, headers=admin)
    ids = [o.national_id for o in closed.officials]
    old_valid, old_revoked = _make_old_form(db, valid["serial"], ids[0]), _make_old_form(db, revoked["serial"], ids[1])
    assert client.get(f"/api/v1/certificates/{valid['serial']}/pdf", headers=admin).status_code == 200  # stored
    from app.certificates import documents

    assert documents.stored_path(old_valid).exists()

    outcome = service.reissue_legacy_credentials(db, actor=operator("test"))
    assert list(outcome.reissued) == [valid["serial"]] and sorted(outcome.withdrawn) == sorted(
        [valid["serial"], revoked["serial"]]
    )
    new_serial = outcome.reissued[valid["serial"]]
    # the old one is superseded, its credential and PDF (which embedded it) gone; the verification page says so
    old = client.get(f"/api/v1/certificates/{valid['serial']}", headers=admin).json()
    assert old["status"] == "superseded" and old["superseded_by"] == new_serial
    assert not documents.stored_path(old_valid).exists()
    r = client.get(f"/api/v1/certificates/{valid['serial']}/credential", headers=admin)
    assert r.status_code == 409 and r.json()["error"] == "credential_withdrawn"
    assert r.json()["current_serial"] == new_serial
    assert client.get(f"/api/v1/certificates/{revoked['serial']}/credential", headers=admin).status_code == 409
    assert old_revoked.credential_jws == "" and old_valid.credential_jws == ""
    # the new one: proof, status entry, PDF with the new credential, and no trace of the national ID
    new_body = client.get(f"/api/v1/certificates/{new_serial}/credential", headers=admin)
    assert new_body.status_code == 200 and "proof" in new_body.json()["credential"]
    pdf = client.get(f"/api/v1/certificates/{new_serial}/pdf", headers=admin).content
    embedded = PdfReader(io.BytesIO(pdf)).attachments["credential.json"][0]
    assert json.loads(embedded) == new_body.json()["credential"]
    for text in (new_body.text, embedded.decode()):
        assert ids[0] not in text and 'identityHash": "sha256' not in text and "nationalIdentityNumber" not in text
    # run again: nothing left to do
    again = service.reissue_legacy_credentials(db, actor=operator("test"))
    assert again.reissued == {} and again.withdrawn == []
