"""The caller of a request and what their role may do: FastAPI dependencies over `app.auth`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth import ADMIN, ALL_ROLES, STAFF, Principal, decode_token
from app.db import get_session
from app.errors import Forbidden, Unauthorized

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy, uvicorn's --proxy-headers sets it)."""
    return request.client.host if request.client else "unknown"


def get_principal(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    """The authenticated caller, from the bearer token; 401 without a valid one."""
    if not token:
        raise Unauthorized("log in first: this needs a bearer token", code="not_authenticated")
    user = session.get(User, decode_token(token))
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
