"""The baseline of the HTTP benchmark: a bare FastAPI app that runs, for each endpoint, the SQL the project ran for it.

No framework of ours: plain FastAPI routes over a pooled SQLAlchemy Core engine (no pre-ping), each opening a
connection, executing the recorded statements in order, and answering their rows as JSON (an HTML page of them
for a page). It is what the same work costs done plainly, so the project's figure divided by its is the share of
the machine the project's own machinery leaves to the work.

    uvicorn bench.baseline:create_app --factory     (BENCH_BASELINE_SPEC names the JSON written by bench.http)

The spec is `{"database_url": ..., "endpoints": [{"path": ..., "html": bool, "statements": [[sql, params], ...]}]}`,
the statements as the database driver received them (bench.http records them from the project itself).
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

Statement = tuple[str, Any]


def _params(params: Any) -> Any:
    """Parameters as the driver takes them (JSON turned tuples into lists); a list of rows (an executemany: the
    access log's rows of a list on screen, inserted at once) as a list of tuples."""
    if isinstance(params, list) and params and all(isinstance(p, list | dict) for p in params):
        return [tuple(p) if isinstance(p, list) else p for p in params]
    return tuple(params) if isinstance(params, list) else params


def _handler(engine: Engine, statements: list[Statement], as_html: bool) -> Callable[[], Any]:
    def run() -> list[list[dict[str, Any]]]:
        out = []
        with engine.connect() as conn:
            for sql, params in statements:
                result = conn.exec_driver_sql(sql, _params(params))
                out.append([dict(row._mapping) for row in result] if result.returns_rows else [])
        return out

    if as_html:

        def page() -> HTMLResponse:
            rows = run()
            cells = "".join(
                f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                for result in rows
                for row in result
                for k, v in row.items()
            )
            return HTMLResponse(f'<!doctype html><html lang="he" dir="rtl"><body><table>{cells}</table></body></html>')

        return page

    def data() -> list[list[dict[str, Any]]]:
        return run()

    return data


def create_app(spec_path: str | None = None) -> FastAPI:
    """The baseline app for the spec at `spec_path` (default: BENCH_BASELINE_SPEC)."""
    with open(spec_path or os.environ["BENCH_BASELINE_SPEC"], encoding="utf-8") as fh:
        spec = json.load(fh)
    engine = create_engine(spec["database_url"], pool_size=5, max_overflow=10)
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    for endpoint in spec["endpoints"]:
        statements = [(sql, params) for sql, params in endpoint["statements"]]
        app.add_api_route(endpoint["path"], _handler(engine, statements, endpoint["html"]), methods=["GET"])
    return app
