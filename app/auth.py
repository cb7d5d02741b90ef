"""Who is calling: a user with a role, or an operator at the command line, and their bearer tokens.

The web layer (`app.web.deps`) finds the caller of a request; who may see which records is decided in
`app.officials.scoping`. This module knows nothing of the web."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import jwt

from app.clock import now_utc
from app.config import get_settings
from app.errors import Unauthorized


class UserRole(StrEnum):
    """What a login may do: run the school, audit for the Ministry, follow one authority, or be an official."""

    ADMIN = "admin"
    AUDITOR = "auditor"
    LIAISON = "liaison"
    OFFICIAL = "official"


ADMIN, AUDITOR, LIAISON, OFFICIAL = UserRole.ADMIN, UserRole.AUDITOR, UserRole.LIAISON, UserRole.OFFICIAL
ALL_ROLES = tuple(UserRole)
STAFF = (ADMIN, AUDITOR)


@dataclass(frozen=True)
class Principal:
    """The caller: a user with a role, or an operator at the command line."""

    user_id: int | None
    label: str
    role: str
    authority_code: str | None = None
    official_id: int | None = None
    address: str | None = None


def operator(label: str = "cli") -> Principal:
    """The principal of an operator running the command line: admin rights, no user row."""
    return Principal(user_id=None, label=label, role=ADMIN)


@dataclass(frozen=True)
class TokenClaims:
    """What a bearer token says of its user: the id, the account's token version when it was issued, and the
    account's random key (so that a later user given the same id is never taken for this one)."""

    user_id: int
    version: int
    key: str


def create_token(*, user_id: int, role: str, version: int, key: str) -> str:
    """A signed bearer token for the user, expiring after LMS_TOKEN_TTL_MINUTES; it holds only while the account's
    token version and key are those given here."""
    settings = get_settings()
    now = now_utc()
    claims = {
        "sub": str(user_id),
        "ver": version,
        "key": key,
        "role": role,
        "iat": now,
        "exp": now + timedelta(minutes=settings.token_ttl_minutes),
    }
    return jwt.encode(claims, settings.resolved_secret_key(), algorithm="HS256")


def decode_token(token: str) -> TokenClaims:
    """What a bearer token says of its user; 401 when it is expired or not ours. Whether the account still has that
    version and key is for the caller to check (`token_matches`)."""
    try:
        sub, version, key, expires = _signed_claims(token, get_settings().resolved_secret_key())
    except jwt.PyJWTError as exc:
        raise Unauthorized("the token is not valid", code="invalid_token") from exc
    if expires <= time.time():  # as PyJWT decides it, at every use of a token whose signature is remembered
        raise Unauthorized("the token has expired; log in again", code="token_expired")
    if not isinstance(version, int) or isinstance(version, bool) or not isinstance(key, str):
        raise Unauthorized("the token is not valid", code="invalid_token")
    try:
        return TokenClaims(user_id=int(sub), version=version, key=key)
    except ValueError as exc:
        raise Unauthorized("the token is not valid", code="invalid_token") from exc


@lru_cache(maxsize=4096)
def _signed_claims(token: str, secret: str) -> tuple[Any, Any, Any, float]:
    """The subject, token version, key and expiry (seconds since the epoch) of a token whose signature holds.
    Remembered for the tokens seen lately: checking a signature costs more than the rest of a small request. The
    expiry is checked at each use (decode_token), the account's token version and key at each request."""
    claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"], "verify_exp": False})
    expires = claims["exp"]
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        raise jwt.InvalidTokenError("the expiry is not a number")
    return claims["sub"], claims.get("ver"), claims.get("key"), float(expires)


def token_matches(claims: TokenClaims, *, version: int, key: str) -> bool:
    """Whether a token's claims are those of the account as it is now (its token version and key)."""
    return claims.version == version and hmac.compare_digest(claims.key.encode(), key.encode())
