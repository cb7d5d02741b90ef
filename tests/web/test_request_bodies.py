"""Every request body refuses fields it does not know (422 naming the field), whatever route takes it."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from app.main import create_app
from tests.factories import headers, make_user


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    """The Pydantic models in a type annotation, and those of their fields, recursively."""
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation)
    for arg in get_args(annotation):
        yield from _models(arg)


def test_every_request_body_forbids_unknown_fields():
    app = create_app()
    seen: dict[str, str] = {}
    lax: set[str] = set()
    for context in iter_route_contexts(app.routes):  # the routes of included routers too
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for param in route.dependant.body_params:
            for model in _models(param.field_info.annotation):
                seen.setdefault(model.__qualname__, f"{sorted(context.methods or ())} {context.path}")
                if model.model_config.get("extra") != "forbid":
                    lax.add(f"{model.__module__}.{model.__qualname__} ({seen[model.__qualname__]})")
    assert not lax, f"request bodies that accept unknown fields: {sorted(lax)}"
    assert "RevokeIn" in seen  # the walk finds the bodies


def test_an_unknown_field_in_a_revocation_is_refused(web, db):
    admin = headers(make_user(db, "admin"))
    r = web.post(
        "/api/v1/certificates/NO-SUCH/revoke",
        json={"reason": "error in the name", "revoked_on": "2020-01-01"},
        headers=admin,
    )
    assert r.status_code == 422 and r.json()["field"] == "revoked_on"
