"""The request's session and its routes: a request's database work is done in one trip to a worker thread.

FastAPI runs each synchronous dependency and endpoint in a worker thread of its own, and validates a synchronous
endpoint's answer in another: five trips a request (the session opened, the caller found, the route, the answer
checked, the commit), each costing the event loop and the threads far more than the work of a small read. Here:

- the session is made in the event loop (`get_db`: making it does no I/O);
- a synchronous endpoint runs in one worker thread together with the end of its unit of work (`Route`): the
  endpoint, then the commit, or the rollback if it raised; its answer is then checked in the event loop;
- what is left of a unit of work after the route (an asynchronous endpoint's) is ended in a worker thread.

The dependencies that find the caller are asynchronous (app/web/deps.py) and go to a worker thread only for a caller
not read a moment ago (app/web/callers.py). Every router of the application is a `Router`, whose routes are `Route`s
and which skips at once a path none of its routes can match.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match
from starlette.types import Scope

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
    """An `APIRouter` whose routes are `Route`s, and which answers "no match" at once for a path that none of its
    routes can match. FastAPI asks each included router in turn, and each asks every route it holds (a regular
    expression each, through FastAPI's context of an included route): the routers before the one a request is for
    cost more than the route itself. A router answers only paths starting with one of its routes' fixed beginnings
    (the path up to its first parameter), or any path when it holds a route without one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", Route)
        super().__init__(**kwargs)
        self._heads: tuple[str, ...] | None = None
        self._heads_of = -1  # the number of routes the heads were found from

    def path_heads(self) -> tuple[str, ...]:
        """The fixed beginnings of the paths of the routes, those of included routers too; ("",) for any path."""
        if self._heads is None or self._heads_of != len(self.routes):
            heads: set[str] = set()
            for route in self.routes:
                path = getattr(route, "path", None)
                included = getattr(route, "original_router", None)  # an included router (FastAPI's wrapper of it)
                if isinstance(path, str):
                    heads.add(path.split("{", 1)[0])
                elif isinstance(included, Router):
                    heads.update(included.path_heads())
                else:
                    heads.add("")
            self._heads, self._heads_of = tuple(sorted(heads)), len(self.routes)
        return self._heads

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not scope["path"].startswith(self.path_heads()):
            return Match.NONE, {}
        return super().matches(scope)
