"""Reads of certificates: lists and records within the caller's scope, public verification by code, and the
signed credential as issued."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.certificates import linked_data, rules
from app.certificates.models import Certificate
from app.certificates.rules import CertificateStatus
from app.certificates.schemas import CertificateItem, CertificateRead, VerifyRead
from app.cohorts.models import Cohort, Enrolment
from app.cohorts.rules import EnrolmentStatus
from app.config import get_settings
from app.db import AnySelect, count_of, read_rows
from app.errors import Conflict, NotFound
from app.officials.models import Official
from app.officials.scoping import scope_officials
from app.programmes.models import Programme
from app.schemas import Page


def visible_certificates(actor: Principal) -> AnySelect:
    """Certificates, narrowed to those of officials the caller may see."""
    stmt = select(Certificate).join(Official, Official.id == Certificate.official_id)
    return scope_officials(stmt, actor)


def _serials(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.execute(select(Certificate.id, Certificate.serial).where(Certificate.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


def read_certificates(db: Session, certs: list[Certificate]) -> list[CertificateRead]:
    """Certificates as they are read, with the serials they point to (one query)."""
    serials = _serials(db, {i for c in certs for i in (c.superseded_by_id, c.supersedes_id) if i})
    base = get_settings().public_base_url
    stored = [name for name in CertificateRead.model_fields if hasattr(Certificate, name)]  # the rest is derived
    return [
        CertificateRead(
            **{name: getattr(c, name) for name in stored},
            verification_url=rules.verification_url(base, c.verification_code),
            superseded_by=serials.get(c.superseded_by_id) if c.superseded_by_id else None,
            supersedes=serials.get(c.supersedes_id) if c.supersedes_id else None,
        )
        for c in certs
    ]


def read_certificate(db: Session, *, serial: str, actor: Principal) -> CertificateRead:
    """One certificate the caller may see, by serial; 404 otherwise."""
    cert = db.scalar(visible_certificates(actor).where(Certificate.serial == serial))
    if cert is None:
        raise NotFound(f"no certificate with serial {serial}")
    return read_certificates(db, [cert])[0]


def list_certificates(
    db: Session, *, actor: Principal, official_id: int | None, limit: int, offset: int
) -> Page[CertificateItem]:
    """Certificates the caller may see, newest first, maybe of one official."""
    stmt = visible_certificates(actor)
    if official_id is not None:
        stmt = stmt.where(Certificate.official_id == official_id)
    total = count_of(db, stmt)
    rows = db.scalars(stmt.order_by(Certificate.id.desc()).limit(limit).offset(offset))
    return Page(items=[CertificateItem.model_validate(c, from_attributes=True) for c in rows], total=total)


def cohort_certificates(db: Session, *, cohort_id: int) -> list[CertificateItem]:
    """Every certificate of a cohort (valid, revoked or superseded), by holder's name; 404 without the cohort."""
    if db.get(Cohort, cohort_id) is None:
        raise NotFound(f"no cohort with id {cohort_id}")
    stmt = select(Certificate).where(Certificate.cohort_id == cohort_id)
    rows = db.scalars(stmt.order_by(Certificate.holder_name_he, Certificate.id))
    return [CertificateItem.model_validate(c, from_attributes=True) for c in rows]


def _current_of(db: Session, cert: Certificate) -> Certificate:
    """The certificate that stands now in the chain of reissues from this one (itself when not superseded)."""
    current = cert
    while current.superseded_by_id is not None:
        nxt = db.get(Certificate, current.superseded_by_id)
        if nxt is None:
            break
        current = nxt
    return current


# What the public verification reads of a certificate: what it shows, and the link to the one standing now (not the
# signed credential, kilobytes that it never shows).
_VERIFIED = (
    Certificate.status,
    Certificate.serial,
    Certificate.holder_name_he,
    Certificate.holder_name_en,
    Certificate.programme_title_he,
    Certificate.programme_title_en,
    Certificate.issued_on,
    Certificate.completed_on,
    Certificate.hours,
    Certificate.revoked_on,
    Certificate.revocation_reason,
    Certificate.superseded_by_id,
)


@lru_cache(maxsize=1)
def _verified_query() -> AnySelect:
    """What the verification reads of the certificate with the code `code` (built once: it keeps its cache key)."""
    return select(*_VERIFIED).where(Certificate.verification_code == bindparam("code"))


