"""The pages of signing in and of one's own account: /login and /logout; the forgotten password and the page that
sets a new one from an admin's one-time link; changing one's password (where a temporary password sends the
browser first); enrolling a second factor. The rules are the accounts service's, the same as the API's: its login
limits, its password rule, its second factor.

Before sign-in there is no session to tie a CSRF token to: the forms of these pages carry a random token that the
browser also holds in a cookie (`lms_form_csrf`), and their posts must come from our own Origin; after sign-in the
session's own CSRF token is checked (`app.web.deps`).

The school's pages of accounts (admins only): `/admin/accounts` (every login: role, authority, active, second
factor), a new account (its user then sets a password from a one-time link the admin hands over), and one account's
page with what may be done to it: change its role, deactivate or reactivate it, reset its password (the link to hand
over is shown), reset its second factor; each step after a check page. The rules, separation of duties among them,
are the accounts service's, as for /api/v1/users."""

from __future__ import annotations

import hmac
import secrets
from enum import StrEnum
from typing import Annotated, Any

import segno
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import select

from app.accounts import selectors, service, totp
from app.accounts.models import User
from app.accounts.rules import PASSWORD_MIN_LENGTH, creation_problem, management_problem
from app.accounts.schemas import RoleChange, UserCreate, UserRead
from app.auth import ALL_ROLES, LIAISON, OFFICIAL, Principal
from app.config import get_settings
from app.errors import Conflict, DomainError, Forbidden, Invalid, InvalidLogin, LoginFailed, TooManyRequests
from app.web import language, sessions
from app.web.deps import (
    CsrfSent,
    FormText,
    MaybePageUser,
    PageAccountHolder,
    PageAdmin,
    SessionDep,
    check_csrf,
    client_address,
    is_own_origin,
)
from app.web.pages import home_of, local_path, templates
from app.web.pagination import Offset, RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)

FORM_CSRF_COOKIE = "lms_form_csrf"
Field = Annotated[str, Form()]
ACCOUNTS_PAGE_SIZE = 50


def _form_token(request: Request) -> str:
    """The browser's pre-session form token, or a new one (set by `_render`)."""
    token = request.cookies.get(FORM_CSRF_COOKIE)
    return token if token and len(token) >= 32 else secrets.token_urlsafe(32)


