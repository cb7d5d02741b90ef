"""The school's home, `/admin`: what needs doing now (`app.school.selectors`), each a short list with how many
there are in all, linking to the page where it is done."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.clock import now_utc, today
from app.school import selectors
from app.web.deps import PageAdmin, SessionDep
from app.web.pages import templates
from app.web.routing import Router

router = Router(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The school's home: sessions to take attendance for, cohorts to close, cohorts filling up, requests waiting
    long, certificates whose rendering failed."""
    home = selectors.school_home(db, today=today(), now=now_utc())
    return templates.TemplateResponse(request, "school/home.html", {"home": home})
