"""JSON routes of authentication and accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from app.accounts import selectors, service
from app.accounts.schemas import Token, UserCreate, UserRead
from app.web.deps import AdminOnly, Anyone, SessionDep, Staff, client_address
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/token", response_model=Token, responses=responses(400, 401, 422, 429))
def issue_token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], db: SessionDep) -> Token:
    """Log in with form fields `username` (the email) and `password`; failures are limited. No login needed."""
    token, ttl = service.log_in(db, email=form.username, password=form.password, address=client_address(request))
    return Token(access_token=token, expires_in=ttl)


@router.get("/auth/me", response_model=UserRead, responses=responses(401))
def who_am_i(db: SessionDep, principal: Anyone) -> UserRead:
    """The account of the token. Any role."""
    assert principal.user_id is not None
    return selectors.get_user(db, user_id=principal.user_id)


@router.post("/users", status_code=201, response_model=UserRead, responses=responses(401, 403, 409, 422))
def create_user(data: UserCreate, db: SessionDep, actor: Staff) -> UserRead:
    """Create a login: an admin creates admins, liaisons (one authority) and officials (one person); an auditor
    creates auditors only, and an admin never does (403 `separation_of_duties`)."""
    return UserRead.model_validate(service.create_user(db, data=data, actor=actor))


@router.get("/users", response_model=Page[UserRead], responses=responses(401, 403, 422))
def list_users(db: SessionDep, _: AdminOnly, limit: Limit = 50, offset: Offset = 0) -> Page[UserRead]:
    """Every login. Admins only."""
    return selectors.list_users(db, limit=limit, offset=offset)
