"""A freshly issued credential, checked by the verifiers learners' wallets use (tests/verifiers, a Node project
installed by `make test`): `@digitalbazaar/vc` with the eddsa-rdfc-2022 cryptosuite, the Digital Credentials
Consortium's `@digitalcredentials/verifier-core`, `jose` for the JWT form, and the Open Badges 3.0
AchievementCredential JSON schema. Their document loaders serve only shipped contexts and the app's own answers."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.certificates import linked_data
from app.config import PROJECT_ROOT, get_settings

VERIFIERS = PROJECT_ROOT / "tests" / "verifiers"
SCHEMA = VERIFIERS / "schemas" / "ob_v3p0_achievementcredential_schema.json"


def _node() -> str:
    node = shutil.which("node")
    assert node, "Node.js is needed by the wallet verifiers' tests: `make test` installs it (make system-deps)"
    assert (VERIFIERS / "node_modules").is_dir(), "run `make verifiers` (npm ci in tests/verifiers) first"
    return node


def _path_of(url: str) -> str:
    base = get_settings().public_base_url.rstrip("/")
    assert url.startswith(base), url
    return url[len(base) :] or "/"


def run_verifiers(client, tmp_path: Path, credential: dict[str, Any], jwt: str | None) -> dict[str, Any]:
    """What the JS verifiers say of the credential, given the app's answers at the URLs it names."""
    base = get_settings().public_base_url.rstrip("/")
    urls = [f"{base}/.well-known/did.json", credential["credentialStatus"]["statusListCredential"]]
    urls += [k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]]
    documents = {}
    for url in urls:
        r = client.get(_path_of(url))
        assert r.status_code == 200, (url, r.text)
        documents[url] = r.json()
    payload = {
        "credential": credential,
        "jwt": jwt,
        "documents": documents,
        "contexts_dir": str(linked_data.CONTEXTS_DIR),
        "schema": str(SCHEMA),
    }
    (tmp_path / "input.json").write_text(json.dumps(payload))
    done = subprocess.run(
        [_node(), "verify.mjs", str(tmp_path / "input.json")],
        cwd=VERIFIERS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


@pytest.fixture
def issued(client, admin, closed):
    r = client.post(f"/api/v1/enrolments/{closed.enrolments[0].id}/certificate", headers=admin)
    assert r.status_code == 201, r.text
    cert = r.json()
    body = client.get(f"/api/v1/certificates/{cert['serial']}/credential", headers=admin).json()
    return cert, body


def test_a_fresh_credential_verifies_in_both_wallet_verifiers_and_with_jose(client, admin, issued, tmp_path):
    _, body = issued
    out = run_verifiers(client, tmp_path, body["credential"], body["jws"])
    assert out["refused"] == [], "the verifiers asked for something that was neither shipped nor the app's"

    assert out["digitalbazaar"]["verified"] is True, out["digitalbazaar"]
    assert out["digitalbazaar"]["status_verified"] is True and out["digitalbazaar"]["revoked"] is False

    dcc = out["dcc"]
    assert dcc["errors"] == [], dcc
    assert dcc["steps"]["valid_signature"] is True
    assert dcc["steps"]["revocation_status"] is True  # not revoked
    assert dcc["steps"]["expiration"] is True
    assert dcc["schema_valid"] is True

    assert out["jose"]["verified"] is True, out["jose"]
    header, claims = out["jose"]["header"], out["jose"]["payload"]
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": header["kid"]} and header["kid"].startswith("http")
    credential = body["credential"]
    assert claims["iss"] == credential["issuer"]["id"] and claims["jti"] == credential["id"]
    assert claims["sub"] and isinstance(claims["nbf"], int)
    # the same content as the Data Integrity form
    for name in ("id", "type", "issuer", "credentialSubject", "credentialStatus", "validFrom"):
        assert claims[name] == credential[name]

    assert out["schema"] == {"valid": True, "errors": []}
    assert out["schema_without_achievement"]["valid"] is False  # the schema does hold a credential to its rules


def test_a_tampered_credential_fails_in_both(client, issued, tmp_path):
    _, body = issued
    out = run_verifiers(client, tmp_path, body["credential"], None)
    assert out["digitalbazaar_tampered"]["verified"] is False
    assert out["dcc_tampered"]["errors"], out["dcc_tampered"]  # a signature that does not verify is fatal there


def test_a_revoked_certificate_shows_revoked_in_both(client, admin, issued, tmp_path):
    cert, body = issued
    r = client.post(f"/api/v1/certificates/{cert['serial']}/revoke", json={"reason": "issued in error"}, headers=admin)
    assert r.status_code == 200, r.text
    out = run_verifiers(client, tmp_path, body["credential"], None)
    assert out["digitalbazaar"]["revoked"] is True, out["digitalbazaar"]
    assert out["dcc"]["steps"]["revocation_status"] is False, out["dcc"]


def test_a_superseded_certificate_shows_revoked_and_the_new_one_verifies(client, admin, issued, tmp_path):
    cert, body = issued
    r = client.post(f"/api/v1/certificates/{cert['serial']}/reissue", headers=admin)
    assert r.status_code == 201, r.text
    new = client.get(f"/api/v1/certificates/{r.json()['serial']}/credential", headers=admin).json()
    old_out = run_verifiers(client, tmp_path, body["credential"], None)
    assert old_out["dcc"]["steps"]["revocation_status"] is False
    new_out = run_verifiers(client, tmp_path, new["credential"], None)
    assert new_out["dcc"]["steps"]["revocation_status"] is True and new_out["digitalbazaar"]["verified"] is True
