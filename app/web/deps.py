"""The caller of a request and what their role may do: FastAPI dependencies over `app.auth` and `app.web.sessions`.

The API takes its caller from a bearer token or, without one, from a page session's cookie; a page only ever from
the cookie. With the cookie, an unsafe request (POST, PUT, PATCH, DELETE) also needs the session's CSRF token and
our own Origin, else 403.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Protocol
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app import clock
from app.accounts.models import User
from app.accounts.totp import required_for
from app.auth import ADMIN, ALL_ROLES, OFFICIAL, STAFF, Principal, decode_token, token_matches
from app.config import get_settings
from app.errors import Forbidden, Unauthorized
from app.web import callers, sessions
from app.web.language import apply_preference
from app.web.routing import get_db
from app.web.sessions import SignedInAccount

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy, uvicorn's --proxy-headers sets it)."""
    return request.client.host if request.client else "unknown"


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class _Account(Protocol):
    """What finding the caller needs of an account: the row of `_TOKEN_ACCOUNT`'s columns, or a `SignedInAccount`."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def authority_code(self) -> str | None: ...
    @property
    def official_id(self) -> int | None: ...
    @property
    def must_change_password(self) -> bool: ...
    @property
    def totp_enrolled_at(self) -> datetime | None: ...


# The columns of `users` a bearer token's request needs, read by primary key in one query: the account's standing
# (active, token version and key, checked on every request), its role and scope, and what it must do first.
# Built once: a statement object keeps its cache key, so running it again compiles nothing and traverses nothing.
_TOKEN_ACCOUNT = select(
    User.id,
    User.email,
    User.role,
    User.authority_code,
    User.official_id,
    User.active,
    User.token_version,
    User.token_key,
    User.must_change_password,
    User.totp_enrolled_at,
).where(User.id == bindparam("user_id"))


def _principal(user: _Account, request: Request) -> Principal:
    return Principal(
        user_id=user.id,
        label=user.email,
        role=user.role,
        authority_code=user.authority_code,
        official_id=user.official_id,
        address=client_address(request),
    )


async def csrf_sent(request: Request) -> str | None:
    """The CSRF token an unsafe request signed in by cookie sends: the X-CSRF-Token header, or the form field
    `csrf_token` (a form is read only when the request carries a session cookie)."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if sessions.session_token(request) is None:
        return None
    if request.headers.get("content-type", "").split(";")[0].strip().lower() in _FORMS:
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


CsrfSent = Annotated[str | None, Depends(csrf_sent)]


def _origin(url: str) -> str | None:
    """scheme://host[:port] of a URL, lowercase and without the scheme's default port; None when it has none."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port and port != default else "")


def is_own_origin(request: Request) -> bool:
    """Whether an unsafe request comes from the app's own pages: its Origin (or, without one, its Referer) is the
    public address (LMS_PUBLIC_BASE_URL) or the address the request was made to. "Origin: null" never is."""
    origin = request.headers.get("origin")
    claimed = _origin(origin) if origin is not None else _origin(request.headers.get("referer", ""))
    return claimed is not None and claimed in {_origin(get_settings().public_base_url), _origin(str(request.base_url))}


def check_csrf(request: Request, expected: str, sent: str | None) -> None:
    """403 unless the request comes from our own origin with the session's CSRF token."""
    if not is_own_origin(request):
        raise Forbidden("the request does not come from this site's own pages (Origin or Referer)", code="bad_origin")
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(
            f"the session's CSRF token is missing or wrong (send the {CSRF_HEADER} header or the {CSRF_FIELD} field)",
            code="csrf_failed",
        )


def _read_account(db: Session, user_id: int) -> Row[Any, *tuple[Any, ...]] | None:
    # On the session's connection (in its transaction), without the ORM's handling of a plain row.
    return db.connection().execute(_TOKEN_ACCOUNT, {"user_id": user_id}).first()


async def _token_account(request: Request, db: Session, token: str) -> Row[Any, *tuple[Any, ...]]:
    """The account of a bearer token: its signature and expiry checked, then the account read by primary key in one
    query (or as read a moment ago, `callers`), and its token version and key checked against the token's."""
    claims = decode_token(token)
    user = await callers.found(request, callers.account_key(claims.user_id), lambda: _read_account(db, claims.user_id))
    if user is None or not user.active or not token_matches(claims, version=user.token_version, key=user.token_key):
        # Deactivated, or its access ended since (a password or role change), or a different account now.
        raise Unauthorized("the token no longer holds for this account; log in again", code="invalid_token")
    return user


