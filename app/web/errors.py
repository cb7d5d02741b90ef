"""The errors of the web layer: domain errors, validation errors, HTTP errors and unexpected exceptions mapped once,
by the request's path (`is_page`): to the JSON answer {"error": code, "detail": sentence} (plus `field`), documented
in the OpenAPI document, for the API and the other routes machines read; to an error page in the page's language,
with the status and a plain sentence and never a stack trace, for the web pages. A page that needs a signed-in
browser sends one without a session to sign in. NUL characters are refused before any route."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.errors import DomainError
from app.schemas import ErrorBody
from app.web import sessions

log = logging.getLogger(__name__)

# The routes machines read answer errors in JSON: the API, and these few outside it. Every other path is a page.
MACHINE_PREFIXES = ("/api/", "/.well-known/")
MACHINE_PATHS = frozenset({"/api", "/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
# Where a page that needs a signed-in browser sends one without a session (with `next`, the page it wanted).
SIGN_IN_PATH = "/login"
# Where a page sends an account that must do something before anything else (the code of its 403).
_FIRST_STEPS = {"password_change_required": "/account/password", "totp_enrolment_required": "/account/two-factor"}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_attempts",
    500: "internal_error",
}

_DESCRIPTIONS = {
    400: "Malformed request: a body that is not valid JSON, or a form that cannot be read",
    401: "No or bad credentials",
    403: "The caller's role may not do this",
    404: "Not found, or outside the caller's scope",
    409: "Conflict: a duplicate or a record in the wrong state",
    413: "Upload too large",
    422: "Invalid input; `field` names the field and `detail` says why",
    429: "Too many attempts; retry after the Retry-After header",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of the error answers a route can give."""
    return {c: {"model": ErrorBody, "description": _DESCRIPTIONS[c]} for c in codes}


def is_page(path: str) -> bool:
    """Whether errors on this path answer with a web page (HTML) rather than JSON. Decided here only."""
    return not (path in MACHINE_PATHS or path.startswith(MACHINE_PREFIXES))