def _render(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A page of these forms, its pre-session CSRF token in the form and in the cookie."""
    token = _form_token(request)
    response = templates.TemplateResponse(
        request, name, {"form_token": token, **context}, status_code=status, headers=headers
    )
    if request.cookies.get(FORM_CSRF_COOKIE) != token:
        response.set_cookie(FORM_CSRF_COOKIE, token, path="/", httponly=True, samesite="lax", secure=_secure())
    return response


def _secure() -> bool:
    return get_settings().secure_cookies()


def _check_form_token(request: Request, sent: str) -> None:
    """403 unless a pre-session form comes from our own origin with the token its browser holds."""
    if not is_own_origin(request):
        raise Forbidden("the request does not come from this site's own pages (Origin or Referer)", code="bad_origin")
    held = request.cookies.get(FORM_CSRF_COOKIE, "")
    if not held or not sent or not hmac.compare_digest(held.encode(), sent.encode()):
        raise Forbidden("the form's CSRF token is missing or wrong", code="csrf_failed")


def _start_session(request: Request, db: SessionDep, user: User) -> str:
    """Start a new session for the user (a new id; the browser's old one, if any, ended), for the page about to be
    rendered too; the language settled: the user's preference wins, else the language this browser chose becomes
    it. The new id, for `_signed_in`."""
    token, record = sessions.start_session(db, user_id=user.id, replacing=sessions.session_token(request))
    request.state.web_session = record
    language.note_signed_in(request, user, record.csrf_token)
    if user.preferred_language is None and getattr(request.state, "lang_source", "default") != "default":
        user.preferred_language = request.state.lang
    return token


def _signed_in(response: Response, token: str, user: User) -> Response:
    """The answer, with the new session's cookie and the user's language."""
    sessions.set_session_cookie(response, token)
    if user.preferred_language:
        language.remember(response, user.preferred_language)
    return response


def _after_sign_in(user: User, target: str | None) -> str:
    """Where a user goes once signed in: to change a temporary password, to enrol the second factor their role
    needs, else to `target` (a local path) or their home."""
    if user.must_change_password:
        return "/account/password"
    if totp.required_for(user.role) and user.totp_enrolled_at is None:
        return "/account/two-factor"
    return local_path(target) or home_of(user.role)


# --- sign in and out ---------------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: MaybePageUser, next: str | None = None) -> Response:
    """The sign-in form (a signed-in browser goes on to `next` or home)."""
    if principal is not None:
        return RedirectResponse(local_path(next) or home_of(principal.role), status_code=303)
    return _render(
        request, "accounts/login.html", {"email": "", "errors": [], "next": local_path(next), "ask_totp": False}
    )


@router.post("/login", response_class=HTMLResponse)
def log_in(
    request: Request,
    db: SessionDep,
    email: Field = "",
    password: Field = "",
    totp_code: Annotated[str, Form(alias="totp")] = "",
    next: Field = "",
    csrf_token: Field = "",
) -> Response:
    """Sign in with `email`, `password` and, for an account with a second factor, `totp`; the API's login limits
    and second factor (accounts.service.log_in). 303 to `next` (a local path) or home; the form again with its
    errors (422), or with the wait (429)."""
    _check_form_token(request, csrf_token)
    target = local_path(next)
    context: dict[str, Any] = {"email": email.strip(), "next": target, "ask_totp": bool(totp_code)}
    errors = []
    if not email.strip():
        errors.append(("email", "email_missing"))
    if not password:
        errors.append(("password", "password_missing"))
    if errors:
        return _render(request, "accounts/login.html", {**context, "errors": errors}, status=422)
    try:
        service.log_in(db, email=email, password=password, address=client_address(request), code=totp_code or None)
    except TooManyRequests as exc:
        wait = int((exc.headers or {}).get("Retry-After", "60"))
        context["minutes"] = max(1, -(-wait // 60))
        return _render(
            request,
            "accounts/login.html",
            {**context, "errors": [("email", "too_many")]},
            status=429,
            headers={"Retry-After": str(wait)},
        )
    except InvalidLogin as exc:  # a field over its length (the API's `username` is this form's `email`)
        field = "password" if exc.field == "password" else "email"
        return _render(request, "accounts/login.html", {**context, "errors": [(field, "too_long")]}, status=422)
    except LoginFailed as exc:
        if exc.code in ("totp_required", "invalid_totp"):
            problem = "totp_required" if exc.code == "totp_required" else "totp_wrong"
            return _render(
                request, "accounts/login.html", {**context, "ask_totp": True, "errors": [("totp", problem)]}, status=422
            )
        return _render(request, "accounts/login.html", {**context, "errors": [("email", "wrong")]}, status=422)
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    assert user is not None
    token = _start_session(request, db, user)
    return _signed_in(RedirectResponse(_after_sign_in(user, target), status_code=303), token, user)


@router.post("/logout")
def log_out(request: Request, db: SessionDep, csrf: CsrfSent) -> Response:
    """End the browser's session (with the session's CSRF token from our own pages); then to the sign-in page."""
    token = sessions.session_token(request)
    found = sessions.read_session(db, token)
    if found is not None:
        check_csrf(request, found[0].csrf_token, csrf)
        sessions.end_session(db, token)
    response = RedirectResponse("/login?notice=signed_out", status_code=303)
    sessions.clear_session_cookie(response)
    return response


# --- a forgotten password ------------------------------------------------------------------------------------------


@router.get("/password-reset", response_class=HTMLResponse)
def forgotten_password(request: Request, principal: MaybePageUser) -> Response:
    """What to do about a forgotten password: ask the school for a one-time link."""
    return templates.TemplateResponse(request, "accounts/forgotten_password.html")


@router.get("/password-reset/{token}", response_class=HTMLResponse)
def reset_page(token: str, request: Request, db: SessionDep, principal: MaybePageUser) -> Response:
    """The form to set a new password with a one-time link; a page that says so when the link no longer holds."""
    user = service.reset_link_user(db, token=token[:100])
    if user is None:
        return templates.TemplateResponse(request, "accounts/reset_link_invalid.html", status_code=404)
    return _render(
        request, "accounts/reset_password.html", {"account": user.email, "errors": [], "min": PASSWORD_MIN_LENGTH}
    )


@router.post("/password-reset/{token}", response_class=HTMLResponse)
def reset_password(
    token: str, request: Request, db: SessionDep, new_password: Field = "", csrf_token: Field = ""
) -> Response:
    """Set the new password (the accounts' password rule); then to sign in."""
    _check_form_token(request, csrf_token)
    user = service.reset_link_user(db, token=token[:100])
    if user is None:
        return templates.TemplateResponse(request, "accounts/reset_link_invalid.html", status_code=404)
    context = {"account": user.email, "min": PASSWORD_MIN_LENGTH}
    if not new_password:
        return _render(
            request, "accounts/reset_password.html", {**context, "errors": [("new_password", "missing")]}, status=422
        )
    try:
        service.complete_password_reset(
            db, token=token[:100], new_password=new_password, address=client_address(request)
        )
    except Invalid as exc:
        if exc.field == "token":
            return templates.TemplateResponse(request, "accounts/reset_link_invalid.html", status_code=404)
        return _render(
            request, "accounts/reset_password.html", {**context, "errors": [("new_password", "weak")]}, status=422
        )
    return RedirectResponse("/login?notice=password_set", status_code=303)


# --- one's own password ---------------------------------------------------------------------------------------------


def _account_user(db: SessionDep, user_id: int | None) -> User:
    user = db.get(User, user_id) if user_id is not None else None
    assert user is not None
    return user


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, db: SessionDep, principal: PageAccountHolder) -> Response:
    """The form to change one's own password (the only page open with a temporary password)."""
    user = _account_user(db, principal.user_id)
    context = {"errors": [], "temporary": user.must_change_password, "min": PASSWORD_MIN_LENGTH}
    return templates.TemplateResponse(request, "accounts/change_password.html", context)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    db: SessionDep,
    principal: PageAccountHolder,
    current_password: Field = "",
    new_password: Field = "",
) -> Response:
    """Change one's own password (the accounts service: the current one checked and counted like a login, the
    password rule); every other session ends and this browser gets a new one."""
    user = _account_user(db, principal.user_id)
    context: dict[str, Any] = {"temporary": user.must_change_password, "min": PASSWORD_MIN_LENGTH}
    errors = [
        (f, "missing") for f, v in (("current_password", current_password), ("new_password", new_password)) if not v
    ]
    if errors:
        return templates.TemplateResponse(
            request, "accounts/change_password.html", {**context, "errors": errors}, status_code=422
        )
    try:
        service.change_own_password(db, actor=principal, current_password=current_password, new_password=new_password)
    except TooManyRequests as exc:
        wait = int((exc.headers or {}).get("Retry-After", "60"))
        context["minutes"] = max(1, -(-wait // 60))
        errors = [("current_password", "too_many")]
        return templates.TemplateResponse(
            request,
            "accounts/change_password.html",
            {**context, "errors": errors},
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    except InvalidLogin:
        errors = [("current_password", "wrong")]
        return templates.TemplateResponse(
            request, "accounts/change_password.html", {**context, "errors": errors}, status_code=422
        )
    except Invalid as exc:
        problem = "same" if "differ" in exc.detail else "weak"
        errors = [("new_password", problem)]
        return templates.TemplateResponse(
            request, "accounts/change_password.html", {**context, "errors": errors}, status_code=422
        )
    db.refresh(user)
    token = _start_session(request, db, user)
    response = RedirectResponse(f"{_after_sign_in(user, None)}?notice=password_changed", status_code=303)
    return _signed_in(response, token, user)


# --- the second factor ---------------------------------------------------------------------------------------------


def qr_svg(text: str) -> Markup:
    """A QR code of the text as inline SVG (segno, as the certificates' QR codes); the page names it."""
    svg = segno.make(text, error="m").svg_inline(scale=4, border=2, dark="#0b0c0c", omitsize=True)
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))


def _enrolment_context(user: User) -> dict[str, Any]:
    """The secret offered (from the account's pending secret), its URI as a QR code, the role's need."""
    assert user.totp_pending_secret is not None
    secret = totp.decrypt_secret(user.totp_pending_secret)
    uri = totp.provisioning_uri(secret, email=user.email)
    return {
        "stage": "scan",
        "secret": secret,
        "qr": qr_svg(uri),
        "errors": [],
        "required": totp.required_for(user.role),
    }


@router.get("/account/two-factor", response_class=HTMLResponse)
def two_factor_page(request: Request, db: SessionDep, principal: PageAccountHolder) -> Response:
    """The second factor: whether the account has one, and a button to set one up (or replace it)."""
    user = _account_user(db, principal.user_id)
    context = {
        "enrolled": user.totp_enrolled_at is not None,
        "required": totp.required_for(user.role),
        "stage": "start",
    }
    return templates.TemplateResponse(request, "accounts/two_factor.html", context)


@router.post("/account/two-factor", response_class=HTMLResponse)
def start_two_factor(request: Request, db: SessionDep, principal: PageAccountHolder) -> Response:
    """Offer a new secret: its QR code, the secret to type, and the form for a code from it."""
    user = _account_user(db, principal.user_id)
    service.start_totp_enrolment(db, user=user, actor=principal)
    return templates.TemplateResponse(request, "accounts/two_factor.html", _enrolment_context(user))


@router.post("/account/two-factor/confirm", response_class=HTMLResponse)
def confirm_two_factor(
    request: Request, db: SessionDep, principal: PageAccountHolder, totp_code: Annotated[str, Form(alias="totp")] = ""
) -> Response:
    """Confirm the secret with a code from it: the recovery codes, shown this once; every other session ends and
    this browser gets a new one."""
    user = _account_user(db, principal.user_id)
    if user.totp_pending_secret is None:
        return RedirectResponse("/account/two-factor", status_code=303)
    try:
        if not totp_code.strip():
            raise Invalid("totp: missing", field="totp", code="missing")
        codes = service.confirm_totp(db, user=user, code=totp_code, actor=principal)
    except Conflict:
        return RedirectResponse("/account/two-factor", status_code=303)
    except Invalid as exc:
        problem = "missing" if exc.code == "missing" else "wrong"
        context = {**_enrolment_context(user), "errors": [("totp", problem)]}
        return templates.TemplateResponse(request, "accounts/two_factor.html", context, status_code=422)
    db.refresh(user)
    token = _start_session(request, db, user)
    response = templates.TemplateResponse(
        request, "accounts/two_factor.html", {"stage": "done", "codes": codes, "home": home_of(user.role)}
    )
    return _signed_in(response, token, user)


# --- the school's pages of accounts ------------------------------------------------------------------------------


class AccountAction(StrEnum):
    """The steps an account's page checks before taking: each its own check page and button."""

    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    PASSWORD_RESET = "password-reset"
    TWO_FACTOR_RESET = "two-factor-reset"


def _creatable(principal: Principal) -> list[str]:
    """The roles the caller may create accounts of (rules.creation_problem)."""
    return [r for r in ALL_ROLES if creation_problem(r, creator_role=principal.role, by_operator=False) is None]


def _assignable(principal: Principal, user: UserRead) -> list[str]:
    """The roles the caller may give this account (rules.management_problem; an official stays one)."""
    return [
        r
        for r in ALL_ROLES
        if management_problem(user.role, r, actor_role=principal.role, by_operator=False) is None
        and (r == user.role or OFFICIAL not in (r, user.role))
    ]


def _field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, message key) of each field a form's schema refused; a model rule names its field in its message."""
    out: list[tuple[str, str]] = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else str(err.get("msg", "")).split(":")[0].split()[-1]
        if field not in ("email", "role", "authority_code", "official_national_id"):
            field = next((f for f in ("authority_code", "official_national_id") if f in str(err.get("msg"))), "email")
        out.append((field, field))
    return list(dict.fromkeys(out))


