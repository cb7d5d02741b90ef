"""Accounts: creating logins, checking passwords, limiting guesses, ending a user's tokens and sessions."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from pwdlib import PasswordHash
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.accounts import totp
from app.accounts.models import LoginAttempt, LoginThrottle, User
from app.accounts.rules import creation_problem, management_problem, password_problem
from app.accounts.schemas import PasswordResetOut, RoleChange, UserCreate
from app.audit.service import add_and_record, record_change, record_event, snapshot
from app.auth import OFFICIAL, Principal, create_token
from app.authorities.service import require_authority
from app.clock import now_utc
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, InvalidLogin, LoginFailed, NotFound, TooManyRequests
from app.schemas import EMAIL_MAX_LENGTH

_hasher = PasswordHash.recommended()
# Checking a password against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not a real password")
# Never written to the audit trail: the password's hash, the reset link's, and the key every token of the user names.
SECRET_COLUMNS = ("password_hash", "password_reset_hash", "token_key")


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
    add_and_record(db, user, actor=actor, entity_type="user", exclude=SECRET_COLUMNS)
    return user


def end_access(db: Session, *, user: User, actor: Principal, reason: str) -> int:
    """End every bearer token and page session of the user at once: the account's token version is raised, and a
    token or session issued under an older one is refused from the next request on. For a deactivation, a password
    change or a role change (the caller says which in `reason`); audited. The new version."""
    db.execute(
        update(User)
        .where(User.id == user.id)
        .values(token_version=User.token_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.refresh(user, ["token_version"])
    record_event(
        db,
        actor=actor,
        action="access_ended",
        entity_type="user",
        entity_id=user.id,
        after={"reason": reason, "token_version": user.token_version},
    )
    return user.token_version


# --- the lifecycle of an account ------------------------------------------------------------------------------------


def _managed_user(db: Session, *, user_id: int, actor: Principal, new_role: str | None = None) -> User:
    """The account an admin, an auditor or an operator acts on: 404 when there is none; 403 `own_account` for the
    actor's own (their password is changed at /auth/password, and no one deactivates or demotes themselves); 403
    `separation_of_duties` when the actor's role may not manage it (rules.management_problem)."""
    user = db.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"no user {user_id}")
    if actor.user_id is not None and actor.user_id == user.id:
        raise Forbidden(
            "no one manages their own account this way; change your password at /auth/password", code="own_account"
        )
    problem = management_problem(
        user.role, new_role or user.role, actor_role=actor.role, by_operator=actor.user_id is None
    )
    if problem:
        raise Forbidden(problem, code="separation_of_duties")
    return user


def find_user_id(db: Session, *, email: str) -> int:
    """The id of the account with this email (case-insensitively); 404 when there is none."""
    user_id = db.scalar(select(User.id).where(User.email == email.strip().lower()))
    if user_id is None:
        raise NotFound(f"no user with email {email}")
    return user_id


def deactivate_user(db: Session, *, user_id: int, actor: Principal) -> User:
    """Deactivate an account: it can no longer log in, and every token and session of it ends at once. Audited;
    deactivating an inactive account changes nothing."""
    user = _managed_user(db, user_id=user_id, actor=actor)
    if not user.active:
        return user
    before = snapshot(user, exclude=SECRET_COLUMNS)
    user.active = False
    user.password_reset_hash, user.password_reset_expires_at = None, None
    record_change(db, user, before=before, actor=actor, entity_type="user", action="deactivate", exclude=SECRET_COLUMNS)
    end_access(db, user=user, actor=actor, reason="deactivated")
    return user


def reactivate_user(db: Session, *, user_id: int, actor: Principal) -> User:
    """Let a deactivated account log in again (with its password as it was; tokens from before stay dead).
    Audited; reactivating an active account changes nothing."""
    user = _managed_user(db, user_id=user_id, actor=actor)
    if user.active:
        return user
    before = snapshot(user, exclude=SECRET_COLUMNS)
    user.active = True
    record_change(db, user, before=before, actor=actor, entity_type="user", action="reactivate", exclude=SECRET_COLUMNS)
    return user


