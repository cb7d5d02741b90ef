"""Pure rules of certificates: serial numbers, verification codes, the hashed identity and the credential."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any


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


def new_salt() -> str:
    """A fresh salt for hashing the holder's national ID."""
    return secrets.token_hex(16)


def identity_hash(national_id: str, salt: str) -> str:
    """The Open Badges hashed identity: 'sha256$' and the hex SHA-256 of the ID followed by the salt."""
    return "sha256$" + hashlib.sha256((national_id + salt).encode()).hexdigest()


def verification_url(base_url: str, code: str) -> str:
    """The public page that checks a certificate (what the QR code holds)."""
    return f"{base_url.rstrip('/')}/verify/{code}"


@dataclass(frozen=True)
class CredentialFacts:
    """What the signed credential states about one certificate."""

    base_url: str
    school_name_he: str
    school_name_en: str
    serial: str
    verification_code: str
    holder_name_he: str
    holder_name_en: str | None
    subject_hash: str
    subject_salt: str
    programme_code: str
    programme_title_he: str
    programme_title_en: str
    cohort_code: str
    hours: float
    completed_on: date
    issued_at: datetime


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_credential(facts: CredentialFacts) -> dict[str, Any]:
    """An Open Badges 3.0 AchievementCredential (a W3C verifiable credential) of the certificate, unsigned."""
    base = facts.base_url.rstrip("/")
    name = facts.holder_name_en or facts.holder_name_he
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": verification_url(base, facts.verification_code),
        "type": ["VerifiableCredential", "OpenBadgeCredential", "AchievementCredential"],
        "name": f"{facts.programme_title_en} ({facts.serial})",
        "issuer": {
            "id": f"{base}/issuer",
            "type": ["Profile"],
            "name": facts.school_name_en,
            "otherIdentifier": [],
            "description": facts.school_name_he,
        },
        "validFrom": _utc(facts.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "nationalIdentityNumber",
                    "hashed": True,
                    "identityHash": facts.subject_hash,
                    "salt": facts.subject_salt,
                },
                {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name},
            ],
            "activityEndDate": f"{facts.completed_on.isoformat()}T00:00:00Z",
            "creditsEarned": facts.hours,
            "achievement": {
                "id": f"{base}/programmes/{facts.programme_code}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": facts.programme_title_en,
                "description": facts.programme_title_he,
                "criteria": {
                    "narrative": (
                        f"Completed cohort {facts.cohort_code} of the programme ({facts.hours:g} hours): "
                        "attended at least the programme's minimum share of the scheduled hours and passed "
                        "every required assessment."
                    )
                },
                "creditsAvailable": facts.hours,
                "humanCode": facts.programme_code,
                "inLanguage": "he",
            },
        },
    }
