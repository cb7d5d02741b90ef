"""The official's pages: `/me`, their home."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.officials import selectors
from app.web.deps import PageOfficial, SessionDep
from app.web.pages import templates

router = APIRouter(include_in_schema=False)


@router.get("/me", response_class=HTMLResponse)
def my_home(request: Request, db: SessionDep, principal: PageOfficial) -> Response:
    """The official's home: for now their name; their requirements, cohorts and certificates come next."""
    assert principal.official_id is not None
    official = selectors.get_official(db, official_id=principal.official_id, actor=principal)
    return templates.TemplateResponse(request, "officials/me.html", {"official": official})