def verify_certificate(db: Session, *, code: str) -> VerifyRead:
    """What the public may know of the certificate with this verification code; 404 for an unknown code."""
    cert = read_rows(db, _verified_query(), {"code": code}).first()
    if cert is None:
        raise NotFound(
            "no certificate has this verification code: check the code, or the certificate is not genuine",
            code="unknown_certificate",
            valid=False,
        )
    current = None
    if cert.status == CertificateStatus.SUPERSEDED and cert.superseded_by_id is not None:
        successor = db.get(Certificate, cert.superseded_by_id)
        current = _current_of(db, successor) if successor is not None else None
    base = get_settings().public_base_url
    return VerifyRead(
        valid=cert.status == CertificateStatus.VALID,
        status=cert.status,
        serial=cert.serial,
        holder_name_he=cert.holder_name_he,
        holder_name_en=cert.holder_name_en,
        programme_title_he=cert.programme_title_he,
        programme_title_en=cert.programme_title_en,
        issued_on=cert.issued_on,
        completed_on=cert.completed_on,
        hours=cert.hours,
        revoked_on=cert.revoked_on,
        revocation_reason=cert.revocation_reason,
        superseded_by=current.serial if current is not None else None,
        current_verification_url=(
            rules.verification_url(base, current.verification_code) if current is not None else None
        ),
    )


def get_credential(db: Session, *, serial: str, actor: Principal) -> tuple[str, str, dict[str, Any]]:
    """The certificate's signed credential as issued: (compact JWS, kid, the credential with its Data Integrity
    proof); 404 out of sight; 409 for a credential of the old form, withdrawn or waiting to be reissued."""
    cert = db.scalar(visible_certificates(actor).where(Certificate.serial == serial))
    if cert is None:
        raise NotFound(f"no certificate with serial {serial}")
    if cert.credential_json is None:
        current = _current_of(db, cert)
        raise Conflict(
            f"the credential of certificate {serial} was of an old form and is withdrawn"
            + (f"; the certificate's current credential is that of {current.serial}" if current is not cert else ""),
            code="credential_withdrawn",
            current_serial=current.serial if current is not cert else None,
        )
    secured: dict[str, Any] = json.loads(cert.credential_json)
    return cert.credential_jws, rules.jwk_url(get_settings().public_base_url, cert.signing_kid), secured


def status_list_count(db: Session) -> int:
    """How many status lists there are: enough for the highest entry given out, and always at least one."""
    highest = db.scalar(select(func.max(Certificate.status_list)))
    return max(int(highest or 0), 1)


def issuer_profile() -> dict[str, Any]:
    """The issuer's Open Badges Profile as JSON-LD, as `/issuer` answers it."""
    settings = get_settings()
    profile = rules.issuer_profile(settings.public_base_url, settings.school_name_he, settings.school_name_en)
    return {"@context": [linked_data.VC_V2, linked_data.OB_V3], **profile}


def achievement_document(db: Session, *, programme_code: str) -> dict[str, Any]:
    """A programme's Open Badges Achievement as JSON-LD, as `/achievements/{code}` answers it; 404 without it."""
    programme = db.scalar(select(Programme).where(Programme.code == programme_code))
    if programme is None:
        raise NotFound(f"no achievement {programme_code}")
    body = rules.achievement(
        get_settings().public_base_url,
        programme_code=programme.code,
        title_he=programme.title_he,
        title_en=programme.title_en,
        hours=programme.hours,
        criteria=rules.achievement_criteria(programme.hours),
    )
    return {"@context": [linked_data.VC_V2, linked_data.OB_V3], **body}


def certificates_without_pdf(db: Session, *, issued_before: datetime) -> list[int]:
    """Ids of the valid certificates issued before the instant that have no stored PDF yet, oldest first."""
    stmt = (
        select(Certificate.id)
        .where(
            Certificate.status == CertificateStatus.VALID,
            Certificate.pdf_sha256.is_(None),
            Certificate.issued_at < issued_before,
        )
        .order_by(Certificate.id)
    )
    return list(db.scalars(stmt))


def cohort_certificate_records(db: Session, *, cohort_id: int) -> list[CertificateRead]:
    """Every certificate of a cohort as read in full (holder, dates, revocation, what replaced what), by holder's
    name then issue; 404 without the cohort. Two queries whatever their number."""
    if db.get(Cohort, cohort_id) is None:
        raise NotFound(f"no cohort with id {cohort_id}")
    stmt = select(Certificate).where(Certificate.cohort_id == cohort_id)
    return read_certificates(db, list(db.scalars(stmt.order_by(Certificate.holder_name_he, Certificate.id))))


def enrolments_without_certificate(db: Session, *, cohort_id: int) -> int:
    """How many completed enrolments of the cohort have no current certificate (valid or revoked) yet: what issuing
    the cohort's certificates would issue."""
    current = select(Certificate.id).where(
        Certificate.enrolment_id == Enrolment.id, Certificate.status != CertificateStatus.SUPERSEDED
    )
    stmt = select(func.count()).where(
        Enrolment.cohort_id == cohort_id, Enrolment.status == EnrolmentStatus.COMPLETED, ~current.exists()
    )
    return int(db.scalar(stmt) or 0)