async def _session_user(request: Request, db: Session) -> SignedInAccount | None:
    """The account of a signed-in browser: None without a session cookie; 401 when the session has ended; 403 for an
    unsafe request without the session's CSRF token from our own origin. Read in one query (or as read a moment
    ago, `callers`, and then checked against the clock again)."""
    token = sessions.session_token(request)
    if token is None:
        return None
    found = await callers.found(
        request,
        callers.session_key(sessions.hash_token(token)),
        lambda: sessions.read_signed_in(db, token),
    )
    if found is None or sessions.is_expired(found, clock.now_utc()):
        raise Unauthorized("the session has ended (signed out, idle or too long); sign in again", code="session_ended")
    if request.method not in SAFE_METHODS:
        check_csrf(request, found.csrf_token, await csrf_sent(request))
    request.state.web_session = found  # pages put its CSRF token in their forms
    return found


def _password_change_required() -> Forbidden:
    return Forbidden(
        "the account has a temporary password: choose your own first (POST /api/v1/auth/password)",
        code="password_change_required",
    )


async def _api_user(request: Request, db: Session, token: str | None) -> _Account:
    """The account calling the API: from the bearer token, or without one from the session cookie (with its CSRF
    token and our own Origin on an unsafe request, else 403); 401 without either."""
    if token:
        return await _token_account(request, db, token)
    found = await _session_user(request, db)
    if found is None:
        raise Unauthorized("log in first: this needs a bearer token", code="not_authenticated")
    return found


def _refuse_without_second_factor(user: _Account) -> None:
    """403 `totp_enrolment_required` for an admin or auditor without a second factor (they may only enrol one)."""
    if required_for(user.role) and user.totp_enrolled_at is None:
        raise Forbidden(
            "this account must have a second factor first: POST /api/v1/auth/totp, add the secret to an "
            "authenticator app, POST /api/v1/auth/totp/confirm with a code, then log in again with `totp`",
            code="totp_enrolment_required",
        )


# The dependencies below wait on the database only through `callers.found`, in a worker thread: asynchronous, they
# cost no trip to a worker thread of their own, and none at all for a caller read a moment ago.


