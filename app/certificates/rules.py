"""Pure rules of certificates: serial numbers, verification codes, the issuer's did:web, the revocation status list
and the credential."""

from __future__ import annotations

import base64
import gzip
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit


class CertificateStatus(StrEnum):
    """Whether a certificate stands."""

    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


SERIAL_PREFIX = "MKM"
CODE_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
# 16 random bytes: 128 bits, over the 80 that make guessing hopeless even at millions of tries a second.
CODE_BYTES = 16


def format_serial(year: int, number: int) -> str:
    """A human-readable serial such as MKM-2026-000123 (the number is unique across years)."""
    return f"{SERIAL_PREFIX}-{year:04d}-{number:06d}"


def new_verification_code() -> str:
    """An unguessable URL-safe verification code."""
    return secrets.token_urlsafe(CODE_BYTES)


def verification_url(base_url: str, code: str) -> str:
    """The public page that checks a certificate (what the QR code holds)."""
    return f"{base_url.rstrip('/')}/verify/{code}"


# --- the issuer and its addresses ----------------------------------------------------------------------


def did_web(base_url: str) -> str:
    """The issuer's did:web, from the public address: the host (a port's colon percent-encoded) and any path
    segments joined by colons, e.g. http://127.0.0.1:8000 -> did:web:127.0.0.1%3A8000."""
    parts = urlsplit(base_url.rstrip("/"))
    segments = [quote(parts.netloc, safe="")] + [quote(p, safe="") for p in parts.path.split("/") if p]
    return "did:web:" + ":".join(segments)


def issuer_profile_url(base_url: str) -> str:
    """Where the issuer's profile answers (JSON-LD, or a page for people)."""
    return f"{base_url.rstrip('/')}/issuer"


def achievement_url(base_url: str, programme_code: str) -> str:
    """Where a programme's achievement answers (JSON-LD, or a page for people)."""
    return f"{base_url.rstrip('/')}/achievements/{quote(programme_code, safe='')}"


def jwk_url(base_url: str, thumbprint: str) -> str:
    """Where a signing key is served alone as a JWK; the `kid` of the JWTs it signs and of its JWKS entry."""
    return f"{base_url.rstrip('/')}/.well-known/jwks/{thumbprint}.json"


def thumbprint_of_kid(kid: str) -> str:
    """The key's thumbprint from a kid: its JWK URL, or (credentials signed before it was a URL) the thumbprint."""
    return kid.rsplit("/", 1)[-1].removesuffix(".json")


# --- revocation: W3C Bitstring Status List 1.0 -----------------------------------------------------------

# A list holds 2^17 entries (16 KiB uncompressed): the minimum the specification sets, so that a list of few
# revocations says nothing about whose they are.
STATUS_LIST_SIZE = 131_072


def status_list_url(base_url: str, list_number: int) -> str:
    """Where status list number `list_number` (its signed BitstringStatusListCredential) is served."""
    return f"{base_url.rstrip('/')}/api/v1/credentials/status/{list_number}"


def status_position(serial_number: int) -> tuple[int, int]:
    """The (list number, index in it) of the certificate with this serial number: serial 1 is index 0 of list 1."""
    return (serial_number - 1) // STATUS_LIST_SIZE + 1, (serial_number - 1) % STATUS_LIST_SIZE


