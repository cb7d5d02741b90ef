"""The application's routes are found by the first segments of the path (RouteIndex): for every route, a request to
its path reaches the route a walk through all the routes in order reaches, and a path none has is still a 404."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Match

from app.main import create_app
from app.web.routing import RouteIndex


def _scope(path: str, method: str) -> dict[str, object]:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": [], "query_string": b""}


def test_every_route_is_found_as_a_walk_through_all_the_routes_finds_it() -> None:
    app = create_app()
    index = app.router.routes[0]
    assert isinstance(index, RouteIndex)
    routes = [route for route in app.router.routes if isinstance(route, APIRoute)]
    assert len(routes) > 250
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods):
            walked = next(r for r in app.router.routes[1:] if r.matches(_scope(path, method))[0] == Match.FULL)
            match, child_scope = index.matches(_scope(path, method))
            assert match == Match.FULL, (method, path)
            assert child_scope["route"] is walked, (method, path, route.path)


def test_a_method_the_path_does_not_allow_and_an_unknown_path_are_answered_as_before(client: TestClient) -> None:
    assert client.delete("/api/v1/roles").status_code == 405
    assert client.delete("/api/v1/roles").headers["allow"] == "GET"
    assert client.get("/api/v1/no-such-thing").status_code == 404
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_route_is_indexed_by_the_whole_segments_before_its_first_parameter() -> None:
    from app.web.routing import _fixed_segments

    assert _fixed_segments("/api/v1/cohorts/{id}/enrolments") == ("api", "v1", "cohorts")
    assert _fixed_segments("/api/v1/roles") == ("api", "v1", "roles")
    assert _fixed_segments("/verify/{code}") == ("verify",)
    assert _fixed_segments("/me") == ("me",)
    assert _fixed_segments("/") == ("",)
    assert _fixed_segments("/ab{x}") == ()  # a parameter in the first segment: any path
    assert _fixed_segments("") == ()  # a mount at the root
