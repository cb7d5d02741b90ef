"""The second factor: time-based one-time codes (TOTP, RFC 6238, as an authenticator app shows them) and one-time
recovery codes.

A user's TOTP secret is kept encrypted (Fernet, with a key derived from LMS_SECRET_KEY by HKDF), so a copy of the
database alone gives no codes; recovery codes are kept only as SHA-256 hashes (they are random, 50 bits each)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.auth import ADMIN, AUDITOR
from app.config import get_settings

ISSUER = "Mekomot LMS"
STEP_SECONDS = 30
RECOVERY_CODES = 10
SECRET_MIN_BYTES = 10  # 80 bits, RFC 4226's least; a new secret has 160
# Roles that must have a second factor: until they enrol, they may only enrol.
REQUIRED_FOR = (ADMIN, AUDITOR)
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def required_for(role: str) -> bool:
    """Whether accounts of the role must have a second factor."""
    return role in REQUIRED_FOR


def new_secret() -> str:
    """A fresh base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def normalise_secret(secret: str) -> str:
    """The secret in canonical base32 (upper case, no spaces or padding); ValueError when it is not base32 of at
    least 80 bits."""
    cleaned = "".join(secret.split()).upper().rstrip("=")
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the TOTP secret is not base32") from exc
    if len(raw) < SECRET_MIN_BYTES:
        raise ValueError(f"the TOTP secret must hold at least {SECRET_MIN_BYTES * 8} bits")
    return cleaned


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mekomot-lms totp secret").derive(
        get_settings().resolved_secret_key().encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(stored: str) -> str:
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken as exc:  # LMS_SECRET_KEY changed since enrolment
        raise ValueError("the TOTP secret cannot be read with this LMS_SECRET_KEY") from exc


def provisioning_uri(secret: str, *, email: str) -> str:
    """The otpauth:// URI an authenticator app reads (from a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def is_code(value: str) -> bool:
    """Whether a value looks like a TOTP code (6 digits) rather than a recovery code."""
    return len(value) == 6 and value.isascii() and value.isdigit()


def matching_step(secret: str, code: str, *, at: datetime, after: int | None) -> int | None:
    """The time step whose code this is, within one step either side of `at`, and later than `after` (a step once
    used is never accepted again); None when there is none."""
    if not is_code(code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at.timestamp()) // STEP_SECONDS
    found = None
    for step in (now_step - 1, now_step, now_step + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, code) and (after is None or step > after):
            found = step if found is None else found
    return found


def new_recovery_codes() -> list[str]:
    """Ten one-time recovery codes, "xxxxx-xxxxx"."""

    def one() -> str:
        s = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        return f"{s[:5]}-{s[5:]}"

    return [one() for _ in range(RECOVERY_CODES)]


def hash_recovery_code(code: str) -> str:
    """The stored form of a recovery code: SHA-256 of the code without case, spaces or dashes."""
    folded = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(folded.encode()).hexdigest()