def _domain_errors(exc: DomainError) -> list[tuple[str, str]]:
    """The field a refusal of the service names, with the key of its message."""
    key = {
        "duplicate_user": "email_taken",
        "unknown_official": "official_unknown",
        "unknown_authority": "authority_unknown",
        "official_account": "official_account",
        "separation_of_duties": "separation_of_duties",
        "own_account": "own_account",
    }.get(exc.code, exc.field or "email")
    field = exc.field or ("authority_code" if "authority" in exc.code else "role")
    return [(field, key)]


@router.get("/admin/accounts", response_class=HTMLResponse)
def accounts_list(request: Request, db: SessionDep, principal: PageAdmin, offset: Offset = 0) -> Response:
    """Every login, by email: role, authority, active, second factor."""
    page = selectors.list_users(db, limit=ACCOUNTS_PAGE_SIZE, offset=offset)
    context = {"page": page, "offset": offset, "size": ACCOUNTS_PAGE_SIZE}
    return templates.TemplateResponse(request, "accounts/admin_list.html", context)


def _new_account_page(
    request: Request, principal: Principal, values: dict[str, str], errors: list[tuple[str, str]], status: int = 200
) -> Response:
    context = {"values": values, "errors": errors, "roles": _creatable(principal)}
    return templates.TemplateResponse(request, "accounts/admin_new.html", context, status_code=status)