def error_response(
    request: Request, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    """The answer to a failed request: the JSON body on a machine route, the error page of the status on a page."""
    if is_page(request.scope["path"]):
        return error_page(request, status, headers, code=body.get("error"))
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def error_page(
    request: Request, status: int, headers: Mapping[str, str] | None = None, *, code: str | None = None
) -> Response:
    """The error page of the status. Reading a page, a 401 sends the browser to sign in (the page asked for kept as
    `next`), and a 403 of an account that must first change its temporary password or enrol its second factor to
    the page that does it."""
    if status == 403 and code in _FIRST_STEPS and request.method in ("GET", "HEAD"):
        return RedirectResponse(_FIRST_STEPS[code], status_code=303)
    if status == 401 and request.method in ("GET", "HEAD"):
        wanted = request.scope["path"] + (f"?{request.url.query}" if request.url.query else "")
        answer: Response = RedirectResponse(f"{SIGN_IN_PATH}?next={quote(wanted, safe='/')}", status_code=303)
        if sessions.session_token(request) is not None:
            sessions.clear_session_cookie(answer)  # it named a session that has ended
        return answer
    # A page has no use for a bearer challenge; Allow (405) and Retry-After (429) stay.
    kept = {k: v for k, v in (headers or {}).items() if k.lower() != "www-authenticate"}
    try:
        from app.web.pages import templates

        return templates.TemplateResponse(
            request, "errors/error.html", {"status": status}, status_code=status, headers=kept or None
        )
    except Exception:  # the error page itself failed: still an answer with the right status, and no trace
        log.exception("the error page of status %s could not be rendered", status)
        return HTMLResponse(f"<!doctype html><title>{status}</title><h1>{status}</h1>", status_code=status)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header")]
    # A loc of only ("body",) is the body itself (missing, or not an object): name it, not "request".
    return ".".join(parts) or ("body" if list(loc) == ["body"] else "request")


# A rule across fields (a model validator) has no location of its own; its sentence starts with the field it blames.
_BLAMED_FIELD = re.compile(r"([a-z][a-z0-9_]*): ")


def _located(err: dict[str, Any]) -> tuple[str, str]:
    """The field an error is about, and the sentence without that name in front."""
    msg = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
    field = _field_name(err.get("loc", ()))
    blamed = _BLAMED_FIELD.match(msg)
    if field in ("body", "request") and blamed and err.get("type") == "value_error":
        return blamed.group(1), msg[blamed.end() :]
    return field, msg


def _validation_detail(errors: list[dict[str, Any]]) -> tuple[str, str]:
    located = [_located(err) for err in errors]
    first = located[0][0] if located else "request"
    return first, "; ".join(f"{field}: {msg}" for field, msg in located)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the requested path supports, over all its routes (Starlette names only the first route's)."""
    try:  # FastAPI keeps included routers lazily; walk them as its OpenAPI generator does
        from fastapi.routing import iter_route_contexts

        routes: Any = iter_route_contexts(request.app.routes)
    except ImportError:  # pragma: no cover  (older FastAPI: app.routes is flat)
        routes = request.app.routes
    methods: set[str] = set()
    for route in routes:
        if getattr(route, "methods", None) and route.matches(request.scope)[0] != Match.NONE:
            methods.update(route.methods)
    return sorted(methods)


def _document_error_shape(app: FastAPI) -> None:
    """Describe in the OpenAPI document the errors the handlers below give on every route, as they give them.

    FastAPI documents its own `HTTPValidationError` for any route with parameters that does not list 422, a
    shape these handlers never send; and any route that takes a body answers 400 to one it cannot parse.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        doc = build()
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        ref = "#/components/schemas/HTTPValidationError"
        error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                answers = operation.setdefault("responses", {})
                answer = answers.get("422")
                content = (answer or {}).get("content", {}).get("application/json", {})
                if content.get("schema", {}).get("$ref") == ref:
                    content["schema"] = {"$ref": "#/components/schemas/ErrorBody"}
                    answer["description"] = _DESCRIPTIONS[422]
                if "requestBody" in operation and "400" not in answers:
                    answers["400"] = {"description": _DESCRIPTIONS[400], "content": error_body}
        if "ErrorBody" not in schemas:
            schemas["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        if ref not in str(doc.get("paths")):
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _nul_in_pairs(text: str) -> str | None:
    for key, value in parse_qsl(text, keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "") or "query"
    return None


def _nul_in_json(value: Any, path: tuple[str, ...] = ()) -> str | None:
    if isinstance(value, str):
        return (".".join(path) or "body") if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = (*path, str(key).replace("\x00", ""))
        if "\x00" in str(key):
            return ".".join(where)
        found = _nul_in_json(item, where)
        if found:
            return found
    return None


class RefuseNul:
    """A NUL character in the path, the query, or a JSON or form body is a 422 that names where it is.

    It reads a JSON or form body whole, once (at most the body limit: `app.web.security.LimitBody` is outside it).
    No field of this API can hold one, and PostgreSQL cannot even compare text holding one (the driver raises,
    a 500), while SQLite would store it silently. Uploaded files are not looked at: their readers decide.
    """

    def __init__(self, app: Callable[[Message, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = "path" if "\x00" in scope["path"] else None
        query: bytes = scope.get("query_string", b"")
        if field is None and (b"%00" in query or b"\x00" in query):
            field = _nul_in_pairs(query.decode("latin-1"))
        kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if field is None and (kind.endswith(b"json") or kind == b"application/x-www-form-urlencoded"):
            # Bounded: LimitBody, outside this middleware, stops the reading past the body limit (a 413).
            messages, chunks = [], []
            while True:
                message = await receive()
                messages.append(message)
                chunks.append(message.get("body", b""))
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
            body = b"".join(chunks)
            if kind.endswith(b"json") and b"\\u0000" in body:
                try:
                    field = _nul_in_json(json.loads(body))
                except ValueError:
                    field = None  # not JSON at all: the route answers 400
            elif not kind.endswith(b"json") and (b"%00" in body or b"\x00" in body):
                field = _nul_in_pairs(body.decode("latin-1"))
            receive = _replay(messages, receive)
        if field is None:
            await self.app(scope, receive, send)
            return
        detail = f"{field}: contains a NUL character (\\x00), which no text may hold"
        error = {"error": "invalid", "detail": detail, "field": field}
        answer = error_response(Request(scope), 422, error)
        await answer(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that gives the messages already read, then whatever comes next."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, validation errors, HTTP errors and unexpected exceptions to JSON or to an error page."""
    _document_error_shape(app)
    app.add_middleware(RefuseNul)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return error_response(request, exc.status_code, exc.body(), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        field, detail = _validation_detail(errors)
        status = 422
        # A body that is not JSON at all is a malformed request, not a bad field.
        if any(e.get("type") == "json_invalid" for e in errors):
            status, detail, field = 400, "the request body is not valid JSON", "body"
        body = {"error": "invalid" if status == 422 else "bad_request", "detail": detail, "field": field}
        return error_response(request, status, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return error_response(request, exc.status_code, {"error": code, "detail": str(exc.detail)}, headers)

    # Anything else is a fault of ours: a 500 that says so and no more (the trace goes to the log, as the server
    # re-raises it after this answer).
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        body = {"error": "internal_error", "detail": "an unexpected error on the server; it has been logged"}
        return error_response(request, 500, body)
