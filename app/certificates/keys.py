"""The Ed25519 keys that sign credentials: kept as PEM files, the newest signs, all of them are published.

Files are named key-0001.pem, key-0002.pem, ... in LMS_SIGNING_KEYS_DIR (default LMS_VAR_DIR/keys). The first is
generated on first use; `rotate_signing_key` adds the next. Old keys stay, so old credentials stay verifiable.

Each key is published twice: as a JWK (`/.well-known/jwks.json`, and alone at the URL a JWT's `kid` names) and
as a Multikey in the issuer's DID document (`/.well-known/did.json`), whose `#<kid>` a Data Integrity proof names.
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.jwk import OKPKey

from app.certificates import linked_data, rules
from app.config import get_settings
from app.errors import Conflict

_NAME = re.compile(r"^key-(\d{4,})\.pem$")


@dataclass(frozen=True)
class SigningKey:
    """One key pair with its key id (the RFC 7638 thumbprint of its public key)."""

    number: int
    kid: str
    key: OKPKey

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK, with use, alg and kid: the URL it is served at alone (what a JWT's kid says)."""
        jwk = self.key.as_dict(private=False)
        return {**jwk, "kid": self.jwk_url(get_settings().public_base_url), "use": "sig", "alg": "EdDSA"}

    def private_key(self) -> Ed25519PrivateKey:
        """The private key, to sign with."""
        key = self.key.private_key
        if not isinstance(key, Ed25519PrivateKey):
            raise TypeError("a signing key is Ed25519")
        return key

    def public_key(self) -> Ed25519PublicKey:
        """The public key, to verify with."""
        return self.private_key().public_key()

    def verification_method(self, base_url: str) -> str:
        """The key's id in the issuer's DID document: the DID and the kid as fragment."""
        return f"{rules.did_web(base_url)}#{self.kid}"

    def jwk_url(self, base_url: str) -> str:
        """Where the key alone is served as a JWK: the `kid` of the JWTs it signs (Open Badges 3.0, 8.2.3)."""
        return rules.jwk_url(base_url, self.kid)

    def multikey(self, base_url: str) -> dict[str, Any]:
        """The key as a Multikey verification method of the issuer's DID document."""
        return {
            "id": self.verification_method(base_url),
            "type": "Multikey",
            "controller": rules.did_web(base_url),
            "publicKeyMultibase": linked_data.multibase_public_key(self.public_key()),
        }


def _dir() -> Path:
    return get_settings().resolved_signing_keys_dir()


def _write_new(directory: Path, number: int) -> bool:
    """Write key number `number`, unless another process did first (O_EXCL); True if this one wrote it."""
    directory.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = directory / f"key-{number:04d}.pem"
    # A file of its own for each writer (threads share a process id), created 0600, then linked into place.
    fd, name = tempfile.mkstemp(prefix=f".key-{number:04d}.", suffix=".tmp", dir=directory)
    tmp = Path(name)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    try:
        os.link(tmp, path)  # atomic, and fails if the name exists: two processes never write two first keys
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def _load(path: Path, number: int) -> SigningKey:
    key = OKPKey.import_key(path.read_bytes())
    return SigningKey(number=number, kid=key.thumbprint(), key=key)


def all_keys() -> list[SigningKey]:
    """Every key, oldest first; the first is generated when there is none."""
    directory = _dir()
    found = sorted(
        (int(m.group(1)), p) for p in (directory.iterdir() if directory.exists() else []) if (m := _NAME.match(p.name))
    )
    if not found:
        _write_new(directory, 1)
        return all_keys()
    return [_load(p, n) for n, p in found]


def current_key() -> SigningKey:
    """The key that signs new credentials: the newest."""
    return all_keys()[-1]


def rotate_signing_key() -> SigningKey:
    """Add a new key that signs from now on; the old ones stay published."""
    number = all_keys()[-1].number + 1
    _write_new(_dir(), number)
    return current_key()


def jwks() -> dict[str, Any]:
    """The JSON Web Key Set of every public key, newest first."""
    return {"keys": [k.public_jwk() for k in reversed(all_keys())]}


def did_document() -> dict[str, Any]:
    """The issuer's DID document (did:web): every key that ever signed, as a Multikey able to assert credentials."""
    base = get_settings().public_base_url
    did = rules.did_web(base)
    methods = [k.multikey(base) for k in reversed(all_keys())]
    return {
        "@context": [linked_data.DID_V1, linked_data.MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def find_key(kid: str) -> SigningKey | None:
    """The key with this kid, if it is one of ours."""
    return next((k for k in all_keys() if k.kid == kid), None)


def read_credential(token: str) -> dict[str, Any]:
    """The payload of one of our compact JWS, after checking its signature against our published keys."""
    header = json.loads(_b64(token.split(".")[0]))
    key = find_key(rules.thumbprint_of_kid(str(header.get("kid", ""))))
    if key is None:
        raise Conflict("the credential was signed with a key that is not ours", code="unknown_key")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signed = jws.deserialize_compact(token, key.key, algorithms=["EdDSA"])
    payload: dict[str, Any] = json.loads(signed.payload)
    return payload


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
