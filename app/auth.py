"""Who is calling: a user with a role, or an operator at the command line, and their bearer tokens.

The web layer (`app.web.deps`) finds the caller of a request; who may see which records is decided in
`app.officials.scoping`. This module knows nothing of the web."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

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


def create_token(*, user_id: int, role: str) -> str:
    """A signed bearer token for the user, expiring after LMS_TOKEN_TTL_MINUTES."""
    settings = get_settings()
    now = now_utc()
    claims = {
        "sub": str(user_id),
        "role": role,
        "iat": now,
        "exp": now + timedelta(minutes=settings.token_ttl_minutes),
    }
    return jwt.encode(claims, settings.resolved_secret_key(), algorithm="HS256")


def decode_token(token: str) -> int:
    """The user id a bearer token names; 401 when it is expired or not ours."""
    try:
        claims = jwt.decode(
            token,
            get_settings().resolved_secret_key(),
            algorithms=["HS256"],
            options={"require": ["exp", "sub"]},
        )
        return int(claims["sub"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired; log in again", code="token_expired") from exc
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthorized("the token is not valid", code="invalid_token") from exc
