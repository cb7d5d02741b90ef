"""The errors of the web layer: domain errors, validation errors and HTTP errors mapped once to the JSON answer
{"error": code, "detail": sentence}, documented in the OpenAPI document; NUL characters refused before any route."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.errors import DomainError
from app.schemas import ErrorBody

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


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header")]
    # A loc of only ("body",) is the body itself (missing, or not an object): name it, not "request".
    return ".".join(parts) or ("body" if list(loc) == ["body"] else "request")


def _validation_detail(errors: list[dict[str, Any]]) -> tuple[str, str]:
    sentences = []
    for err in errors:
        msg = str(err.get("msg", "is invalid"))
        msg = msg.removeprefix("Value error, ")
        sentences.append(f"{_field_name(err.get('loc', ()))}: {msg}")
    first = _field_name(errors[0].get("loc", ())) if errors else "request"
    return first, "; ".join(sentences)


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
            messages, body = [], b""
            while True:
                message = await receive()
                messages.append(message)
                body += message.get("body", b"")
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
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
        answer = JSONResponse({"error": "invalid", "detail": detail, "field": field}, status_code=422)
        await answer(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that gives the messages already read, then whatever comes next."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, validation errors and HTTP errors to the one JSON shape."""
    _document_error_shape(app)
    app.add_middleware(RefuseNul)

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        field, detail = _validation_detail(errors)
        status = 422
        # A body that is not JSON at all is a malformed request, not a bad field.
        if any(e.get("type") == "json_invalid" for e in errors):
            status, detail, field = 400, "the request body is not valid JSON", "body"
        body = {"error": "invalid" if status == 422 else "bad_request", "detail": detail, "field": field}
        return JSONResponse(body, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return JSONResponse(
            {"error": code, "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=headers or None,
        )
