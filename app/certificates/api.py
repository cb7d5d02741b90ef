"""JSON routes of certificates: issue, list, read, PDF, revoke, reissue, the signed credential, public
verification, and what verifiers resolve: the public keys, the issuer's DID document and the status lists."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from app.audit.rules import AccessKind
from app.audit.service import record_access
from app.auth import ADMIN, OFFICIAL, Principal
from app.certificates import keys, selectors, service
from app.certificates.rules import CertificateStatus
from app.certificates.schemas import (
    CertificateItem,
    CertificateRead,
    CredentialRead,
    HolderDidIn,
    ReissueIn,
    RevokeIn,
    VerifyRead,
)
from app.errors import NotFound
from app.schemas import MAX_ID, ErrorBody
from app.web.deps import AdminOnly, Anyone, SessionDep, Staff, allow
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page, RecordId
from app.web.ratelimit import limit_verification
from app.web.routing import Router

router = Router(prefix="/api/v1", tags=["certificates"])
public_router = Router(tags=["certificates"])

Serial = Annotated[str, Path(max_length=40, description="The certificate's serial number, e.g. MKM-2026-000123.")]
Code = Annotated[str, Path(max_length=100, description="The verification code printed on the certificate.")]

# The certificate's holder, or an admin for them.
HolderOrAdmin = Annotated[Principal, allow(ADMIN, OFFICIAL)]

PDF: dict[str, Any] = {"content": {"application/pdf": {}}, "description": "The certificate as a PDF (A4 landscape)."}


def _answers(extra: dict[int | str, dict[str, Any]], *codes: int) -> dict[int | str, dict[str, Any]]:
    """The route's own answers and the error answers it can give."""
    return {**extra, **responses(*codes)}


@router.post(
    "/enrolments/{enrolment_id}/certificate",
    response_model=CertificateRead,
    status_code=201,
    responses=_answers(
        {200: {"model": CertificateRead, "description": "The certificate issued before"}}, 401, 403, 404, 409, 422
    ),
)
def issue_certificate(enrolment_id: RecordId, response: Response, db: SessionDep, actor: AdminOnly) -> CertificateRead:
    """Issue the certificate of a completed enrolment (201); asking again returns the same one (200). Admins only.

    One certificate per completed enrolment, never two, even under concurrent requests. An enrolment that is not
    completed answers 409. Closing a cohort issues its certificates by itself, through the task queue.
    """
    cert, created = service.issue_certificate(db, enrolment_id=enrolment_id, actor=actor)
    if not created:
        response.status_code = 200
    return cert


@router.get("/certificates", response_model=Page[CertificateItem], responses=responses(401, 422))
def list_certificates(
    db: SessionDep,
    actor: Anyone,
    official_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this official's.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[CertificateItem]:
    """Certificates, newest first: all for admins and auditors, a liaison's authority's officials, an official's own."""
    return selectors.list_certificates(db, actor=actor, official_id=official_id, limit=limit, offset=offset)


@router.get("/certificates/{serial}", response_model=CertificateRead, responses=responses(401, 404, 422))
def get_certificate(serial: Serial, db: SessionDep, actor: Anyone) -> CertificateRead:
    """One certificate, with its status, and what replaced it or what it replaced."""
    return selectors.read_certificate(db, serial=serial, actor=actor)


def _log_read(db: Session, *, serial: str, actor: Principal, kind: AccessKind, subject: str) -> None:
    """Write a read of a certificate to the access log, under its holder."""
    holder = selectors.read_certificate(db, serial=serial, actor=actor).official_id
    record_access(db, actor=actor, kind=kind, subject=subject, official_ids=[holder])


@router.get(
    "/certificates/{serial}/pdf",
    response_class=Response,
    responses=_answers({200: PDF}, 401, 404, 409, 422),
)
def certificate_pdf(serial: Serial, db: SessionDep, actor: Anyone) -> Response:
    """The certificate as a PDF, byte-identical at every download. Written to the access log.

    A revoked or superseded certificate is not served as valid: 409 (`certificate_revoked`, or
    `certificate_superseded` naming the current serial); its record stays readable and verifiable.
    """
    file = service.certificate_pdf(db, serial=serial, actor=actor)
    subject = f"/api/v1/certificates/{serial}/pdf"
    _log_read(db, serial=serial, actor=actor, kind=AccessKind.CERTIFICATE_PDF, subject=subject)
    return Response(
        file.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "ETag": f'"{file.sha256}"',
        },
    )