@router.get("/admin/accounts/new", response_class=HTMLResponse)
def new_account_form(request: Request, principal: PageAdmin) -> Response:
    """The form of a new account."""
    return _new_account_page(request, principal, {}, [])


@router.post("/admin/accounts/new", response_class=HTMLResponse)
def create_account(
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    email: FormText = "",
    role: FormText = "",
    authority_code: FormText = "",
    official_national_id: FormText = "",
) -> Response:
    """Create the account with a password no one knows, and show the one-time link with which its user sets their
    own (the accounts service's reset, `method: link`). Refused: the form again, as typed, with its errors (422)."""
    values = {
        "email": email.strip(),
        "role": role,
        "authority_code": authority_code.strip(),
        "official_national_id": official_national_id.strip(),
    }
    data: dict[str, Any] = {"email": values["email"], "password": service.temporary_password()}
    if role:
        data["role"] = role
    if role == LIAISON:
        data["authority_code"] = values["authority_code"]
    if role == OFFICIAL:
        data["official_national_id"] = values["official_national_id"]
    try:
        checked = UserCreate.model_validate(data)
    except ValidationError as exc:
        return _new_account_page(request, principal, values, _field_errors(exc), 422)
    try:
        with db.begin_nested():
            user = service.create_user(db, data=checked, actor=principal)
            reset = service.reset_password(db, user_id=user.id, method="link", actor=principal)
    except DomainError as exc:
        return _new_account_page(request, principal, values, _domain_errors(exc), 422)
    context = {"account": UserRead.model_validate(user), "reset": reset, "created": True}
    return templates.TemplateResponse(request, "accounts/admin_reset_link.html", context)


