"""What the web layer does to every request and answer before and after any route: a body over its limit is refused
before it is read (`LimitBody`), and every answer carries the security headers (`SecurityHeaders`). Also the
application's own static assets and the interactive API documentation served from them, never from a CDN.

Pages name an asset by `asset_url("css/site.css")`: "/static/css/site.<hash>.css", the first 12 hex digits of the
SHA-256 of its content. Such a URL changes whenever the file does, so its answer may be cached for a year
(`immutable`); an asset asked for by its plain name, or by a hash that is no longer its own, is answered too, with
`no-cache`."""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from app.config import get_settings
from app.db import is_dropped_connection
from app.web.errors import error_response

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Message, Receive, Send], Awaitable[None]]

STATIC_PREFIX = "/static"
STATIC_DIR = Path(__file__).parent / "static"
SWAGGER_PREFIX = f"{STATIC_PREFIX}/swagger-ui"

# The routes that take an upload (officials import, attendance import): their limit is the upload limit.
_UPLOAD_ROUTES = (
    re.compile(r"^/api/v1/imports/officials/?$"),
    re.compile(r"^/api/v1/cohorts/[^/]+/attendance/import/?$"),
    re.compile(r"^/admin/imports/?$"),
)
# The routes that file a document to the knowledge centre: their limit is the knowledge centre's.
_KNOWLEDGE_ROUTES = (re.compile(r"^/api/v1/knowledge/documents/?$"), re.compile(r"^/knowledge/new/?$"))


def body_limit(path: str) -> int:
    """The most bytes a request body to this path may have: the upload limit on the import routes and the knowledge
    centre's on its documents (plus room for the multipart envelope), LMS_MAX_BODY_BYTES everywhere else."""
    settings = get_settings()
    if any(route.match(path) for route in _KNOWLEDGE_ROUTES):
        return settings.knowledge_max_bytes + 64 * 1024
    if any(route.match(path) for route in _UPLOAD_ROUTES):
        return settings.upload_max_bytes + 64 * 1024
    return settings.max_body_bytes


class BodyTooLarge(HTTPException):
    """A request body past its limit: 413, raised by the receive of `LimitBody` (FastAPI lets it through)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


class LimitBody:
    """A request body over its limit (`body_limit`) is a 413 `too_large`, before it is read and before any
    authentication: at once when Content-Length announces it, and as soon as the bytes streamed without one
    pass it (nothing past the limit is read). The outermost of the application's own middleware, so that every
    reader of the body inside it (the NUL check, the routes' parsers) reads at most the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server refuses a malformed length before it comes here
            if too_large:
                await self._refuse(scope, receive, send, limit)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Message, receive: Receive, send: Send, limit: int) -> None:
        exc = BodyTooLarge(limit)
        answer = error_response(Request(scope), 413, {"error": "too_large", "detail": exc.detail})
        # The rest of the body is never read: the server closes the connection after this answer.
        answer.headers["Connection"] = "close"
        await answer(scope, receive, send)


def script_hashes(html: str) -> str:
    """The CSP sources ('sha256-...') of the inline scripts of a page the application does not write itself."""
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)


def content_security_policy(script_sources: str = "") -> str:
    """The Content-Security-Policy of every answer: the application's own assets only, no inline script (the
    few inline scripts of the API documentation are allowed by their hashes), no framing."""
    script = f"script-src 'self' {script_sources}".strip()
    return (
        f"default-src 'self'; {script}; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


CSP = content_security_policy()

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Every answer says: its Content-Security-Policy (unless the route set its own, as the documentation does),
    nosniff, no framing, the referrer only to this site; and `Cache-Control: no-store` on everything but the
    static assets (the API and the pages carry personal data, the token endpoint a token). No server banner."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(f"{STATIC_PREFIX}/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                present = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers.extend((k, v) for k, v in _ALWAYS if k not in present)
                if not static:
                    headers = [(k, v) for k, v in headers if k.lower() not in (b"cache-control", b"pragma")]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RetryDroppedConnection:
    """A reading request (GET, HEAD) that failed because its database connection had been dropped (a database
    restart; the engine does not ping before each checkout, app/db.py) is run once more, on a fresh connection,
    provided nothing of its answer was sent. A request that writes is not: whether its commit landed is unknown."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            if started or not is_dropped_connection(exc):
                raise
            await self.app(scope, _no_body(receive), send)


def _no_body(receive: Receive) -> Receive:
    """A receive that gives an empty body first (a reading request has none), then waits as the server's does."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return again


def install_security(app: FastAPI) -> None:
    """The body limit, outside the middleware already added (the NUL check reads at most the limit too), and the
    security headers around everything, the answers of unexpected errors (made outside the middleware an
    application adds) included. Called once the routes and the error handlers are in place. Inside both, a reading
    request that met a dropped database connection is run again."""
    app.add_middleware(RetryDroppedConnection)
    app.add_middleware(LimitBody)
    build_middleware_stack = app.build_middleware_stack

    def build() -> ASGIApp:
        return SecurityHeaders(build_middleware_stack())

    app.build_middleware_stack = build  # type: ignore[method-assign]


_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")
IMMUTABLE = "public, max-age=31536000, immutable"


@cache
def fingerprint(path: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of a static asset (a path under app/web/static); None for none."""
    file = STATIC_DIR / path
    if not file.is_file():
        return None
    return hashlib.sha256(file.read_bytes()).hexdigest()[:12]


def asset_url(path: str) -> str:
    """The URL of a static asset with its content's hash in the name, e.g. /static/css/site.0123456789ab.css."""
    digest = fingerprint(path)
    if digest is None:
        raise ValueError(f"no static asset {path}")
    stem, _, ext = path.rpartition(".")
    return f"{STATIC_PREFIX}/{stem}.{digest}.{ext}"


class FingerprintedStatic(StaticFiles):
    """The static assets, by their fingerprinted names (cached for a year) or their plain names (`no-cache`)."""

    def get_path(self, scope: Message) -> str:
        path = super().get_path(scope)
        found = _FINGERPRINTED.match(path)
        if found is None:
            scope["lms_asset_current"] = False
            return path
        plain = found["stem"] + found["ext"]
        scope["lms_asset_current"] = found["hash"] == fingerprint(plain.replace(os.sep, "/"))
        return plain

    def file_response(
        self, full_path: Any, stat_result: os.stat_result, scope: Message, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE if scope.get("lms_asset_current") else "no-cache"
        return response


def install_assets(app: FastAPI) -> None:
    """Serve the application's static assets under /static and the API documentation (/docs) from them; the
    Swagger UI files (version 5, which reads the OpenAPI 3.1 document FastAPI writes) come from the fastapi-offline
    package, installed with the application (only its files are used)."""
    swagger_ui_path = Path(str(importlib.resources.files("fastapi_offline") / "static"))

    app.mount(SWAGGER_PREFIX, StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.mount(STATIC_PREFIX, FingerprintedStatic(directory=STATIC_DIR), name="static")
    oauth2_redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui_html() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{SWAGGER_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_PREFIX}/favicon.png",
            oauth2_redirect_url=oauth2_redirect_url,
        )
        return _with_script_hashes(page)

    @app.get(oauth2_redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return _with_script_hashes(get_swagger_ui_oauth2_redirect_html())


def _with_script_hashes(page: HTMLResponse) -> HTMLResponse:
    html = bytes(page.body).decode()
    page.headers["Content-Security-Policy"] = content_security_policy(script_hashes(html))
    return page
