"""`/compliance`: the compliance dashboard of the country (an auditor) or of one authority (its liaison), as of a
date."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.auth import AUDITOR, LIAISON
from app.web.deps import page_allow
from app.web.pages import templates

router = APIRouter(include_in_schema=False)


@router.get("/compliance", response_class=HTMLResponse, dependencies=[page_allow(AUDITOR, LIAISON)])
def compliance_home(request: Request) -> Response:
    """The Ministry's and the authorities' home: its pages come in a later part of the web app."""
    return templates.TemplateResponse(request, "site/placeholder.html", {"area": "compliance"})
