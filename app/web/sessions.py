"""Server-side sessions of the web pages: start one at sign-in, read it on each request, end it at sign-out, and end
all of a user's when the account is deactivated or its password changes. A session also keeps the account's token
version of its sign-in, so that `accounts.service.end_access` (which raises the version) ends it with the tokens.

The browser holds a random id (256 bits) in an HttpOnly, SameSite=Lax cookie (Secure, and named `__Host-...`,
when the site is served over HTTPS); the table holds only its SHA-256. A session ends after
LMS_SESSION_IDLE_MINUTES without a request and LMS_SESSION_ABSOLUTE_HOURS after sign-in, whichever comes first.
The functions here take the database session and flush, as services do; the request's unit of work commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Delete, delete, or_, select
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection
from starlette.responses import Response

from app import clock
from app.accounts.models import User
from app.config import get_settings
from app.web.models import WebSession

# last_seen_at is written at most this often, so that reading pages is not a write per request; the idle timeout
# is then exact to within this much.
TOUCH_EVERY = timedelta(seconds=60)


def hash_token(token: str) -> str:
    """The SHA-256 (hex) of a session id: what the table keeps. The id is random, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def idle_timeout() -> timedelta:
    """How long a session lasts without a request (LMS_SESSION_IDLE_MINUTES)."""
    return timedelta(minutes=get_settings().session_idle_minutes)


def absolute_timeout() -> timedelta:
    """How long a session lasts after sign-in, whatever happens (LMS_SESSION_ABSOLUTE_HOURS)."""
    return timedelta(hours=get_settings().session_absolute_hours)


class _Timed(Protocol):
    @property
    def created_at(self) -> datetime: ...
    @property
    def last_seen_at(self) -> datetime: ...


def is_expired(record: _Timed, now: datetime) -> bool:
    """Whether the session has ended by time: idle too long, or signed in too long ago."""
    return now - record.last_seen_at > idle_timeout() or now - record.created_at > absolute_timeout()


def start_session(db: Session, *, user_id: int, replacing: str | None = None) -> tuple[str, WebSession]:
    """A new session for the user, at sign-in: its id (for the cookie, never stored) and its record.

    Always a new id, so an id planted before sign-in is worth nothing after it; `replacing` (the id the browser
    held, if any) is ended. The user's sessions that have run out are cleared on the way.
    """
    now = clock.now_utc()
    if replacing:
        end_session(db, replacing)
    _delete_expired(db, now, user_id=user_id)
    version = db.scalar(select(User.token_version).where(User.id == user_id))
    if version is None:
        raise ValueError(f"no user has the id {user_id}")
    token = secrets.token_urlsafe(32)
    record = WebSession(
        token_hash=hash_token(token),
        user_id=user_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        token_version=version,
    )
    db.add(record)
    db.flush()
    return token, record


def read_session(db: Session, token: str | None) -> tuple[WebSession, User] | None:
    """The live session of this id and its user, its last request noted; None when there is no such session, it
    has run out, the account is no longer active, or its access has ended since sign-in (its token version moved
    on: a password or role change, a deactivation)."""
    if not token:
        return None
    found = db.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == hash_token(token))
    ).first()
    if found is None:
        return None
    record, user = found
    now = clock.now_utc()
    if is_expired(record, now) or not user.active or record.token_version != user.token_version:
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        record.last_seen_at = now
        db.flush()
    return record, user


@dataclass(frozen=True)
class SignedInAccount:
    """A live page session and its account as read (`read_signed_in`): plain values, which a later request may be
    handed again (app/web/callers.py) and which must then pass `is_expired` again."""

    id: int
    email: str
    role: str
    authority_code: str | None
    official_id: int | None
    must_change_password: bool
    totp_enrolled_at: datetime | None
    preferred_language: str | None
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


def read_signed_in(db: Session, token: str) -> SignedInAccount | None:
    """`read_session`, as plain values."""
    found = read_session(db, token)
    if found is None:
        return None
    record, user = found
    return SignedInAccount(
        id=user.id,
        email=user.email,
        role=user.role,
        authority_code=user.authority_code,
        official_id=user.official_id,
        must_change_password=user.must_change_password,
        totp_enrolled_at=user.totp_enrolled_at,
        preferred_language=user.preferred_language,
        csrf_token=record.csrf_token,
        created_at=record.created_at,
        last_seen_at=record.last_seen_at,
    )


def end_session(db: Session, token: str | None) -> None:
    """End the session of this id (sign-out); nothing when there is none."""
    if token:
        db.execute(delete(WebSession).where(WebSession.token_hash == hash_token(token)))


def end_user_sessions(db: Session, *, user_id: int, keep: str | None = None) -> int:
    """End every session of the user (deactivation, a password change), but `keep` (the current browser's, when
    the user changes their own password); the number ended."""
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if keep:
        stmt = stmt.where(WebSession.token_hash != hash_token(keep))
    return _deleted(db, stmt)


def _deleted(db: Session, stmt: Delete) -> int:
    result = cast("CursorResult[Any]", db.execute(stmt))  # a DELETE's result is a cursor result, with its row count
    return int(result.rowcount or 0)


def purge_expired_sessions(db: Session) -> int:
    """Delete every session that has run out (for a periodic job); the number deleted."""
    return _delete_expired(db, clock.now_utc())


def _delete_expired(db: Session, now: datetime, *, user_id: int | None = None) -> int:
    stmt = delete(WebSession).where(
        or_(WebSession.last_seen_at < now - idle_timeout(), WebSession.created_at < now - absolute_timeout())
    )
    if user_id is not None:
        stmt = stmt.where(WebSession.user_id == user_id)
    return _deleted(db, stmt)


# --- the cookie ------------------------------------------------------------------------------------------------


def cookie_name() -> str:
    """The session cookie's name. Over HTTPS the `__Host-` prefix makes browsers refuse it unless it is Secure, for
    this host only and the whole site, so a neighbouring subdomain cannot plant one."""
    return "__Host-lms_session" if get_settings().secure_cookies() else "lms_session"


def session_token(connection: HTTPConnection) -> str | None:
    """The session id the browser sent, if any."""
    return connection.cookies.get(cookie_name()) or None


def set_session_cookie(response: Response, token: str) -> None:
    """Send the session id: HttpOnly (no script reads it), SameSite=Lax, Secure over HTTPS, for the whole site."""
    response.set_cookie(
        cookie_name(),
        token,
        max_age=int(absolute_timeout().total_seconds()),
        path="/",
        secure=get_settings().secure_cookies(),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response) -> None:
    """Tell the browser to forget its session id."""
    response.delete_cookie(
        cookie_name(), path="/", secure=get_settings().secure_cookies(), httponly=True, samesite="lax"
    )
