"""The signed credential: Open Badges 3.0 with a Data Integrity proof (eddsa-rdfc-2022) by the issuer's did:web
key and the same content as a JWT by OB 3.0's rules; verified here with nothing but what the app publishes.
(tests/certificates/test_wallet_verifiers.py checks it with the wallets' own verifiers.)"""

from __future__ import annotations

import json
import warnings

import pytest
from joserfc import jws
from joserfc.jwk import KeySet, OKPKey
from pyld import jsonld

from app.certificates import keys, linked_data
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


def _path(url):
    base = get_settings().public_base_url.rstrip("/")
    assert url.startswith(base), url
    return url[len(base) :]


def _verify_jwt_with_published_keys(client, token):
    published = client.get("/.well-known/jwks.json")
    assert published.status_code == 200
    key_set = KeySet.import_key_set(published.json())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags alg EdDSA since RFC 9864
        signed = jws.deserialize_compact(token, key_set, algorithms=["EdDSA"])
    return signed.headers(), json.loads(signed.payload)


def _verify_proof_with_did_document(client, credential):
    """Resolve the proof's verification method in the issuer's DID document and check the signature."""
    method = credential["proof"]["verificationMethod"]
    did = method.split("#")[0]
    assert did == credential["issuer"]["id"]
    document = client.get("/.well-known/did.json").json()
    assert document["id"] == did and method in document["assertionMethod"]
    (entry,) = [m for m in document["verificationMethod"] if m["id"] == method]
    assert entry["type"] == "Multikey" and entry["publicKeyMultibase"].startswith("z6Mk")  # Ed25519 multicodec
    return linked_data.verify_proof(credential, linked_data.public_key_from_multibase(entry["publicKeyMultibase"]))