def encode_status_list(set_indexes: set[int] | frozenset[int], size: int = STATUS_LIST_SIZE) -> str:
    """The encodedList of a Bitstring Status List: the bits (index 0 the left-most bit of the first byte), GZIP
    compressed (dated 0, so the same bits give the same text), multibase base64url without padding ('u')."""
    bits = bytearray(size // 8)
    for index in set_indexes:
        if not 0 <= index < size:
            raise ValueError(f"status list index {index} is outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_status_list(encoded: str) -> set[int]:
    """The indexes set in an encodedList (the inverse of encode_status_list)."""
    if not encoded.startswith("u"):
        raise ValueError("an encodedList is multibase base64url ('u')")
    body = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return {i * 8 + b for i, byte in enumerate(bits) if byte for b in range(8) if byte & (0x80 >> b)}


# --- the credential --------------------------------------------------------------------------------------

OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"


@dataclass(frozen=True)
class CredentialFacts:
    """What the signed credential states about one certificate. Never the holder's national ID, in any form."""

    base_url: str
    school_name_he: str
    school_name_en: str
    serial: str
    serial_number: int
    verification_code: str
    holder_name_he: str
    holder_name_en: str | None
    holder_did: str | None
    programme_code: str
    programme_title_he: str
    programme_title_en: str
    cohort_code: str
    hours: float
    completed_on: date
    issued_at: datetime


DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_text(moment: datetime) -> str:
    """The instant as credentials write it: UTC, to the second, e.g. 2026-07-01T09:30:00Z."""
    return moment.astimezone(UTC).strftime(DATETIME_FORMAT)


def utc_instant(text: str) -> datetime:
    """The instant a credential wrote (the inverse of utc_text)."""
    return datetime.strptime(text, DATETIME_FORMAT).replace(tzinfo=UTC)


def issuer_profile(base_url: str, school_name_he: str, school_name_en: str) -> dict[str, Any]:
    """The issuer's Open Badges Profile, named by its did:web, as the credential and /issuer give it."""
    return {
        "id": did_web(base_url),
        "type": ["Profile"],
        "name": school_name_en,
        "description": school_name_he,
        "url": issuer_profile_url(base_url),
    }


def achievement(
    base_url: str, *, programme_code: str, title_he: str, title_en: str, hours: float, criteria: str
) -> dict[str, Any]:
    """A programme's Open Badges Achievement, as the credential and /achievements/{code} give it."""
    return {
        "id": achievement_url(base_url, programme_code),
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": title_en,
        "description": title_he,
        "criteria": {"narrative": criteria},
        "creditsAvailable": hours,
        "humanCode": programme_code,
        "inLanguage": "he",
    }


def achievement_criteria(hours: float) -> str:
    """What completing a programme takes, in the words of the credential."""
    return (
        f"Completed a cohort of the programme ({hours:g} hours): attended at least the programme's minimum share "
        "of the scheduled hours and passed every required assessment."
    )


def build_credential(facts: CredentialFacts) -> dict[str, Any]:
    """An Open Badges 3.0 AchievementCredential (a W3C verifiable credential 2.0) of the certificate, unsigned.

    The holder is named by name (Hebrew, and English when known), and by their DID when they gave one; the
    revocation entry points at the bit of the status list that says whether the certificate still stands.
    """
    base = facts.base_url.rstrip("/")
    list_number, index = status_position(facts.serial_number)
    names = [facts.holder_name_he, *([facts.holder_name_en] if facts.holder_name_en else [])]
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name} for name in names
        ],
        "activityEndDate": f"{facts.completed_on.isoformat()}T00:00:00Z",
        "creditsEarned": facts.hours,
        "achievement": achievement(
            base,
            programme_code=facts.programme_code,
            title_he=facts.programme_title_he,
            title_en=facts.programme_title_en,
            hours=facts.hours,
            criteria=achievement_criteria(facts.hours),
        ),
    }
    if facts.holder_did:
        subject = {"id": facts.holder_did, **subject}
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": verification_url(base, facts.verification_code),
        "type": ["VerifiableCredential", "OpenBadgeCredential", "AchievementCredential"],
        "name": f"{facts.programme_title_en} ({facts.serial})",
        "description": f"{facts.programme_title_he} · {facts.cohort_code}",
        "issuer": issuer_profile(base, facts.school_name_he, facts.school_name_en),
        "validFrom": utc_text(facts.issued_at),
        "credentialSubject": subject,
        "credentialStatus": {
            "id": f"{status_list_url(base, list_number)}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": status_list_url(base, list_number),
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "JsonSchema"}],
    }


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The registered claims Open Badges 3.0 (section 8.2) adds to the credential in a JWT: iss the issuer's id, jti
    the credential's, nbf its validFrom, sub the holder's DID (or, without one, the credential's id)."""
    valid_from = utc_instant(credential["validFrom"])
    return {
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": int(valid_from.timestamp()),
        "sub": credential["credentialSubject"].get("id", credential["id"]),
    }


def status_list_credential(
    base_url: str, *, list_number: int, set_indexes: set[int], valid_from: datetime
) -> dict[str, Any]:
    """The BitstringStatusListCredential of list `list_number` (revocation), unsigned."""
    url = status_list_url(base_url, list_number)
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did_web(base_url),
        "validFrom": utc_text(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_status_list(set_indexes),
        },
    }
