"""Who is calling, what their role may do, and which records they may see (decided here only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from app.clock import now_utc
from app.config import get_settings
from app.db import AnySelect, get_session
from app.errors import Forbidden, Unauthorized

ADMIN, AUDITOR, LIAISON, OFFICIAL = "admin", "auditor", "liaison", "official"
ALL_ROLES = (ADMIN, AUDITOR, LIAISON, OFFICIAL)
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


def _decode(token: str) -> int:
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


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy, uvicorn's --proxy-headers sets it)."""
    return request.client.host if request.client else "unknown"


def get_principal(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    """The authenticated caller, from the bearer token; 401 without a valid one."""
    from app.accounts.models import User

    if not token:
        raise Unauthorized("log in first: this needs a bearer token", code="not_authenticated")
    user = session.get(User, _decode(token))
    if user is None or not user.active:
        raise Unauthorized("the account behind this token is not active", code="invalid_token")
    return Principal(
        user_id=user.id,
        label=user.email,
        role=user.role,
        authority_code=user.authority_code,
        official_id=user.official_id,
        address=client_address(request),
    )


def allow(*roles: str) -> Any:
    """A dependency that lets only the given roles through (403 for the others)."""

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"the {principal.role} role may not do this")
        return principal

    check.__name__ = "allow_" + "_".join(roles)
    return Depends(check)


Anyone = Annotated[Principal, allow(*ALL_ROLES)]
AdminOnly = Annotated[Principal, allow(ADMIN)]
Staff = Annotated[Principal, allow(*STAFF)]


def scope_officials(stmt: AnySelect, principal: Principal) -> AnySelect:
    """Limit a query over officials to those the caller may see."""
    from app.officials.models import Appointment, Official

    if principal.role in STAFF:
        return stmt
    if principal.role == OFFICIAL:
        return stmt.where(Official.id == principal.official_id)
    if principal.role == LIAISON:
        mine = select(Appointment.official_id).where(Appointment.authority_code == principal.authority_code)
        return stmt.where(Official.id.in_(mine))
    return stmt.where(false())


def scope_appointments(stmt: AnySelect, principal: Principal) -> AnySelect:
    """Limit a query over appointments (and what hangs on them) to those the caller may see."""
    from app.officials.models import Appointment

    if principal.role in STAFF:
        return stmt
    if principal.role == OFFICIAL:
        return stmt.where(Appointment.official_id == principal.official_id)
    if principal.role == LIAISON:
        return stmt.where(Appointment.authority_code == principal.authority_code)
    return stmt.where(false())
