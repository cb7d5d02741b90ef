"""The language of a page: Hebrew unless the browser or the signed-in user chose English.

`?lang=en` or `?lang=he` on any page chooses it; the choice is remembered in a cookie (a year) and, once signed in,
as the user's preference (`users.preferred_language`), which follows them to another browser. Decided once per
request by the `ChooseLanguage` middleware (query, then cookie, then Hebrew) into `request.state.lang`; a page that
knows its signed-in user then applies or records the user's preference (`apply_preference`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs

from starlette.requests import HTTPConnection
from starlette.responses import Response

from app.config import get_settings
from app.templating import DEFAULT_LANGUAGE, LANGUAGES

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Message, Receive, Send], Awaitable[None]]

COOKIE = "lms_lang"
QUERY = "lang"
_YEAR = 365 * 24 * 3600


def _cookie_header(lang: str) -> bytes:
    secure = "; Secure" if get_settings().secure_cookies() else ""
    return f"{COOKIE}={lang}; Max-Age={_YEAR}; Path=/; SameSite=Lax; HttpOnly{secure}".encode()


def remember(response: Response, lang: str) -> None:
    """Make the browser remember a language (at sign-in, the user's preference)."""
    response.raw_headers.append((b"set-cookie", _cookie_header(lang)))


class ChooseLanguage:
    """Settle the request's language (`?lang=`, else the cookie, else Hebrew) into `request.state.lang`, and
    `request.state.lang_source` ("query", "cookie" or "default"); a language chosen by the query is remembered in
    the cookie of the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(QUERY, [""])[-1]
        cookie = HTTPConnection(scope).cookies.get(COOKIE, "")
        if asked in LANGUAGES:
            lang, source = asked, "query"
        elif cookie in LANGUAGES:
            lang, source = cookie, "cookie"
        else:
            lang, source = DEFAULT_LANGUAGE, "default"
        state = scope.setdefault("state", {})
        state["lang"], state["lang_source"] = lang, source
        if source != "query":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", _cookie_header(lang))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class _Reader(Protocol):
    """What the language of a signed-in user's page needs of their account."""

    @property
    def email(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def preferred_language(self) -> str | None: ...


def apply_preference(connection: HTTPConnection, user: _Reader, csrf_token: str | None) -> str | None:
    """For a page of a signed-in user: without a choice in this browser yet (no cookie), their preference is the
    page's; a language chosen now (`?lang=`) that differs from it is returned, for the caller to record as their
    preference with the request's unit of work."""
    state = connection.state
    source = getattr(state, "lang_source", "default")
    chosen = None
    if source == "query" and user.preferred_language != state.lang:
        chosen = str(state.lang)
    elif source == "default" and user.preferred_language in LANGUAGES:
        state.lang = user.preferred_language
    note_signed_in(connection, user, csrf_token)
    return chosen


@dataclass(frozen=True)
class SignedIn:
    """Who the layout shows as signed in, and the CSRF token of their forms: plain values, so that an error page
    rendered after the request's transaction was rolled back can still show them."""

    email: str
    role: str
    csrf_token: str | None


def note_signed_in(connection: HTTPConnection, user: _Reader, csrf_token: str | None) -> None:
    """Note the signed-in user of the page for the layout (`request.state.page_user`)."""
    connection.state.page_user = SignedIn(email=user.email, role=user.role, csrf_token=csrf_token)
