"""Accounts: creating logins, checking passwords, limiting guesses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pwdlib import PasswordHash
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt, User
from app.accounts.rules import creation_problem
from app.accounts.schemas import UserCreate
from app.audit.service import add_and_record, record_event
from app.auth import Principal, create_token
from app.authorities.service import require_authority
from app.clock import now_utc
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, LoginFailed, TooManyRequests

_hasher = PasswordHash.recommended()
# Checking a password against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not a real password")


def create_user(db: Session, *, data: UserCreate, actor: Principal) -> User:
    """Create a login (an auditor's only by an operator or another auditor); the email is unique, case-insensitively."""
    from app.officials.service import find_official_by_national_id

    problem = creation_problem(data.role, creator_role=actor.role, by_operator=actor.user_id is None)
    if problem:
        raise Forbidden(problem, code="separation_of_duties")
    email = str(data.email).strip().lower()
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists", code="duplicate_user", field="email")
    official_id = None
    if data.official_national_id:
        try:
            official = find_official_by_national_id(db, national_id=data.official_national_id)
        except ValueError as exc:
            raise Invalid(f"official_national_id: {exc}", field="official_national_id") from exc
        if official is None:
            raise Invalid(
                f"official_national_id: no official has the ID {data.official_national_id}",
                field="official_national_id",
                code="unknown_official",
            )
        official_id = official.id
    if data.authority_code:
        require_authority(db, code=data.authority_code)
    user = User(
        email=email,
        password_hash=_hasher.hash(data.password),
        role=data.role,
        authority_code=data.authority_code,
        official_id=official_id,
        active=True,
        created_at=now_utc(),
    )
    add_and_record(db, user, actor=actor, entity_type="user", exclude=("password_hash",))
    return user


def _recent_failures(db: Session, *, column: Any, value: str, reset_on_success: bool) -> int:
    """Failed logins in the window; for an account, only those since its last success count."""
    since = now_utc() - timedelta(minutes=get_settings().login_window_minutes)
    stmt = select(func.count()).where(column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)
    if reset_on_success:
        last_success = (
            select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.succeeded.is_(True)).scalar_subquery()
        )
        stmt = stmt.where(LoginAttempt.at > func.coalesce(last_success, since))
    return db.scalar(stmt) or 0


def log_in(db: Session, *, email: str, password: str, address: str) -> tuple[str, int]:
    """Check the password and issue a token; failures are counted per account and per address."""
    settings = get_settings()
    email = email.strip().lower()
    window = settings.login_window_minutes * 60
    if (
        _recent_failures(db, column=LoginAttempt.email, value=email, reset_on_success=True)
        >= settings.login_max_failures_per_account
        or _recent_failures(db, column=LoginAttempt.address, value=address, reset_on_success=False)
        >= settings.login_max_failures_per_address
    ):
        raise TooManyRequests("too many failed logins; try again later", retry_after=window)
    user = db.scalar(select(User).where(User.email == email))
    ok = _hasher.verify(password, user.password_hash if user else _DUMMY_HASH) and user is not None and user.active
    db.add(LoginAttempt(email=email, address=address, succeeded=ok, at=now_utc()))
    actor = Principal(
        user_id=user.id if user else None,
        label=email,
        role=user.role if user else "anonymous",
        address=address,
    )
    record_event(
        db,
        actor=actor,
        action="login" if ok else "login_failed",
        entity_type="user",
        entity_id=user.id if user else email,
    )
    if not ok or user is None:
        raise LoginFailed("wrong email or password")
    return create_token(user_id=user.id, role=user.role), settings.token_ttl_minutes * 60