def change_role(db: Session, *, user_id: int, data: RoleChange, actor: Principal) -> User:
    """Give an account another role, or a liaison another authority; every token and session of it ends (they carry
    the old role). An official's account stays that person's: 409 `official_account` for a change to or from the
    official role. Audited; the same role and authority again changes nothing."""
    user = _managed_user(db, user_id=user_id, actor=actor, new_role=data.role)
    if OFFICIAL in (user.role, data.role) and user.role != data.role:
        raise Conflict(
            "an official's account belongs to that person: it takes no other role, and no other account becomes one",
            code="official_account",
            field="role",
        )
    if user.role == data.role and user.authority_code == data.authority_code:
        return user
    if data.authority_code:
        require_authority(db, code=data.authority_code)
    before = snapshot(user, exclude=SECRET_COLUMNS)
    user.role, user.authority_code = data.role, data.authority_code
    record_change(
        db, user, before=before, actor=actor, entity_type="user", action="change_role", exclude=SECRET_COLUMNS
    )
    end_access(db, user=user, actor=actor, reason="role_changed")
    return user


def _hash_reset_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def temporary_password() -> str:
    """A random password that passes the password rule (about 96 bits)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if password_problem(candidate) is None:
            return candidate


def _set_password(db: Session, *, user: User, password: str, must_change: bool, actor: Principal, action: str) -> None:
    """Replace the account's password (a pending reset link dies with the old one); every token and session of the
    account ends. Audited, without any hash."""
    before = snapshot(user, exclude=SECRET_COLUMNS)
    user.password_hash = _hasher.hash(password)
    user.must_change_password = must_change
    user.password_reset_hash, user.password_reset_expires_at = None, None
    db.flush()
    record_event(
        db,
        actor=actor,
        action=action,
        entity_type="user",
        entity_id=user.id,
        before=before,
        after=snapshot(user, exclude=SECRET_COLUMNS),
    )
    end_access(db, user=user, actor=actor, reason=action)


def reset_password(db: Session, *, user_id: int, method: str, actor: Principal) -> PasswordResetOut:
    """Reset an account's password. `link`: a one-time token (random, kept only as its SHA-256) with which the user
    sets a new password at POST /api/v1/auth/password-reset within LMS_PASSWORD_RESET_HOURS; the old password holds
    until then. `temporary`: a random password, in force at once (every token and session of the account ends), that
    the user must change before anything else. Audited (never the token nor the password)."""
    user = _managed_user(db, user_id=user_id, actor=actor)
    if not user.active:
        raise Conflict("the account is deactivated: reactivate it first", code="inactive_user")
    if method == "temporary":
        password = temporary_password()
        _set_password(
            db, user=user, password=password, must_change=True, actor=actor, action="password_reset_temporary"
        )
        return PasswordResetOut(method="temporary", temporary_password=password)
    token = secrets.token_urlsafe(32)
    expires_at = now_utc() + timedelta(hours=get_settings().password_reset_hours)
    user.password_reset_hash, user.password_reset_expires_at = _hash_reset_token(token), expires_at
    db.flush()
    record_event(
        db,
        actor=actor,
        action="password_reset_link",
        entity_type="user",
        entity_id=user.id,
        after={"expires_at": expires_at.isoformat()},
    )
    url = f"{get_settings().public_base_url.rstrip('/')}/password-reset/{token}"
    return PasswordResetOut(method="link", reset_token=token, reset_url=url, expires_at=expires_at)


def reset_link_user(db: Session, *, token: str, lock: bool = False) -> User | None:
    """The active account whose one-time reset link this token is, while the link holds (not used, not replaced,
    not expired); None otherwise. `lock`: the row locked until the transaction ends (to use the link)."""
    stmt = select(User).where(User.password_reset_hash == _hash_reset_token(token))
    user = db.scalar(stmt.with_for_update() if lock else stmt)
    if (
        user is None
        or not user.active
        or user.password_reset_expires_at is None
        or user.password_reset_expires_at <= now_utc()
    ):
        return None
    return user


def complete_password_reset(db: Session, *, token: str, new_password: str, address: str | None) -> User:
    """Set a new password with a reset link's token: once, before it expires, for an active account; every token and
    session of the account ends. 422 `invalid_reset_token` otherwise (unknown, used, expired or replaced alike)."""
    user = reset_link_user(db, token=token, lock=True)
    if user is None:
        raise Invalid(
            "token: the reset link is unknown, used or expired; ask an admin for a new one",
            field="token",
            code="invalid_reset_token",
        )
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise Invalid(f"new_password: {problem}", field="new_password", code="weak_password")
    actor = Principal(user_id=user.id, label=user.email, role=user.role, address=address)
    _set_password(db, user=user, password=new_password, must_change=False, actor=actor, action="password_reset")
    return user


def change_own_password(db: Session, *, actor: Principal, current_password: str, new_password: str) -> str:
    """The caller changes their own password (the current one required; also the way out of a temporary one). Every
    other token and session of theirs ends; the new token is returned."""
    assert actor.user_id is not None
    user = db.get(User, actor.user_id)
    assert user is not None
    # A wrong current password counts as a failed login of the (email, address) pair, under the same lock and the
    # same growing waits: a stolen token is no way to guess the password at leisure.
    now, address = now_utc(), (actor.address or "unknown")[:64]
    pair_key = _throttle_key("pair", user.email, address)
    by_pair = _lock_throttles(db, {pair_key: "pair"}, now)[pair_key]
    wait = _pair_wait(by_pair, now)
    if wait:
        raise TooManyRequests(f"too many wrong passwords; try again in {wait} seconds", retry_after=wait)
    if not _hasher.verify(current_password, user.password_hash):
        by_pair.failures += 1
        by_pair.last_failure_at = now
        delay = pair_delay(by_pair.failures)
        by_pair.locked_until = now + delay if delay else None
        _audit_login(db, action="password_change_failed", email=user.email, address=address, user=user)
        raise InvalidLogin("current_password: wrong password", field="current_password", code="wrong_password")
    by_pair.failures, by_pair.locked_until = 0, None
    if new_password == current_password:
        raise Invalid("new_password: must differ from the current password", field="new_password", code="weak_password")
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise Invalid(f"new_password: {problem}", field="new_password", code="weak_password")
    _set_password(db, user=user, password=new_password, must_change=False, actor=actor, action="password_changed")
    return issue_token(user)


def user_of(db: Session, principal: Principal) -> User:
    """The account a signed-in principal acts as."""
    assert principal.user_id is not None
    user = db.get(User, principal.user_id)
    assert user is not None
    return user


def issue_token(user: User) -> str:
    """A bearer token for the user, valid until it expires or the account's access is ended."""
    return create_token(user_id=user.id, role=user.role, version=user.token_version, key=user.token_key)


