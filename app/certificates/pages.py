"""The public verification page: anyone with a certificate in hand (or its QR code) checks it, no login."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.certificates import selectors
from app.errors import NotFound
from app.web.deps import MaybePageUser, SessionDep, client_address
from app.web.pages import templates
from app.web.ratelimit import verification_window

router = APIRouter(include_in_schema=False)


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, principal: MaybePageUser, code: str | None = None) -> Response:
    """A form to type a certificate's code; sent (GET, `code`), it lands on /verify/{code}."""
    if code is not None and code.strip():
        return RedirectResponse(f"/verify/{quote(code.strip()[:100], safe='')}", status_code=303)
    errors = [("code", "missing")] if code is not None else []
    status = 422 if errors else 200
    return templates.TemplateResponse(request, "certificates/verify_form.html", {"errors": errors}, status_code=status)


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_page(code: str, request: Request, db: SessionDep, principal: MaybePageUser) -> HTMLResponse:
    """The certificate's standing in Hebrew and English; a clear page for an unknown code; 429 past the limit."""
    wait = verification_window(request.app).hit(client_address(request))
    context: dict[str, Any] = {"code": code[:100], "result": None, "retry_after": wait}
    if wait:
        return templates.TemplateResponse(
            request, "certificates/verify.html", context, status_code=429, headers={"Retry-After": str(wait)}
        )
    try:
        context["result"] = selectors.verify_certificate(db, code=code[:100])
    except NotFound:
        return templates.TemplateResponse(request, "certificates/verify.html", context, status_code=404)
    return templates.TemplateResponse(request, "certificates/verify.html", context)