def _account_page(
    request: Request,
    db: SessionDep,
    principal: Principal,
    user_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> Response:
    account = selectors.read_user(db, user_id=user_id)
    context = {
        "account": account,
        "own": account.id == principal.user_id,
        "roles": _assignable(principal, account),
        "values": values or {"role": account.role, "authority_code": account.authority_code or ""},
        "errors": errors or [],
        "actions": AccountAction,
    }
    return templates.TemplateResponse(request, "accounts/admin_account.html", context, status_code=status)


@router.get("/admin/accounts/{user_id}", response_class=HTMLResponse)
def account_page(user_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """One account: what it is, and what may be done to it."""
    return _account_page(request, db, principal, user_id)


@router.post("/admin/accounts/{user_id}/role", response_class=HTMLResponse)
def change_role(
    user_id: RecordId,
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    role: FormText = "",
    authority_code: FormText = "",
) -> Response:
    """Give the account another role (or a liaison another authority); every session of it ends. Refused: the
    account's page again with the error at the field (422; 403 for what the caller's role may not do)."""
    values = {"role": role, "authority_code": authority_code.strip()}
    data: dict[str, Any] = {"role": role} if role else {}
    if role == LIAISON:
        data["authority_code"] = values["authority_code"]
    try:
        checked = RoleChange.model_validate(data)
    except ValidationError as exc:
        return _account_page(request, db, principal, user_id, values=values, errors=_field_errors(exc), status=422)
    try:
        with db.begin_nested():
            service.change_role(db, user_id=user_id, data=checked, actor=principal)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        status = exc.status_code if exc.status_code == 403 else 422
        return _account_page(request, db, principal, user_id, values=values, errors=_domain_errors(exc), status=status)
    return RedirectResponse(f"/admin/accounts/{user_id}?notice=role_changed", status_code=303)


def _action_check_page(
    request: Request, account: UserRead, action: AccountAction, refusal: str | None = None, status: int = 200
) -> Response:
    context = {"account": account, "action": action, "refusal": refusal}
    return templates.TemplateResponse(request, "accounts/admin_check.html", context, status_code=status)


@router.get("/admin/accounts/{user_id}/{action}", response_class=HTMLResponse)
def check_action(
    user_id: RecordId, action: AccountAction, request: Request, db: SessionDep, principal: PageAdmin
) -> Response:
    """The check before a step on the account: what it does, and the button that does it."""
    return _action_check_page(request, selectors.read_user(db, user_id=user_id), action)


@router.post("/admin/accounts/{user_id}/{action}", response_class=HTMLResponse)
def take_action(
    user_id: RecordId, action: AccountAction, request: Request, db: SessionDep, principal: PageAdmin
) -> Response:
    """Take the step; a password reset shows the one-time link to hand over. Refused (the rules of who manages
    whom, one's own account, a deactivated account's password): the check page says why, with the service's status."""
    account = selectors.read_user(db, user_id=user_id)
    try:
        with db.begin_nested():
            if action == AccountAction.DEACTIVATE:
                service.deactivate_user(db, user_id=user_id, actor=principal)
            elif action == AccountAction.REACTIVATE:
                service.reactivate_user(db, user_id=user_id, actor=principal)
            elif action == AccountAction.TWO_FACTOR_RESET:
                service.reset_totp(db, user_id=user_id, actor=principal)
            else:
                reset = service.reset_password(db, user_id=user_id, method="link", actor=principal)
                context = {"account": account, "reset": reset, "created": False}
                return templates.TemplateResponse(request, "accounts/admin_reset_link.html", context)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return _action_check_page(request, account, action, refusal=exc.code, status=exc.status_code)
    notice = {
        AccountAction.DEACTIVATE: "account_deactivated",
        AccountAction.REACTIVATE: "account_reactivated",
        AccountAction.TWO_FACTOR_RESET: "two_factor_reset",
    }[action]
    return RedirectResponse(f"/admin/accounts/{user_id}?notice={notice}", status_code=303)