async def get_enrolling_principal(
    request: Request,
    db: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """The authenticated caller of the API: from the bearer token, or without one from the session cookie (with
    its CSRF token and our own Origin on an unsafe request, else 403); 401 without either. An account with a
    temporary password gets 403 `password_change_required` until it has chosen its own."""
    user = await _api_user(request, db, token)
    if user.must_change_password:
        raise _password_change_required()
    return _principal(user, request)


async def get_principal_with_temporary_password(
    request: Request,
    db: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """As get_principal, but an account with a temporary password passes too: for changing the password only."""
    return _principal(await _api_user(request, db, token), request)


async def get_principal(
    request: Request,
    db: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """The authenticated caller of the API (as `get_enrolling_principal`), once an admin or auditor has a second
    factor (else 403 `totp_enrolment_required`); from the same one query."""
    user = await _api_user(request, db, token)
    if user.must_change_password:
        raise _password_change_required()
    _refuse_without_second_factor(user)
    return _principal(user, request)


async def get_optional_principal(request: Request, db: SessionDep) -> Principal | None:
    """The caller of an API route that anyone may call: None without a bearer token or a session cookie; with one,
    the caller as `get_principal` finds them (a bad or ended credential is still 401). The token is read from the
    header here, not by the OAuth2 scheme, so that the OpenAPI document lists these routes without security."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    if not bearer and sessions.session_token(request) is None:
        return None
    return await get_principal(request, db, bearer or None)


async def get_page_principal(request: Request, db: SessionDep) -> Principal:
    """The signed-in caller of a page, from the session cookie only (a bearer token is never looked at); 401 (a page
    sends the browser to sign in) without a live session; 403 `password_change_required` with a temporary password."""
    user = await _page_account_holder(request, db)
    if user.must_change_password:
        raise _password_change_required()
    _refuse_without_second_factor(user)
    return _principal(user, request)


def _record_preference(db: Session, user_id: int, lang: str) -> None:
    user = db.get(User, user_id)
    if user is not None:
        user.preferred_language = lang


async def _with_preference(request: Request, db: Session, user: SignedInAccount) -> SignedInAccount:
    """The signed-in user of a page, their language preference applied; a language chosen now is recorded as their
    preference, with the request's unit of work."""
    chosen = apply_preference(request, user, user.csrf_token)
    if chosen is not None:
        await run_in_threadpool(_record_preference, db, user.id, chosen)
    return user


async def _page_account_holder(request: Request, db: Session) -> SignedInAccount:
    """The signed-in user of a page, their language preference applied (`language.apply_preference`); 401 without a
    live session. A temporary password or a missing second factor is for the caller to judge."""
    user = await _session_user(request, db)
    if user is None:
        raise Unauthorized("sign in first", code="not_authenticated")
    return await _with_preference(request, db, user)


async def get_page_account_holder(request: Request, db: SessionDep) -> Principal:
    """The signed-in caller of the pages of their own account (changing the password, enrolling a second factor):
    an account with a temporary password or without the second factor its role needs passes too."""
    return _principal(await _page_account_holder(request, db), request)


async def get_optional_page_principal(request: Request, db: SessionDep) -> Principal | None:
    """The signed-in caller of a page that anyone may see, or None (no session, one that has ended, or an account
    that must change its temporary password first)."""
    try:
        user = await _session_user(request, db)
    except Unauthorized:
        return None
    if user is None or user.must_change_password:
        return None
    return _principal(await _with_preference(request, db, user), request)


def _role_check(caller: Callable[..., Awaitable[Principal]], roles: tuple[str, ...], name: str, refusal: str) -> Any:
    """A dependency finding the caller as `caller` does and letting only the given roles through (403 for the others).

    It takes `caller`'s own parameters (`functools.wraps`: FastAPI reads the signature of the wrapped function), so
    that FastAPI solves one dependency for the caller and the check, not two."""

    @functools.wraps(caller)
    async def check(**arguments: Any) -> Principal:
        principal = await caller(**arguments)
        if principal.role not in roles:
            raise Forbidden(f"the {principal.role} role may not {refusal}")
        return principal

    check.__name__ = f"{name}_" + "_".join(roles)
    return Depends(check)


def allow(*roles: str) -> Any:
    """An API dependency that lets only the given roles through (403 for the others)."""
    return _role_check(get_principal, roles, "allow", "do this")


def page_allow(*roles: str) -> Any:
    """A page dependency that lets only the given roles through, signed in by session (403 for the others)."""
    return _role_check(get_page_principal, roles, "page_allow", "see this page")


# The API's callers: a bearer token, or a signed-in browser (with CSRF on unsafe requests).
Anyone = Annotated[Principal, allow(*ALL_ROLES)]
# Any signed-in caller, an admin or auditor without a second factor too (they may only enrol one).
AnyoneEnrolling = Annotated[Principal, Depends(get_enrolling_principal)]
AdminOnly = Annotated[Principal, allow(ADMIN)]
# Anyone, signed in or not: None for an anonymous caller.
MaybeCaller = Annotated[Principal | None, Depends(get_optional_principal)]
Staff = Annotated[Principal, allow(*STAFF)]

# The caller changing their own password, a temporary one too.
PasswordChanger = Annotated[Principal, Depends(get_principal_with_temporary_password)]

# The pages' callers: a signed-in browser only.
PageUser = Annotated[Principal, Depends(get_page_principal)]
MaybePageUser = Annotated[Principal | None, Depends(get_optional_page_principal)]
PageAdmin = Annotated[Principal, page_allow(ADMIN)]
# The signed-in caller of their own account's pages, a temporary password or a missing second factor allowed.
PageAccountHolder = Annotated[Principal, Depends(get_page_account_holder)]
PageStaff = Annotated[Principal, page_allow(*STAFF)]
PageOfficial = Annotated[Principal, page_allow(OFFICIAL)]

# A text field of a page's form, bounded so that an oversized one is refused before it is read; what the field must
# hold is then said at the field by the schema of the API that the page fills.
FormText = Annotated[str, Form(max_length=5000)]