@router.post(
    "/certificates/{serial}/revoke", response_model=CertificateRead, responses=responses(401, 403, 404, 409, 422)
)
def revoke_certificate(serial: Serial, data: RevokeIn, db: SessionDep, actor: AdminOnly) -> CertificateRead:
    """Revoke a valid certificate with a reason. Admins only. The record stays; verification shows date and reason.

    A certificate already revoked or superseded answers 409. Audited.
    """
    return service.revoke_certificate(db, serial=serial, reason=data.reason, actor=actor)


@router.post(
    "/certificates/{serial}/reissue",
    response_model=CertificateRead,
    status_code=201,
    responses=responses(401, 403, 404, 409, 422),
)
def reissue_certificate(
    serial: Serial, db: SessionDep, actor: AdminOnly, data: ReissueIn | None = None
) -> CertificateRead:
    """Reissue a valid certificate under a new serial with the official's details as they are now (e.g. after a
    name correction) and answer the new certificate. Admins only.

    With `holder_did`, the new credential names its holder by that DID (the one their wallet gave); without it, by
    the DID the old one named, if any. The old one stays, `superseded`, pointing to the new, and its credential
    shows revoked in the status list. A revoked or superseded certificate answers 409. Audited.
    """
    return service.reissue_certificate(
        db, serial=serial, actor=actor, holder_did=data.holder_did if data is not None else None
    )


@router.post(
    "/certificates/{serial}/holder-did",
    response_model=CertificateRead,
    status_code=201,
    responses=responses(401, 403, 404, 409, 422),
)
def give_holder_did(serial: Serial, data: HolderDidIn, db: SessionDep, actor: HolderOrAdmin) -> CertificateRead:
    """The holder gives the DID of their wallet (or an admin gives it for them): the certificate is reissued under
    a new serial with a credential naming the holder by that DID, and the new certificate is answered. An official
    may do it for their own certificates only (another's answers 404).

    The old one stays, `superseded`, pointing to the new, and shows revoked in the status list. A revoked or
    superseded certificate answers 409. Audited.
    """
    return service.name_holder_by_did(db, serial=serial, holder_did=data.holder_did, actor=actor)


@router.get(
    "/certificates/{serial}/credential",
    response_model=CredentialRead,
    responses=_answers(
        {
            200: {
                "content": {
                    "application/vc+jwt": {"schema": {"type": "string"}},
                    "application/vc+ld+json": {"schema": {"type": "object"}},
                },
                "description": "The signed credential; with `Accept: application/vc+jwt`, the compact JWS alone; "
                "with `Accept: application/vc+ld+json`, the credential with its Data Integrity proof alone.",
            }
        },
        401,
        404,
        409,
        422,
    ),
)
def certificate_credential(serial: Serial, request: Request, db: SessionDep, actor: Anyone) -> Any:
    """The certificate as a signed Open Badges 3.0 AchievementCredential (a W3C verifiable credential 2.0). Written
    to the access log.

    Signed twice, same content: `credential` carries a Data Integrity proof (eddsa-rdfc-2022) by the issuer's
    did:web key (`GET /.well-known/did.json`), what wallets verify; `jws` is the JWT form (alg EdDSA, typ JWT, `kid`
    the URL of its key as a JWK, claims iss, jti, nbf, sub), keys also at `GET /.well-known/jwks.json`. Its
    `credentialStatus` points at a revocation status list (`GET /api/v1/credentials/status/{n}`), so a revoked or
    superseded certificate shows revoked in any verifier. The holder is named by name, and by their DID when they
    gave one; never by their national ID in any form. A credential of the old form (issued before this) answers
    409 `credential_withdrawn`: `lms certificates reissue-credentials` replaced it.
    """
    token, kid, credential = selectors.get_credential(db, serial=serial, actor=actor)
    subject = f"/api/v1/certificates/{serial}/credential"
    _log_read(db, serial=serial, actor=actor, kind=AccessKind.CREDENTIAL, subject=subject)
    accept = request.headers.get("accept", "")
    if "application/vc+jwt" in accept:
        return Response(token, media_type="application/vc+jwt")
    if "application/vc+ld+json" in accept:
        return JSONResponse(credential, media_type="application/vc+ld+json")
    return CredentialRead(kid=kid, jws=token, credential=credential)


@router.post(
    "/cohorts/{cohort_id}/certificates",
    response_model=Page[CertificateItem],
    responses=responses(401, 403, 404, 422),
)
def issue_cohort_certificates(cohort_id: RecordId, db: SessionDep, actor: AdminOnly) -> Page[CertificateItem]:
    """Issue whatever certificates a cohort's completed enrolments still lack, and answer them all. Admins only.

    Closing a cohort does this by itself through the task queue; this is for reruns. Idempotent.
    """
    service.issue_cohort_certificates(db, cohort_id=cohort_id, actor=actor)
    items = selectors.cohort_certificates(db, cohort_id=cohort_id)
    return Page(items=items, total=len(items))


