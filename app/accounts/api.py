"""JSON routes of authentication and accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request

from app.accounts import selectors, service
from app.accounts.schemas import (
    PasswordChange,
    PasswordResetComplete,
    PasswordResetIn,
    PasswordResetOut,
    RecoveryCodes,
    RoleChange,
    Token,
    TotpConfirm,
    TotpEnrolment,
    UserCreate,
    UserRead,
)
from app.config import get_settings
from app.schemas import EMAIL_MAX_LENGTH
from app.web.deps import AdminOnly, AnyoneEnrolling, PasswordChanger, SessionDep, Staff, client_address
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page, RecordId
from app.web.routing import Router

router = Router(prefix="/api/v1", tags=["accounts"])


class TokenForm:
    """The OAuth2 password grant's form. The email and the password are measured by the login itself, so that
    an over-long one counts as a failed attempt; the other fields are refused past their length at once."""

    def __init__(
        self,
        username: Annotated[str, Form(description="The email.", json_schema_extra={"maxLength": EMAIL_MAX_LENGTH})],
        password: Annotated[str, Form(json_schema_extra={"maxLength": service.PASSWORD_MAX})],
        totp: Annotated[
            str | None, Form(max_length=64, description="The current 6-digit code, or a recovery code")
        ] = None,
        grant_type: Annotated[str | None, Form(pattern="^password$", max_length=8)] = None,
        scope: Annotated[str, Form(max_length=200)] = "",
        client_id: Annotated[str | None, Form(max_length=200)] = None,
        client_secret: Annotated[str | None, Form(max_length=200)] = None,
    ) -> None:
        self.username, self.password, self.totp = username, password, totp


@router.post("/auth/token", response_model=Token, responses=responses(400, 401, 422, 429))
def issue_token(request: Request, form: Annotated[TokenForm, Depends()], db: SessionDep) -> Token:
    """Log in with form fields `username` (the email) and `password`, and `totp` (the current code of the
    authenticator app, or an unused recovery code) for an account with a second factor: without it 401
    `totp_required`, a wrong or used one 401 `invalid_totp`, both counted as failed logins. An admin or auditor
    without a second factor gets a token that only enrols one (`totp_enrolment_required`). No login needed."""
    address = client_address(request)
    token, ttl = service.log_in(db, email=form.username, password=form.password, address=address, code=form.totp)
    enrol = selectors.second_factor_due(db, email=form.username)
    return Token(access_token=token, expires_in=ttl, totp_enrolment_required=enrol)


@router.post("/auth/totp", response_model=TotpEnrolment, responses=responses(401))
def start_totp_enrolment(db: SessionDep, principal: AnyoneEnrolling) -> TotpEnrolment:
    """Offer a new TOTP secret for the caller's second factor (any role; an admin or auditor without one may do
    only this and confirm it). A second factor in force stays so until the new secret is confirmed."""
    secret, uri = service.start_totp_enrolment(db, user=service.user_of(db, principal), actor=principal)
    return TotpEnrolment(secret=secret, provisioning_uri=uri)


@router.post("/auth/totp/confirm", response_model=RecoveryCodes, responses=responses(401, 409, 422))
def confirm_totp(data: TotpConfirm, db: SessionDep, principal: AnyoneEnrolling) -> RecoveryCodes:
    """Confirm the secret offered with its current code (422 `invalid_totp` when it does not match; 409
    `totp_not_started` with none offered): it is the second factor from now on, every token and session of the
    account ends (log in again with a code), and ten recovery codes are answered, only this once."""
    codes = service.confirm_totp(db, user=service.user_of(db, principal), code=data.totp, actor=principal)
    return RecoveryCodes(recovery_codes=codes)


@router.post("/users/{user_id}/totp/reset", response_model=UserRead, responses=responses(401, 403, 404))
def reset_totp(user_id: RecordId, db: SessionDep, actor: Staff) -> UserRead:
    """Remove a user's second factor (a lost phone); every token and session of the user ends and the account enrols
    anew. An admin resets admins, liaisons and officials; an auditor resets auditors (403 `separation_of_duties`)."""
    return UserRead.model_validate(service.reset_totp(db, user_id=user_id, actor=actor))


@router.get("/auth/me", response_model=UserRead, responses=responses(401))
def who_am_i(db: SessionDep, principal: AnyoneEnrolling) -> UserRead:
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


@router.post("/auth/password", response_model=Token, responses=responses(401, 403, 422, 429))
def change_password(data: PasswordChange, db: SessionDep, principal: PasswordChanger) -> Token:
    """Change your own password: the current one, and a new one of at least 12 characters, not common or breached,
    not your email. Every token and session of yours ends, this one too: the answer is a new token. Also the way
    out of a temporary password an admin set (until then every other route answers 403 `password_change_required`).
    Wrong current passwords count as failed logins from your address (429 with their waits). Any role."""
    token = service.change_own_password(
        db, actor=principal, current_password=data.current_password, new_password=data.new_password
    )
    return Token(access_token=token, expires_in=get_settings().token_ttl_minutes * 60)


@router.post("/auth/password-reset", status_code=204, responses=responses(422))
def complete_password_reset(request: Request, data: PasswordResetComplete, db: SessionDep) -> None:
    """Set a new password with the token of a one-time reset link an admin made: once, before it expires (422
    `invalid_reset_token` otherwise). Every token and session of the account ends. No login needed."""
    service.complete_password_reset(
        db, token=data.token, new_password=data.new_password, address=client_address(request)
    )


@router.post("/users/{user_id}/deactivate", response_model=UserRead, responses=responses(401, 403, 404, 422))
def deactivate_user(user_id: RecordId, db: SessionDep, actor: Staff) -> UserRead:
    """Deactivate an account: it can no longer log in, and every token and session of it ends at once. Admins
    manage admins, liaisons and officials, never an auditor's account; auditors manage auditors' accounts only (403
    `separation_of_duties`). Not one's own account (403 `own_account`)."""
    return UserRead.model_validate(service.deactivate_user(db, user_id=user_id, actor=actor))


