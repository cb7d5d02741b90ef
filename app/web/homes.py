"""The site's own pages: `/` (to the caller's home or to sign in) and the accessibility statement."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.totp import required_for
from app.config import get_settings
from app.web import sessions
from app.web.deps import MaybePageUser, SessionDep
from app.web.pages import home_of, templates
from app.web.routing import Router

router = Router(include_in_schema=False)


@router.get("/")
def root(request: Request, db: SessionDep) -> Response:
    """Signed in: the caller's home (or first the change of a temporary password, or the second factor their role
    needs); otherwise the sign-in page."""
    found = sessions.read_session(db, sessions.session_token(request))
    if found is None:
        return RedirectResponse("/login", status_code=303)
    user = found[1]
    if user.must_change_password:
        return RedirectResponse("/account/password", status_code=303)
    if required_for(user.role) and user.totp_enrolled_at is None:
        return RedirectResponse("/account/two-factor", status_code=303)
    return RedirectResponse(home_of(user.role), status_code=303)


@router.get("/accessibility", response_class=HTMLResponse)
def accessibility(request: Request, principal: MaybePageUser) -> Response:
    """The accessibility statement (IS 5568, WCAG 2.0 AA): level, last check, known gaps, the coordinator."""
    settings = get_settings()
    context = {
        "checked_on": settings.accessibility_checked_on,
        "coordinator_name": settings.accessibility_coordinator_name,
        "coordinator_email": settings.accessibility_coordinator_email,
        "coordinator_phone": settings.accessibility_coordinator_phone,
    }
    return templates.TemplateResponse(request, "site/accessibility.html", context)