@router.get(
    "/cohorts/{cohort_id}/certificates.{fmt}",
    response_class=Response,
    responses=_answers(
        {
            200: {
                "content": {"application/pdf": {}, "application/zip": {}},
                "description": "Every valid certificate of the cohort: one multi-page PDF, or a ZIP of the PDFs.",
            }
        },
        401,
        403,
        404,
        422,
    ),
)
def cohort_certificates_file(cohort_id: RecordId, fmt: Literal["pdf", "zip"], db: SessionDep, actor: Staff) -> Response:
    """A cohort's valid certificates in one file, to print or to send: one PDF with a page each, or a ZIP.
    Written to the access log, with the holders."""
    file = service.cohort_certificates_file(db, cohort_id=cohort_id, fmt=fmt)
    record_access(
        db,
        actor=actor,
        kind=AccessKind.EXPORT,
        subject=f"/api/v1/cohorts/{cohort_id}/certificates.{fmt}",
        official_ids=[
            c.official_id
            for c in selectors.cohort_certificates(db, cohort_id=cohort_id)
            if c.status == CertificateStatus.VALID
        ],
    )
    media = "application/zip" if fmt == "zip" else "application/pdf"
    headers = {"Content-Disposition": f'attachment; filename="{file.filename}"'}
    return Response(file.content, media_type=media, headers=headers)


@router.get(
    "/verify/{code}",
    response_model=VerifyRead,
    dependencies=[Depends(limit_verification)],
    responses=_answers(
        {404: {"model": ErrorBody, "description": "No certificate has this code: `{error, detail, valid: false}`"}},
        422,
        429,
    ),
)
def verify(code: Code, db: SessionDep) -> VerifyRead:
    """Whether a certificate is genuine and stands, by the code printed on it. Public: no login.

    `valid` is true only for a certificate neither revoked nor superseded; a revoked one says when and why, a
    superseded one names the current serial. Never the holder's ID number. An unknown code answers 404 with
    `valid: false`. Limited per client address (429 with Retry-After).
    """
    return selectors.verify_certificate(db, code=code)


@public_router.get("/.well-known/jwks.json", tags=["certificates"])
def jwks() -> dict[str, Any]:
    """The public keys (OKP, Ed25519, each with its kid) that verify the signed credentials. Public.

    Every key that ever signed stays here, so credentials signed before a key rotation still verify.
    """
    return keys.jwks()


def _json_answer(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 answered as JSON under a media type of its own."""
    return {200: {"content": {media_type: {"schema": {"type": "object"}}}, "description": description}}


@public_router.get(
    "/.well-known/jwks/{kid}.json",
    tags=["certificates"],
    response_class=Response,
    responses=_answers(_json_answer("application/jwk+json", "The public key as a JWK."), 404, 422),
)
def jwk(kid: Annotated[str, Path(max_length=64, description="The key's id (its RFC 7638 thumbprint).")]) -> Response:
    """One public key as a JWK: what the `kid` of a credential's JWT names (Open Badges 3.0). Public."""
    key = keys.find_key(kid)
    if key is None:
        raise NotFound(f"no key {kid}")
    return JSONResponse(key.public_jwk(), media_type="application/jwk+json")


@public_router.get(
    "/.well-known/did.json",
    tags=["certificates"],
    response_class=Response,
    responses=_json_answer("application/did+ld+json", "The issuer's DID document."),
)
def did_document() -> Response:
    """The issuer's DID document (did:web, from LMS_PUBLIC_BASE_URL): every key that ever signed, as a Multikey
    (Ed25519) able to assert credentials. What a Data Integrity proof's verificationMethod resolves to. Public."""
    return JSONResponse(keys.did_document(), media_type="application/did+ld+json")


@router.get(
    "/credentials/status/{number}",
    tags=["certificates"],
    response_class=Response,
    responses=_answers(
        _json_answer("application/vc+ld+json", "The status list's signed BitstringStatusListCredential."), 404, 422
    ),
)
def status_list(number: Annotated[int, Path(ge=1, le=MAX_ID)], db: SessionDep) -> Response:
    """A revocation status list (W3C Bitstring Status List 1.0) as a signed BitstringStatusListCredential: a
    credential's bit is set once its certificate is revoked or superseded. Public; rewritten at each change."""
    if number > selectors.status_list_count(db):
        raise NotFound(f"no status list {number}")
    document = service.status_list_document(db, list_number=number)
    return JSONResponse(document, media_type="application/vc+ld+json", headers={"Cache-Control": "no-cache"})