@router.post("/users/{user_id}/reactivate", response_model=UserRead, responses=responses(401, 403, 404, 422))
def reactivate_user(user_id: RecordId, db: SessionDep, actor: Staff) -> UserRead:
    """Let a deactivated account log in again with its password; its old tokens stay dead. Admins manage admins,
    liaisons and officials; auditors manage auditors' accounts only (403 `separation_of_duties`). Not one's own
    account (403 `own_account`)."""
    return UserRead.model_validate(service.reactivate_user(db, user_id=user_id, actor=actor))


@router.put("/users/{user_id}/role", response_model=UserRead, responses=responses(401, 403, 404, 409, 422))
def change_role(user_id: RecordId, data: RoleChange, db: SessionDep, actor: Staff) -> UserRead:
    """Change an account's role, or a liaison's authority (`authority_code`, for a liaison only); every token and
    session of it ends. An admin never makes anyone an auditor nor changes an auditor's account; an auditor changes
    auditors' accounts only, and they stay auditors (403 `separation_of_duties`). An official's account stays that
    person's (409 `official_account`). Not one's own account (403 `own_account`)."""
    return UserRead.model_validate(service.change_role(db, user_id=user_id, data=data, actor=actor))


@router.post(
    "/users/{user_id}/password-reset", response_model=PasswordResetOut, responses=responses(401, 403, 404, 409, 422)
)
def reset_password(user_id: RecordId, data: PasswordResetIn, db: SessionDep, actor: Staff) -> PasswordResetOut:
    """Reset an account's password: `method: link` gives a one-time token for POST /auth/password-reset (the old
    password holds until it is used, for LMS_PASSWORD_RESET_HOURS at most); `method: temporary` sets a random
    password at once (every token and session ends) that the user must change before anything else. Hand it over out
    of band: it is shown once. Admins manage admins, liaisons and officials; auditors manage auditors' accounts only
    (403 `separation_of_duties`). Not one's own account (403 `own_account`); not a deactivated one (409)."""
    return service.reset_password(db, user_id=user_id, method=data.method, actor=actor)
