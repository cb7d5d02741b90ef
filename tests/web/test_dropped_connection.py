"""The engine does not ping a connection before each request: a reading request that meets a dropped connection (a
database restart) is answered all the same, from a fresh one; a writing request is not run twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app.db import get_engine
from app.main import create_app
from app.web.security import RetryDroppedConnection


def _dropped() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)


def _call(app: Any, method: str) -> tuple[list[dict[str, Any]], int]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(RetryDroppedConnection(app)({"type": "http", "method": method, "path": "/x"}, receive, send))
    return sent, 0


def _app_failing_first(calls: list[int]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise _dropped()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_a_read_that_met_a_dropped_connection_is_run_again():
    calls: list[int] = []
    sent, _ = _call(_app_failing_first(calls), "GET")
    assert len(calls) == 2 and sent[0]["status"] == 200 and sent[1]["body"] == b"ok"


def test_a_write_that_met_a_dropped_connection_is_not_run_again():
    calls: list[int] = []
    with pytest.raises(OperationalError):
        _call(_app_failing_first(calls), "POST")
    assert len(calls) == 1


def test_other_errors_and_answers_already_begun_are_not_retried():
    calls: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(1)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise _dropped()

    with pytest.raises(OperationalError):
        _call(app, "GET")

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        calls.append(1)
        raise OperationalError("SELECT 1", {}, Exception("syntax"))

    with pytest.raises(OperationalError):
        _call(broken, "GET")
    assert len(calls) == 2


def test_a_page_is_served_after_the_database_dropped_the_pooled_connection(database):
    if database != "postgresql":
        pytest.skip("an embedded SQLite database has no server to drop a connection")
    engine = get_engine()
    engine.dispose()
    with engine.connect() as conn:  # the one connection the pool now keeps
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = create_engine(engine.url, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        admin.dispose()
    with TestClient(create_app()) as client:
        # The public verification page reads the database: an unknown code is its own page, not an error page.
        r = client.get("/verify/no-such-code")
    assert r.status_code == 404 and 'data-certificate-status="unknown"' in r.text
