"""Pages of certificates. Public, no login: the verification page anyone with a certificate in hand (or its QR
code) checks it at, and the issuer's profile and each achievement at the ids a credential names them by, as JSON-LD
for verifiers and wallets, and as a page for people. The school's: a cohort's certificates (issue the missing ones,
download each or all, reissue, revoke with a reason), by the API's services."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.audit.service import record_list
from app.certificates import selectors, service
from app.certificates.rules import CertificateStatus
from app.certificates.schemas import CertificateRead, RevokeIn
from app.cohorts.selectors import read_cohort
from app.config import get_settings
from app.errors import NotFound
from app.web.deps import FormText, MaybePageUser, PageAdmin, SessionDep, client_address
from app.web.pages import templates
from app.web.pagination import RecordId
from app.web.ratelimit import verification_window
from app.web.routing import Router

router = Router(include_in_schema=False)


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


# --- the school's pages of a cohort's certificates ------------------------------------------------------------------

Serial = Annotated[str, PathParam(max_length=40)]


def _cohort_certificates_page(request: Request, db: SessionDep, cohort_id: int) -> Response:
    cohort = read_cohort(db, cohort_id=cohort_id)
    certs = selectors.cohort_certificate_records(db, cohort_id=cohort_id)
    context = {
        "cohort": cohort,
        "certificates": certs,
        "missing": selectors.enrolments_without_certificate(db, cohort_id=cohort_id),
        "valid": sum(c.status == CertificateStatus.VALID for c in certs),
    }
    return templates.TemplateResponse(request, "certificates/cohort.html", context)


@router.get("/admin/cohorts/{cohort_id}/certificates", response_class=HTMLResponse)
def cohort_certificates(cohort_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """A cohort's certificates: issue the missing ones, download each or all (one PDF or a ZIP), reissue, revoke."""
    response = _cohort_certificates_page(request, db, cohort_id)
    holders = [c.official_id for c in selectors.cohort_certificates(db, cohort_id=cohort_id)]
    record_list(db, actor=principal, subject=f"/admin/cohorts/{cohort_id}/certificates", official_ids=holders)
    return response


@router.post("/admin/cohorts/{cohort_id}/certificates")
def issue_missing(cohort_id: RecordId, db: SessionDep, principal: PageAdmin) -> Response:
    """Issue the certificates the cohort's completed enrolments still lack (the service of the API's route)."""
    read_cohort(db, cohort_id=cohort_id)
    service.issue_cohort_certificates(db, cohort_id=cohort_id, actor=principal)
    return RedirectResponse(f"/admin/cohorts/{cohort_id}/certificates?notice=certificates_issued", status_code=303)


@router.post("/admin/certificates/{serial}/reissue")
def reissue(serial: Serial, db: SessionDep, principal: PageAdmin) -> Response:
    """Reissue a valid certificate with the official's details as they are now; the old one is superseded."""
    new = service.reissue_certificate(db, serial=serial, actor=principal)
    return RedirectResponse(f"/admin/cohorts/{new.cohort_id}/certificates?notice=certificate_reissued", status_code=303)


def _revoke_page(
    request: Request, cert: CertificateRead, values: dict[str, str], errors: list[tuple[str, str]]
) -> Response:
    context: dict[str, Any] = {"cert": cert, "values": values, "errors": errors}
    status = 422 if errors else 200
    return templates.TemplateResponse(request, "certificates/revoke.html", context, status_code=status)


@router.get("/admin/certificates/{serial}/revoke", response_class=HTMLResponse)
def revoke_form(serial: Serial, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The certificate, what revoking it means, and the reason to give: the check before revoking."""
    cert = selectors.read_certificate(db, serial=serial, actor=principal)
    return _revoke_page(request, cert, {}, [])


@router.post("/admin/certificates/{serial}/revoke", response_class=HTMLResponse)
def revoke(serial: Serial, request: Request, db: SessionDep, principal: PageAdmin, reason: FormText = "") -> Response:
    """Revoke with the reason (the API's service); a reason missing or too long is named at the field (422)."""
    cert = selectors.read_certificate(db, serial=serial, actor=principal)
    try:
        data = RevokeIn(reason=reason)
    except ValidationError as exc:
        key = "reason_long" if any(e["type"] == "string_too_long" for e in exc.errors()) else "reason_missing"
        return _revoke_page(request, cert, {"reason": reason}, [("reason", key)])
    service.revoke_certificate(db, serial=serial, reason=data.reason, actor=principal)
    return RedirectResponse(f"/admin/cohorts/{cert.cohort_id}/certificates?notice=certificate_revoked", status_code=303)