# --- login limits --------------------------------------------------------------------------------------------------

PASSWORD_MAX = 1024


def _throttle_key(kind: str, *parts: str) -> str:
    """The SHA-256 (hex) of "kind|part|...": an address has no "|", so a pair's email and address never mix."""
    return hashlib.sha256("|".join((kind, *parts)).encode()).hexdigest()


def _lock_throttles(db: Session, keys: dict[str, str], now: datetime) -> dict[str, LoginThrottle]:
    """The throttle rows of these keys (key -> kind), made if missing and locked until the transaction ends, in the
    order of their keys (so two logins never wait on each other crosswise). On SQLite every writing transaction
    already holds the database's write lock (BEGIN IMMEDIATE)."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = [{"key": key, "kind": keys[key], "failures": 0, "window_started_at": now} for key in sorted(keys)]
    db.execute(insert(LoginThrottle).values(values).on_conflict_do_nothing(index_elements=["key"]))
    rows = db.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.key.in_(list(keys)))
        .order_by(LoginThrottle.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {row.key: row for row in rows}


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _address_wait(row: LoginThrottle, now: datetime) -> int:
    """Seconds until this address may try again (0: now). Its failures count in fixed windows."""
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    if now - row.window_started_at >= window:
        row.failures, row.window_started_at = 0, now
    if row.failures >= settings.login_max_failures_per_address:
        return _seconds_until(row.window_started_at + window, now)
    return 0


def _pair_wait(row: LoginThrottle, now: datetime) -> int:
    """Seconds until this (email, address) pair may try again (0: now). A pair forgets its failures after
    LMS_LOGIN_PAIR_MEMORY_HOURS without one."""
    if row.last_failure_at is not None and now - row.last_failure_at > timedelta(
        hours=get_settings().login_pair_memory_hours
    ):
        row.failures, row.locked_until = 0, None
    if row.locked_until is not None and now < row.locked_until:
        return _seconds_until(row.locked_until, now)
    return 0


def pair_delay(failures: int) -> timedelta:
    """How long an (email, address) pair waits after its n-th failure in a row: nothing for the first few
    (LMS_LOGIN_FAILURES_BEFORE_DELAY - 1), then LMS_LOGIN_FIRST_DELAY_SECONDS, doubling with each further
    failure up to LMS_LOGIN_MAX_DELAY_MINUTES."""
    settings = get_settings()
    over = failures - settings.login_failures_before_delay
    if over < 0:
        return timedelta(0)
    cap = settings.login_max_delay_minutes * 60
    return timedelta(seconds=min(cap, settings.login_first_delay_seconds * 2 ** min(over, 32)))


def _audit_login(db: Session, *, action: str, email: str, address: str, user: User | None, **after: Any) -> None:
    actor = Principal(
        user_id=user.id if user else None,
        label=email[:200],
        role=user.role if user else "anonymous",
        address=address,
    )
    record_event(
        db,
        actor=actor,
        action=action,
        entity_type="user",
        entity_id=user.id if user else email[:64],
        after=after or None,
    )


def log_in(db: Session, *, email: str, password: str, address: str, code: str | None = None) -> tuple[str, int]:
    """Check the password, and the second factor of an account that has one (`code`: the current TOTP code or an
    unused recovery code), and issue a token. Failures (a wrong or missing code too) are limited per (email, address)
    pair, with growing delays, and per address; the count and the check are one atomic step, and every attempt
    (refused ones too) is recorded. Someone guessing from elsewhere never locks the real user out of their own
    address."""
    settings = get_settings()
    address = address[:64]
    email = email.strip().lower()
    too_long = "username" if len(email) > EMAIL_MAX_LENGTH else "password" if len(password) > PASSWORD_MAX else None
    now = now_utc()
    address_key = _throttle_key("address", address)
    if too_long is not None:
        # Not looked at, but counted against the address: the long form is an attempt like any other.
        row = _lock_throttles(db, {address_key: "address"}, now)[address_key]
        wait = _address_wait(row, now)
        if not wait:
            row.failures += 1
            row.last_failure_at = now
        db.add(LoginAttempt(email=email[:EMAIL_MAX_LENGTH], address=address, succeeded=False, at=now))
        _audit_login(db, action="login_failed", email=email, address=address, user=None, reason=f"{too_long}_too_long")
        limit = EMAIL_MAX_LENGTH if too_long == "username" else PASSWORD_MAX
        raise InvalidLogin(f"{too_long}: at most {limit} characters", field=too_long, code="too_long")

    pair_key = _throttle_key("pair", email, address)
    rows = _lock_throttles(db, {address_key: "address", pair_key: "pair"}, now)
    by_address, by_pair = rows[address_key], rows[pair_key]
    wait = max(_address_wait(by_address, now), _pair_wait(by_pair, now))
    if wait:
        # Refused without checking the password, so a refusal neither prolongs the wait nor tells anything.
        _audit_login(db, action="login_refused", email=email, address=address, user=None, retry_after=wait)
        raise TooManyRequests(f"too many failed logins; try again in {wait} seconds", retry_after=wait)

    user = db.scalar(select(User).where(User.email == email))
    ok = _hasher.verify(password, user.password_hash if user else _DUMMY_HASH) and user is not None and user.active
    failure: LoginFailed | None = None if ok else LoginFailed("wrong email or password")
    if ok and user is not None and user.totp_enrolled_at is not None:
        failure = _second_factor_failure(db, user=user, code=(code or "").strip(), address=address, now=now)
        ok = failure is None
    db.add(LoginAttempt(email=email, address=address, succeeded=ok, at=now))
    reason = {"reason": failure.code} if failure is not None and failure.code != LoginFailed.code else {}
    _audit_login(db, action="login" if ok else "login_failed", email=email, address=address, user=user, **reason)
    if failure is not None or user is None:
        by_address.failures += 1
        by_address.last_failure_at = now
        by_pair.failures += 1
        by_pair.last_failure_at = now
        delay = pair_delay(by_pair.failures)
        by_pair.locked_until = now + delay if delay else None
        raise failure or LoginFailed("wrong email or password")
    by_pair.failures, by_pair.locked_until = 0, None
    return issue_token(user), settings.token_ttl_minutes * 60


# --- the second factor ---------------------------------------------------------------------------------------------


def _locked_user(db: Session, user: User) -> User:
    """The user's row, locked until the transaction ends (so a code or a recovery code is used once, whatever the
    concurrency) and read afresh."""
    locked = db.scalar(
        select(User).where(User.id == user.id).with_for_update().execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked


def _second_factor_failure(db: Session, *, user: User, code: str, address: str, now: datetime) -> LoginFailed | None:
    """None when `code` is the account's current TOTP code (a time step not used before) or one of its unused
    recovery codes, which is then used up; else the failure to answer."""
    if not code:
        return LoginFailed("this account has a second factor: send the current code as `totp`", code="totp_required")
    if len(code) > 64:
        return LoginFailed("the second-factor code is wrong or was already used", code="invalid_totp")
    user = _locked_user(db, user)
    if totp.is_code(code):
        step = None
        try:
            secret = totp.decrypt_secret(user.totp_secret) if user.totp_secret is not None else None
        except ValueError:  # LMS_SECRET_KEY changed since enrolment: a recovery code or a reset is the way back
            secret = None
        if secret is not None:
            step = totp.matching_step(secret, code, at=now, after=user.totp_last_step)
        if step is None:
            return LoginFailed("the second-factor code is wrong or was already used", code="invalid_totp")
        user.totp_last_step = step
        return None
    hashed = totp.hash_recovery_code(code)
    left = list(user.totp_recovery_hashes or [])
    if hashed not in left:
        return LoginFailed("the second-factor code is wrong or was already used", code="invalid_totp")
    left.remove(hashed)
    user.totp_recovery_hashes = left
    actor = Principal(user_id=user.id, label=user.email, role=user.role, address=address)
    record_event(
        db,
        actor=actor,
        action="totp_recovery_code_used",
        entity_type="user",
        entity_id=user.id,
        after={"recovery_codes_left": len(left)},
    )
    return None


def _enrol(user: User, secret: str, *, now: datetime, step: int | None) -> list[str]:
    codes = totp.new_recovery_codes()
    user.totp_secret = totp.encrypt_secret(secret)
    user.totp_pending_secret = None
    user.totp_enrolled_at = now
    user.totp_last_step = step
    user.totp_recovery_hashes = [totp.hash_recovery_code(c) for c in codes]
    return codes


def enrol_totp_with_secret(db: Session, *, user: User, secret: str, actor: Principal) -> list[str]:
    """Enrol the second factor with a secret the operator gives (`lms users create --totp-secret`): at once
    confirmed; the ten recovery codes, shown once. Audited."""
    try:
        secret = totp.normalise_secret(secret)
    except ValueError as exc:
        raise Invalid(f"totp_secret: {exc}", field="totp_secret") from exc
    user = _locked_user(db, user)
    codes = _enrol(user, secret, now=now_utc(), step=None)
    record_event(
        db, actor=actor, action="totp_enrolled", entity_type="user", entity_id=user.id, after={"by": "operator"}
    )
    return codes


def start_totp_enrolment(db: Session, *, user: User, actor: Principal) -> tuple[str, str]:
    """Offer a new TOTP secret: (secret, otpauth URI). It holds only once a code from it confirms it
    (`confirm_totp`); until then a second factor already in force stays so, and asking again offers another.
    Audited."""
    user = _locked_user(db, user)
    secret = totp.new_secret()
    user.totp_pending_secret = totp.encrypt_secret(secret)
    record_event(db, actor=actor, action="totp_enrolment_started", entity_type="user", entity_id=user.id)
    return secret, totp.provisioning_uri(secret, email=user.email)


def confirm_totp(db: Session, *, user: User, code: str, actor: Principal) -> list[str]:
    """Confirm the secret offered with a code from it: it is the second factor from now on (replacing any before),
    every token and session of the user ends (log in again with a code), and ten new recovery codes are returned,
    shown only this once. Audited."""
    user = _locked_user(db, user)
    if user.totp_pending_secret is None:
        raise Conflict("start the enrolment first (POST /api/v1/auth/totp)", code="totp_not_started")
    now = now_utc()
    secret = totp.decrypt_secret(user.totp_pending_secret)
    step = totp.matching_step(secret, code.strip(), at=now, after=None)
    if step is None:
        raise Invalid("totp: the code does not match the secret offered", field="totp", code="invalid_totp")
    replaced = user.totp_enrolled_at is not None
    codes = _enrol(user, secret, now=now, step=step)
    record_event(
        db,
        actor=actor,
        action="totp_enrolled",
        entity_type="user",
        entity_id=user.id,
        after={"by": "user", "replaced": replaced},
    )
    end_access(db, user=user, actor=actor, reason="totp_enrolled")
    return codes


def reset_totp(db: Session, *, user_id: int, actor: Principal) -> User:
    """Remove a user's second factor (a lost phone): the account enrols anew at its next sign-in, and every token
    and session of it ends. Who may reset whom follows who may create whom (an admin never an auditor's). Audited."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"no user has the id {user_id}")
    problem = creation_problem(user.role, creator_role=actor.role, by_operator=actor.user_id is None)
    if problem:
        raise Forbidden(
            f"the {actor.role} role may not reset the second factor of {user.role} accounts",
            code="separation_of_duties",
        )
    user = _locked_user(db, user)
    had = user.totp_enrolled_at is not None
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    user.totp_recovery_hashes = None
    record_event(db, actor=actor, action="totp_reset", entity_type="user", entity_id=user.id, after={"had": had})
    end_access(db, user=user, actor=actor, reason="totp_reset")
    return user
