"""The signed credential: Open Badges 3.0, Ed25519 JWS, verified with nothing but the published keys."""

from __future__ import annotations

import hashlib
import json
import warnings

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from app.certificates import keys
from app.config import get_settings


@pytest.fixture
def own_keys(tmp_path, monkeypatch):
    """A keys directory of the test's own, so rotation here leaves the others alone."""
    monkeypatch.setattr(get_settings(), "signing_keys_dir", tmp_path / "keys")
    return tmp_path / "keys"


def _issue(client, admin, enrolment_id):
    r = client.post(f"/api/v1/enrolments/{enrolment_id}/certificate", headers=admin)
    assert r.status_code == 201, r.text
    return r.json()


def _verify_with_published_keys(client, token):
    published = client.get("/.well-known/jwks.json")
    assert published.status_code == 200
    key_set = KeySet.import_key_set(published.json())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags alg EdDSA since RFC 9864
        signed = jws.deserialize_compact(token, key_set, algorithms=["EdDSA"])
    return signed.headers(), json.loads(signed.payload)


def test_credential_verifies_with_only_the_published_key(client, admin, closed, own_keys):
    cert = _issue(client, admin, closed.enrolments[0].id)
    r = client.get(f"/api/v1/certificates/{cert['serial']}/credential", headers=admin)
    assert r.status_code == 200, r.text
    token = r.json()["jws"]
    assert token.count(".") == 2  # compact serialisation
    header, vc = _verify_with_published_keys(client, token)
    assert header["alg"] == "EdDSA" and header["kid"] == r.json()["kid"]
    assert "AchievementCredential" in vc["type"] and "VerifiableCredential" in vc["type"]
    assert vc["issuer"]["name"] and vc["issuer"]["id"].startswith("http")
    assert vc["validFrom"].endswith("Z")
    subject = vc["credentialSubject"]
    achievement = subject["achievement"]
    assert achievement["criteria"]["narrative"] and achievement["creditsAvailable"] == 24
    assert achievement["name"] == "Municipal budgeting"
    hashed = subject["identifier"][0]
    national_id = closed.officials[0].national_id
    assert national_id not in token and national_id not in json.dumps(vc)
    assert hashed["hashed"] is True
    assert hashed["identityHash"] == "sha256$" + hashlib.sha256((national_id + hashed["salt"]).encode()).hexdigest()
    assert vc["id"].endswith(f"/verify/{cert['verification_code']}")
    raw = client.get(
        f"/api/v1/certificates/{cert['serial']}/credential", headers={**admin, "Accept": "application/vc+jwt"}
    )
    assert raw.headers["content-type"].startswith("application/vc+jwt") and raw.text == token


def test_jwks_publishes_okp_ed25519_with_kid(client, own_keys):
    body = client.get("/.well-known/jwks.json").json()
    assert len(body["keys"]) == 1
    key = body["keys"][0]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["kid"] and "d" not in key


def test_rotation_keeps_old_credentials_verifiable(client, admin, closed, own_keys):
    old = _issue(client, admin, closed.enrolments[0].id)
    old_token = client.get(f"/api/v1/certificates/{old['serial']}/credential", headers=admin).json()
    new_key = keys.rotate_signing_key()
    assert new_key.kid != old_token["kid"]
    new = _issue(client, admin, closed.enrolments[1].id)
    new_token = client.get(f"/api/v1/certificates/{new['serial']}/credential", headers=admin).json()
    assert new_token["kid"] == new_key.kid
    published = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    assert published == {old_token["kid"], new_key.kid}
    for token in (old_token["jws"], new_token["jws"]):
        _verify_with_published_keys(client, token)


def test_a_key_is_made_once_even_when_asked_at_once(own_keys):
    import threading

    kids: list[str] = []
    threads = [threading.Thread(target=lambda: kids.append(keys.current_key().kid)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(kids)) == 1 and len(list(own_keys.glob("key-*.pem"))) == 1
