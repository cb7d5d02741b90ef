"""Public pages of certificates, no login: the verification page anyone with a certificate in hand (or its QR
code) checks it at, and the issuer's profile and each achievement at the ids a credential names them by, as JSON-LD
for verifiers and wallets, and as a page for people."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.certificates import selectors
from app.config import get_settings
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


def _wants_json(request: Request) -> bool:
    """Whether the client asked for JSON (a verifier, a wallet) rather than a page (a browser)."""
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def _linked_data(document: dict[str, Any]) -> JSONResponse:
    return JSONResponse(document, media_type="application/ld+json", headers={"Vary": "Accept"})


@router.get("/issuer")
def issuer_page(request: Request) -> Response:
    """The issuer's Open Badges profile: JSON-LD when asked for JSON, a page otherwise."""
    profile = selectors.issuer_profile()
    if _wants_json(request):
        return _linked_data(profile)
    settings = get_settings()
    context = {"profile": profile, "school_name_he": settings.school_name_he}
    return templates.TemplateResponse(request, "certificates/issuer.html", context, headers={"Vary": "Accept"})


@router.get("/achievements/{code}")
def achievement_page(code: str, request: Request, db: SessionDep) -> Response:
    """A programme's Open Badges achievement: JSON-LD when asked for JSON, a page otherwise; 404 without it."""
    try:
        achievement = selectors.achievement_document(db, programme_code=code[:40])
    except NotFound:
        if _wants_json(request):
            raise
        context: dict[str, Any] = {"achievement": None, "code": code[:40]}
        return templates.TemplateResponse(request, "certificates/achievement.html", context, status_code=404)
    if _wants_json(request):
        return _linked_data(achievement)
    context = {"achievement": achievement, "code": code[:40], "issuer": selectors.issuer_profile()}
    return templates.TemplateResponse(request, "certificates/achievement.html", context, headers={"Vary": "Accept"})
