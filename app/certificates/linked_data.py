"""Linked-data signatures of credentials: W3C Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite.

A proof signs the RDF canonical form (RDFC-1.0, formerly URDNA2015, by PyPI `pyld`) of the credential and of the
proof's own options. JSON-LD needs the contexts a document names; they are shipped in `contexts/` beside this file
and the document loader serves only those: nothing is ever fetched, so a context that changed or vanished on the
web can neither change what we sign nor stop us from signing.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from app.certificates import rules

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"

# Each context URL and the file that holds it (copies of the published documents).
CONTEXT_FILES: dict[str, str] = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3: "ob-v3p0-context-3.0.3.json",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
    MULTIKEY_V1: "multikey-v1.jsonld",
    DID_V1: "did-v1.jsonld",
}

CRYPTOSUITE = "eddsa-rdfc-2022"
# The multicodec prefix of an Ed25519 public key (0xed, varint-encoded), as Multikey carries it.
ED25519_PUB_MULTICODEC = b"\xed\x01"


class UnknownContext(LookupError):
    """A document named a context that is not shipped with the application."""


@cache
def context_document(url: str) -> dict[str, Any]:
    """The shipped context of this URL, parsed once."""
    name = CONTEXT_FILES.get(url)
    if name is None:
        raise UnknownContext(f"the JSON-LD context {url} is not shipped with the application")
    parsed: dict[str, Any] = json.loads((CONTEXTS_DIR / name).read_text(encoding="utf-8"))
    return parsed


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld's document loader: the shipped contexts, never the network. Tagged static, so that pyld keeps each
    context once processed (in its shared cache) instead of processing it again at every signature."""
    document = copy.deepcopy(context_document(url))
    return {"contextUrl": None, "documentUrl": url, "document": document, "tag": "static"}


def canonical_nquads(document: Mapping[str, Any]) -> str:
    """The document's RDF dataset in canonical N-Quads (RDFC-1.0)."""
    nquads = jsonld.normalize(
        dict(document),
        {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader},
    )
    return str(nquads)


def multibase_public_key(public_key: Ed25519PublicKey) -> str:
    """The key as a Multikey's publicKeyMultibase: 'z', base58btc of the multicodec prefix and the 32 raw bytes."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58.b58encode(ED25519_PUB_MULTICODEC + raw).decode()


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    """The Ed25519 key of a publicKeyMultibase (the inverse of multibase_public_key)."""
    if not value.startswith("z"):
        raise ValueError("not a base58btc multibase value")
    data = base58.b58decode(value[1:])
    if data[:2] != ED25519_PUB_MULTICODEC or len(data) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def _hash_data(unsecured: Mapping[str, Any], options: Mapping[str, Any]) -> bytes:
    """What eddsa-rdfc-2022 signs: SHA-256 of the canonical proof options, then of the canonical document."""
    proof_hash = hashlib.sha256(canonical_nquads(options).encode()).digest()
    document_hash = hashlib.sha256(canonical_nquads(unsecured).encode()).digest()
    return proof_hash + document_hash


def add_proof(
    document: Mapping[str, Any], *, private_key: Ed25519PrivateKey, verification_method: str, created: datetime
) -> dict[str, Any]:
    """The document with a DataIntegrityProof (eddsa-rdfc-2022, assertionMethod) by the key."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": rules.utc_text(created),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = private_key.sign(_hash_data(unsecured, {"@context": unsecured["@context"], **options}))
    return {**unsecured, "proof": {**options, "proofValue": "z" + base58.b58encode(signature).decode()}}


def verify_proof(document: Mapping[str, Any], public_key: Ed25519PublicKey) -> bool:
    """Whether the document's eddsa-rdfc-2022 proof is a signature of it by the key."""
    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("cryptosuite") != CRYPTOSUITE:
        return False
    value = str(proof.get("proofValue", ""))
    if not value.startswith("z"):
        return False
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    try:
        public_key.verify(
            base58.b58decode(value[1:]), _hash_data(unsecured, {"@context": unsecured["@context"], **options})
        )
    except (InvalidSignature, ValueError):
        return False
    return True
