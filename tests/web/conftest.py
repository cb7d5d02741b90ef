"""A client of the application with a few pages of its own (there are no signed-in pages yet), in the test's
transaction, answering a fault of the server as a browser would see it (a 500), not as an exception."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import nullcontext
from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import clock
from app.db import read_db_opener
from app.main import create_app
from app.web.deps import MaybePageUser, PageAdmin, PageUser
from app.web.pages import templates
from app.web.routing import get_db, request_unit_of_work
from tests.templates import added_templates

router = APIRouter(include_in_schema=False)

FORM = """{% extends "base.html" %}{% block title %}טופס{% endblock %}{% block content %}
<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token }}"><button>שליחה</button></form>
{% endblock %}"""


@router.get("/test-pages/numbers/{n}")
def number_page(n: int) -> PlainTextResponse:
    return PlainTextResponse(str(n))


@router.get("/test-pages/mine")
def my_page(principal: PageUser) -> PlainTextResponse:
    return PlainTextResponse(f"{principal.role}:{principal.user_id}")


@router.post("/test-pages/mine")
def my_form(principal: PageUser, note: Annotated[str, Form()] = "") -> PlainTextResponse:
    return PlainTextResponse(f"{principal.role}:{principal.user_id}:{note}")


@router.get("/test-pages/maybe")
def maybe_page(principal: MaybePageUser) -> PlainTextResponse:
    return PlainTextResponse(principal.role if principal else "anonymous")


@router.get("/test-pages/admin")
def admin_page(principal: PageAdmin) -> PlainTextResponse:
    return PlainTextResponse("admin")


@router.get("/test-pages/form", response_class=HTMLResponse)
def form_page(request: Request, principal: PageUser) -> HTMLResponse:
    return templates.TemplateResponse(request, "test/form.html")


@router.get("/test-pages/boom")
def broken_page() -> PlainTextResponse:
    raise RuntimeError("secret internals of a broken page")


@router.get("/api/v1/test-boom")
def broken_api() -> dict[str, str]:
    raise RuntimeError("secret internals of a broken route")


@pytest.fixture
def web(db: Session) -> Iterator[TestClient]:
    """The app and the test pages, bound to the test's transaction; server faults come back as 500 answers."""
    app = create_app()
    app.include_router(router)

    async def _session() -> AsyncIterator[Session]:
        db.commit()
        async with request_unit_of_work(db):
            yield db

    app.dependency_overrides[get_db] = _session
    app.dependency_overrides[read_db_opener] = lambda: lambda: nullcontext(db)
    with added_templates({"test/form.html": FORM}), TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def clock_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """The clock stopped at the test's start; clock_at(delta) moves it to that much later."""
    start = clock.now_utc()

    def move(delta: timedelta) -> None:
        monkeypatch.setattr(clock, "now_utc", lambda: start + delta)

    move(timedelta(0))
    return move
