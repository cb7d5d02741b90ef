"""The request's session and its routes: a request's database work is done in one trip to a worker thread.

FastAPI runs each synchronous dependency and endpoint in a worker thread of its own, and validates a synchronous
endpoint's answer in another: five trips a request (the session opened, the caller found, the route, the answer
checked, the commit), each costing the event loop and the threads far more than the work of a small read. Here:

- the session is made in the event loop (`get_db`: making it does no I/O);
- a synchronous endpoint runs in one worker thread together with the end of its unit of work (`Route`): the
  endpoint, then the commit, or the rollback if it raised; its answer is then checked in the event loop;
- what is left of a unit of work after the route (an asynchronous endpoint's) is ended in a worker thread.

The dependencies that find the caller are asynchronous (app/web/deps.py) and go to a worker thread only for a caller
not read a moment ago (app/web/callers.py). Every route of the application is a `Route`, declared on a module's
`Router` and registered on the application itself (`add_routes`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import Session
from starlette._utils import get_route_path  # the path as the routes see it (the root path taken off)
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from app.db import end_unit_of_work, get_sessionmaker


@asynccontextmanager
async def request_unit_of_work(db: Session) -> AsyncIterator[Session]:
    """The request's unit of work on `db`. A synchronous endpoint ends it in its own worker thread (`Route`); one
    still open when the endpoint is done is ended here, in a worker thread: committed, or rolled back when the
    request failed."""
    try:
        yield db
    except BaseException as exc:
        if db.in_transaction():
            await run_in_threadpool(end_unit_of_work, db, exc)
        raise
    else:
        if db.in_transaction():
            await run_in_threadpool(end_unit_of_work, db)


async def get_db() -> AsyncIterator[Session]:
    """The request's session, made in the event loop (that does no I/O), with its unit of work."""
    with get_sessionmaker()() as db:  # closed with nothing left to release once the unit of work has ended
        async with request_unit_of_work(db):
            yield db


def _run_in_unit_of_work(endpoint: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """Call the endpoint, then end the unit of work of the session it was given (commit, or roll back if it raised)."""
    db = next((value for value in arguments.values() if isinstance(value, Session)), None)
    if db is None:
        return endpoint(**arguments)
    try:
        answer = endpoint(**arguments)
    except BaseException as exc:
        end_unit_of_work(db, exc)
        raise
    end_unit_of_work(db)
    return answer


def in_one_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A synchronous endpoint as an asynchronous one that runs it, and ends its unit of work, in one worker thread.
    FastAPI reads the endpoint's parameters, annotations and documentation through `functools.wraps`."""

    @functools.wraps(endpoint)
    async def run(**arguments: Any) -> Any:
        return await run_in_threadpool(_run_in_unit_of_work, endpoint, arguments)

    return run


class Route(APIRoute):
    """A route whose synchronous endpoint runs in one worker thread with the end of its unit of work
    (`in_one_thread`). Asynchronous endpoints and streaming (generator) endpoints are left as they are."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not (
            inspect.iscoroutinefunction(endpoint)
            or inspect.isgeneratorfunction(endpoint)
            or inspect.isasyncgenfunction(endpoint)
        ):
            endpoint = in_one_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)


class Router(APIRouter):
    """An `APIRouter` whose routes are `Route`s: a module's routes, declared on it and registered on the application
    by `add_routes`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", Route)
        super().__init__(**kwargs)


# What a registered route keeps of its declaration (its prefix, tags, dependencies and responses already its own).
_DECLARED = (
    "response_model",
    "status_code",
    "tags",
    "dependencies",
    "summary",
    "description",
    "response_description",
    "responses",
    "deprecated",
    "methods",
    "operation_id",
    "response_model_include",
    "response_model_exclude",
    "response_model_by_alias",
    "response_model_exclude_unset",
    "response_model_exclude_defaults",
    "response_model_exclude_none",
    "include_in_schema",
    "response_class",
    "name",
    "callbacks",
    "openapi_extra",
    "generate_unique_id_function",
    "strict_content_type",
    "max_body_size",
)


_DEPTH = 3  # how many of a path's first segments find its routes ("api", "v1", "cohorts")


def _fixed_segments(path: str) -> tuple[str, ...]:
    """The whole segments a route's path begins with, before any parameter, up to _DEPTH of them:
    ("api", "v1", "cohorts") for "/api/v1/cohorts/{id}/enrolments", ("me",) for "/me"."""
    if not path.startswith("/"):
        return ()  # a mount at the root ("") may match any path
    head, brace, _ = path.partition("{")
    segments = head[1:].split("/")
    if brace:
        segments.pop()  # the segment the parameter is in
    return tuple(segments[:_DEPTH])


class RouteIndex(BaseRoute):
    """The application's routes found by the first segments of the path, the first of the application's routes.

    FastAPI asks every route in turn whether it matches; this one asks only the routes whose paths can begin with
    the request's first segments, in their order, and answers for the first that matches fully. When none does (a
    method the path does not allow, a path no route has), it answers "no match", and FastAPI asks every route as
    it would have."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = routes  # the router's own list, which this one is the first of
        self._indexed = -1  # the number of routes indexed
        self._by_segments: dict[tuple[str, ...], list[BaseRoute]] = {}

    def _candidates(self, path: str) -> list[BaseRoute]:
        """The routes that may match the path, in order: those whose fixed segments begin the path's."""
        if self._indexed != len(self.routes):
            keyed = [
                (route, _fixed_segments(getattr(route, "path", "/{any}"))) for route in self.routes if route is not self
            ]
            self._by_segments = {
                key: [route for route, fixed in keyed if key[: len(fixed)] == fixed]
                for key in {fixed for _, fixed in keyed} | {()}
            }
            self._indexed = len(self.routes)
        segments = tuple(path[1:].split("/", _DEPTH)[:_DEPTH])
        for n in range(len(segments), 0, -1):  # the longest beginning of the path that some route's path has
            found = self._by_segments.get(segments[:n])
            if found is not None:
                return found
        return self._by_segments[()]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        for route in self._candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                return match, {**child_scope, _CHOSEN: route}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope.pop(_CHOSEN).handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)  # the routes themselves answer, after this one


_CHOSEN = "lms.route"  # the scope's key for the route RouteIndex found


def add_routes(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Register the routes of `routers` (and of the routers they include) on the application itself, in order.

    `include_router` would keep each router as a branch that FastAPI walks on every request, asking each of its
    routes in turn and recomputing on the way whether the routes changed (100 to 300 µs a request before its route
    is reached); registered on the application, the routes are found through `RouteIndex` (the first route, added
    here) and run with the application's dependency overrides."""
    for router in routers:
        for context in iter_route_contexts(router.routes):
            original, path, endpoint = context.original_route, context.path, context.endpoint
            if not isinstance(original, APIRoute) or path is None or endpoint is None:
                raise TypeError(f"{original!r}: only API routes are registered by add_routes")
            app.router.add_api_route(
                path,
                endpoint,
                route_class_override=Route,
                form_limits=original.form_limits,
                **{name: getattr(context, name) for name in _DECLARED},
            )
    if not any(isinstance(route, RouteIndex) for route in app.router.routes):
        app.router.routes.insert(0, RouteIndex(app.router.routes))
