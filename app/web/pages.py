"""What every web page is rendered with: the Jinja2 environment of its language (`app.templating`) and the
variables each page gets whatever its route gives:

- `lang` and `dir` of the page, `school_name` in its language;
- `user`, the signed-in account (`app.web.language.SignedIn`: email and role; None for no one, and on pages that do
  not ask for the caller), and `csrf_token` of their session (for the forms' hidden field and the X-CSRF-Token
  header of scripts; None when no one is signed in);
- `nav`: the navigation of the user's role, as (path, key) pairs the layout names in the page's language, with
  `current_path` to mark the page's own;
- `switch_lang` and `switch_url`: the other language and this page's address in it;
- `asset`: the fingerprinted URL of a static asset (`app.web.security.asset_url`);
- `notice`: a known one-word notice from the query (`?notice=signed_out`), for the page to show after a redirect.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi.templating import Jinja2Templates
from markupsafe import escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from app.auth import ADMIN, AUDITOR, LIAISON, OFFICIAL, Principal
from app.config import get_settings
from app.data_version import VersionedCache
from app.templating import DEFAULT_LANGUAGE, LANGUAGES, direction, environment
from app.web.language import QUERY, SignedIn
from app.web.security import asset_url

# Each role's home: where `/` and a sign-in without `next` lead.
HOMES: dict[str, str] = {OFFICIAL: "/me", ADMIN: "/admin", AUDITOR: "/compliance", LIAISON: "/compliance"}
# Notices a page may be sent to show (?notice=...), after a redirect.
NOTICES = frozenset(
    {
        "signed_out",
        "password_set",
        "password_changed",
        "session_ended",
        "enrolled",
        "enrol_refused",
        "request_sent",
        "cannot_ask",
        # attendance, closing and certificates
        "attendance_saved",
        "cohort_closed",
        "certificates_issued",
        "certificate_reissued",
        "certificate_revoked",
        "official_created",
        "official_saved",
        "appointment_saved",
        # requests and decisions (the compliance pages)
        "request_filed",
        "request_approved",
        "request_refused",
        # mail
        "mail_saved",
        "message_resent",
    }
)


def home_of(role: str) -> str:
    """The home page of a role."""
    return HOMES.get(role, "/")


def local_path(target: str | None) -> str | None:
    """`target` when it is a path of this site ("/me?x=1"), else None: never another host ("//evil.example",
    "https://evil.example", "/\\\\evil.example"), nor anything with a scheme, a backslash or a control character."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def page_language(request: Request) -> str:
    """The language of the page: what the request settled on (request.state.lang), else Hebrew."""
    lang = getattr(request.state, "lang", None)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


# The sections of each role's pages after its home, as (path, key); the layout names each key in the page's language.
SECTIONS: dict[str, list[tuple[str, str]]] = {
    ADMIN: [
        ("/admin/cohorts", "cohorts"),
        ("/admin/programmes", "programmes"),
        ("/admin/officials", "officials"),
        ("/admin/imports", "imports"),
        ("/admin/accounts", "accounts"),
        ("/admin/audit", "audit"),
        ("/admin/outbox", "outbox"),
        ("/communities", "communities"),
        ("/surveys", "surveys"),
        ("/graduates", "graduates"),
        ("/knowledge", "knowledge"),
    ],
    AUDITOR: [
        ("/compliance/requests", "requests"),
        ("/compliance/at-risk", "at_risk"),
        ("/compliance/seat-demand", "seat_demand"),
        ("/communities", "communities"),
        ("/surveys", "surveys"),
        ("/graduates", "graduates"),
        ("/knowledge", "knowledge"),
    ],
    LIAISON: [
        ("/compliance/requests", "requests"),
        ("/compliance/at-risk", "at_risk"),
        ("/knowledge", "knowledge"),
    ],
    OFFICIAL: [
        ("/communities", "communities"),
        ("/knowledge", "knowledge"),
    ],
}


def _navigation(role: str | None) -> list[tuple[str, str]]:
    if role is None:
        return []
    return [
        (home_of(role), "home"),
        *SECTIONS.get(role, []),
        ("/me/mail", "mail"),
        ("/account/password", "password"),
        ("/account/two-factor", "two_factor"),
    ]


def page_variables(request: Request) -> dict[str, Any]:
    """The variables every page gets."""
    lang = page_language(request)
    user = getattr(request.state, "page_user", None)
    settings = get_settings()
    other = "en" if lang == "he" else "he"
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in (QUERY, "notice")]
    switch = request.url.path + "?" + urlencode([*query, (QUERY, other)])
    notice = request.query_params.get("notice")
    return {
        "lang": lang,
        "dir": direction(lang),
        "school_name": settings.school_name_he if lang == "he" else settings.school_name_en,
        "csrf_token": user.csrf_token if user is not None else None,
        "user": user,
        "nav": _navigation(user.role if user is not None else None),
        "current_path": request.url.path,
        "switch_lang": other,
        "switch_url": switch,
        "asset": asset_url,
        "notice": notice if notice in NOTICES else None,
    }


class PageTemplates:
    """The pages' templates: a page is rendered by the environment of its language (`app.templating.environment`),
    whose compiled templates hold their fixed text in that language, with the variables every page gets."""

    def __init__(self) -> None:
        self.of: dict[str, Jinja2Templates] = {
            lang: Jinja2Templates(env=environment(lang), context_processors=[page_variables]) for lang in LANGUAGES
        }

    def TemplateResponse(self, request: Request, name: str, *args: Any, **kwargs: Any) -> HTMLResponse:
        """The page rendered in the request's language (Jinja2Templates.TemplateResponse)."""
        return self.of[page_language(request)].TemplateResponse(request, name, *args, **kwargs)


templates = PageTemplates()


# --- pages kept with the data version --------------------------------------------------------------------------

# A report's page is the same for every caller of one role and scope until the data changes: it is rendered once for
# each version of the data (`app.data_version.cached`) and kept whole, with stand-ins where the layout shows the
# caller (their email, their session's token), which each request replaces with its own.
KEPT_PAGES = VersionedCache(maxsize=64)
_EMAIL = "\ue000email\ue000"
_CSRF = "\ue000csrf\ue000"


def kept_key(request: Request, caller: Principal, *key: Hashable) -> tuple[Hashable, ...]:
    """The key a kept page is filed under: its address as asked (the language switch and the links keep the query),
    language, the caller's role (the navigation) and scope (a liaison's authority, an official's own records), with
    `key`: whatever else the page depends on but the data (the dates that "today" resolved to)."""
    scope = (caller.role, caller.authority_code, caller.official_id)
    return (request.url.path, request.url.query, page_language(request), scope, *key)


def render_kept(request: Request, name: str, context: dict[str, Any]) -> bytes:
    """The page as `templates.TemplateResponse` renders it, with stand-ins for the caller's email and token: to be
    kept (`kept_page` puts the caller's in). Of the caller, the page may show only these and their role."""
    user = request.state.page_user
    request.state.page_user = SignedIn(email=_EMAIL, role=user.role, csrf_token=_CSRF)
    try:
        variables = {"request": request, **context, **page_variables(request)}
    finally:
        request.state.page_user = user
    return templates.of[page_language(request)].get_template(name).render(variables).encode()


def kept_page(request: Request, body: bytes) -> HTMLResponse:
    """A kept page's answer: its body (`render_kept`) with the caller's email and token in place of the stand-ins."""
    user = request.state.page_user
    body = body.replace(_EMAIL.encode(), escape(user.email).encode())
    return HTMLResponse(body.replace(_CSRF.encode(), escape(user.csrf_token or "").encode()))