def test_the_credential_has_a_data_integrity_proof_by_the_did_web_issuer(client, admin, closed, own_keys):
    cert = _issue(client, admin, closed.enrolments[0].id)
    r = client.get(f"/api/v1/certificates/{cert['serial']}/credential", headers=admin)
    assert r.status_code == 200, r.text
    vc = r.json()["credential"]
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert {"VerifiableCredential", "OpenBadgeCredential", "AchievementCredential"} <= set(vc["type"])
    assert vc["issuer"]["id"] == "did:web:localhost%3A8000" and vc["issuer"]["name"]
    proof = vc["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod" and proof["proofValue"].startswith("z")
    assert _verify_proof_with_did_document(client, vc) is True
    tampered = {**vc, "credentialSubject": {**vc["credentialSubject"], "creditsEarned": 999}}
    assert _verify_proof_with_did_document(client, tampered) is False
    subject = vc["credentialSubject"]
    assert [i["identityHash"] for i in subject["identifier"]] == ["נועה ברק", "Noa Barak"]
    assert all(i["hashed"] is False and i["identityType"] == "name" for i in subject["identifier"])
    achievement = subject["achievement"]
    assert achievement["criteria"]["narrative"] and achievement["creditsAvailable"] == 24
    assert vc["id"].endswith(f"/verify/{cert['verification_code']}")
    ld = client.get(
        f"/api/v1/certificates/{cert['serial']}/credential", headers={**admin, "Accept": "application/vc+ld+json"}
    )
    assert ld.headers["content-type"].startswith("application/vc+ld+json") and ld.json() == vc


def test_json_ld_processing_keeps_every_term(client, admin, closed, own_keys):
    """Every property is defined by the credential's contexts: none is dropped when it is read as linked data
    (what safe-mode processors refuse), so the proof signs all of what the credential says."""
    cert = _issue(client, admin, closed.enrolments[0].id)
    vc = client.get(f"/api/v1/certificates/{cert['serial']}/credential", headers=admin).json()["credential"]
    options = {"documentLoader": linked_data.document_loader}
    again = jsonld.compact(jsonld.expand(vc, options), {"@context": vc["@context"]}, options)

    def keys_of(value, path=""):
        if isinstance(value, dict):
            return {f"{path}/{k}" for k in value} | {p for k, v in value.items() for p in keys_of(v, f"{path}/{k}")}
        if isinstance(value, list):
            return {p for v in value for p in keys_of(v, path)}
        return set()

    assert keys_of(vc) == keys_of(again)


def test_the_jwt_follows_open_badges_rules_and_verifies_with_its_kid(client, admin, closed, own_keys):
    cert = _issue(client, admin, closed.enrolments[0].id)
    body = client.get(f"/api/v1/certificates/{cert['serial']}/credential", headers=admin).json()
    token = body["jws"]
    assert token.count(".") == 2  # compact serialisation
    header, payload = _verify_jwt_with_published_keys(client, token)
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": body["kid"]}  # no cty
    # the kid is a URL that answers the key as a JWK
    jwk = client.get(_path(header["kid"]))
    assert jwk.status_code == 200 and jwk.headers["content-type"].startswith("application/jwk+json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jws.deserialize_compact(token, OKPKey.import_key(jwk.json()), algorithms=["EdDSA"])
    vc = body["credential"]
    assert payload["iss"] == vc["issuer"]["id"] and payload["jti"] == vc["id"]
    assert payload["sub"] == vc["id"] and isinstance(payload["nbf"], int)  # no holder DID: the credential's id
    assert {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "sub")} == {
        k: v for k, v in vc.items() if k != "proof"
    }
    raw = client.get(
        f"/api/v1/certificates/{cert['serial']}/credential", headers={**admin, "Accept": "application/vc+jwt"}
    )
    assert raw.headers["content-type"].startswith("application/vc+jwt") and raw.text == token


def test_a_holder_who_gave_a_did_is_named_by_it(client, admin, closed, own_keys):
    cert = _issue(client, admin, closed.enrolments[0].id)
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    bad = client.post(f"/api/v1/certificates/{cert['serial']}/reissue", json={"holder_did": "not a did"}, headers=admin)
    assert bad.status_code == 422
    r = client.post(f"/api/v1/certificates/{cert['serial']}/reissue", json={"holder_did": did}, headers=admin)
    assert r.status_code == 201, r.text
    body = client.get(f"/api/v1/certificates/{r.json()['serial']}/credential", headers=admin).json()
    assert body["credential"]["credentialSubject"]["id"] == did
    assert _verify_jwt_with_published_keys(client, body["jws"])[1]["sub"] == did
    # a later reissue (say, after a name correction) keeps naming the holder by it
    again = client.post(f"/api/v1/certificates/{r.json()['serial']}/reissue", headers=admin).json()
    body = client.get(f"/api/v1/certificates/{again['serial']}/credential", headers=admin).json()
    assert body["credential"]["credentialSubject"]["id"] == did


def test_keys_are_published_as_jwks_and_as_multikeys_of_the_did(client, own_keys):
    body = client.get("/.well-known/jwks.json").json()
    assert len(body["keys"]) == 1
    key = body["keys"][0]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["kid"] and "d" not in key
    did = client.get("/.well-known/did.json")
    assert did.status_code == 200 and did.headers["content-type"].startswith("application/did+ld+json")
    assert did.json()["id"] == "did:web:localhost%3A8000"
    assert client.get("/.well-known/jwks/nope.json").status_code == 404


def test_rotation_keeps_old_credentials_verifiable(client, admin, closed, own_keys):
    old = _issue(client, admin, closed.enrolments[0].id)
    old_body = client.get(f"/api/v1/certificates/{old['serial']}/credential", headers=admin).json()
    new_key = keys.rotate_signing_key()
    new = _issue(client, admin, closed.enrolments[1].id)
    new_body = client.get(f"/api/v1/certificates/{new['serial']}/credential", headers=admin).json()
    assert new_body["kid"] != old_body["kid"] and new_body["kid"].endswith(f"/{new_key.kid}.json")
    published = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    assert published == {old_body["kid"], new_body["kid"]}
    assert len(client.get("/.well-known/did.json").json()["verificationMethod"]) == 2  # every key that ever signed
    for body in (old_body, new_body):
        _verify_jwt_with_published_keys(client, body["jws"])
        assert _verify_proof_with_did_document(client, body["credential"]) is True


def test_a_key_is_made_once_even_when_asked_at_once(own_keys):
    import threading

    kids: list[str] = []
    threads = [threading.Thread(target=lambda: kids.append(keys.current_key().kid)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(kids)) == 1 and len(list(own_keys.glob("key-*.pem"))) == 1


def test_the_holder_gives_their_wallets_did_and_is_named_by_it(client, db, admin, closed, own_keys):
    from tests.factories import headers, make_user

    cert = _issue(client, admin, closed.enrolments[0].id)
    other = _issue(client, admin, closed.enrolments[1].id)
    holder = headers(make_user(db, "official", official=closed.officials[0]))
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    r = client.post(f"/api/v1/certificates/{cert['serial']}/holder-did", json={"holder_did": did}, headers=holder)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["supersedes"] == cert["serial"]
    body = client.get(f"/api/v1/certificates/{new['serial']}/credential", headers=holder).json()
    assert body["credential"]["credentialSubject"]["id"] == did
    # someone else's certificate is out of the holder's sight
    r = client.post(f"/api/v1/certificates/{other['serial']}/holder-did", json={"holder_did": did}, headers=holder)
    assert r.status_code == 404
