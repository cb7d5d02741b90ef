"""Use cases of certificates: issue (one per completed enrolment, whatever the concurrency), read, verify,
revoke, reissue, and the signed credential."""

from __future__ import annotations

import json
import warnings
from datetime import datetime
from typing import Any

from joserfc import jws
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import jobs
from app.audit.service import record_change, record_event, snapshot
from app.auth import Principal
from app.certificates import keys, rules
from app.certificates.models import SERIAL_SEQUENCE, Certificate, SerialCounter
from app.certificates.rules import CertificateStatus
from app.certificates.schemas import CertificateItem, CertificateRead, VerifyRead
from app.clock import now_utc, today
from app.cohorts.models import Cohort, Enrolment
from app.cohorts.rules import EnrolmentStatus
from app.cohorts.service import get_enrolment
from app.config import get_settings
from app.db import AnySelect
from app.errors import Conflict, NotFound
from app.officials.models import Official
from app.officials.scoping import scope_officials
from app.programmes.models import Programme

# --- serial numbers and signing ------------------------------------------------------------------------


def _next_serial_number(session: Session) -> int:
    """The next number from the database: a sequence on PostgreSQL, the locked counter row elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        return int(session.scalar(SERIAL_SEQUENCE.next_value()))
    # SQLite holds the write lock for the whole transaction (BEGIN IMMEDIATE): read-after-update is safe.
    session.execute(update(SerialCounter).where(SerialCounter.id == 1).values(value=SerialCounter.value + 1))
    value = session.scalar(select(SerialCounter.value).where(SerialCounter.id == 1))
    if value is None:  # the counter row is made by the migration; a database made otherwise starts it here
        session.add(SerialCounter(id=1, value=1))
        session.flush()
        return 1
    return int(value)


def sign_credential(credential: dict[str, Any]) -> tuple[str, str]:
    """The credential signed with the current key as a compact JWS (alg EdDSA); and that key's id."""
    key = keys.current_key()
    header = {"alg": "EdDSA", "kid": key.kid, "typ": "vc+jwt", "cty": "vc"}
    payload = {**credential, "iss": credential["issuer"]["id"], "jti": credential["id"]}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    with warnings.catch_warnings():
        # joserfc flags "EdDSA" since RFC 9864 named "Ed25519"; verifiers in the field still expect "EdDSA".
        warnings.simplefilter("ignore")
        token = jws.serialize_compact(header, body, key.key, algorithms=["EdDSA"])
    return token, key.kid


def read_credential(token: str) -> dict[str, Any]:
    """The payload of one of our compact JWS, after checking its signature against our published keys."""
    header = json.loads(_b64(token.split(".")[0]))
    key = keys.find_key(header.get("kid", ""))
    if key is None:
        raise Conflict("the credential was signed with a key that is not ours", code="unknown_key")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signed = jws.deserialize_compact(token, key.key, algorithms=["EdDSA"])
    payload: dict[str, Any] = json.loads(signed.payload)
    return payload


def _b64(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# --- reading -------------------------------------------------------------------------------------------


def _scoped(actor: Principal) -> AnySelect:
    stmt = select(Certificate).join(Official, Official.id == Certificate.official_id)
    return scope_officials(stmt, actor)


def get_certificate(session: Session, *, serial: str, actor: Principal, lock: bool = False) -> Certificate:
    """One certificate the caller may see, by serial; 404 otherwise."""
    stmt = _scoped(actor).where(Certificate.serial == serial)
    if lock:
        stmt = stmt.with_for_update(of=Certificate).execution_options(populate_existing=True)
    cert: Certificate | None = session.scalar(stmt)
    if cert is None:
        raise NotFound(f"no certificate with serial {serial}")
    return cert


def _serials(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Certificate.id, Certificate.serial).where(Certificate.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


def read_certificates(session: Session, certs: list[Certificate]) -> list[CertificateRead]:
    """Shape certificates for reading, with the serials they point to (one query)."""
    serials = _serials(session, {i for c in certs for i in (c.superseded_by_id, c.supersedes_id) if i})
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


def list_certificates(
    session: Session, *, actor: Principal, official_id: int | None, limit: int, offset: int
) -> tuple[list[CertificateItem], int]:
    """Certificates the caller may see, newest first, maybe of one official."""
    from sqlalchemy import func

    stmt = _scoped(actor)
    if official_id is not None:
        stmt = stmt.where(Certificate.official_id == official_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Certificate.id.desc()).limit(limit).offset(offset))
    return [CertificateItem.model_validate(c, from_attributes=True) for c in rows], total


def cohort_certificates(session: Session, *, cohort_id: int, only_valid: bool) -> tuple[str, list[Certificate]]:
    """A cohort's code and its certificates (the valid ones only, or all), by holder's name; 404 without it."""
    from app.cohorts.service import get_cohort

    cohort = get_cohort(session, cohort_id=cohort_id)
    stmt = select(Certificate).where(Certificate.cohort_id == cohort.id)
    if only_valid:
        stmt = stmt.where(Certificate.status == CertificateStatus.VALID)
    return cohort.code, list(session.scalars(stmt.order_by(Certificate.holder_name_he, Certificate.id)))


def current_of_enrolment(session: Session, *, enrolment_id: int) -> Certificate | None:
    """The enrolment's current certificate (valid or revoked), read past anything this session holds."""
    stmt = (
        select(Certificate)
        .where(Certificate.enrolment_id == enrolment_id, Certificate.status != CertificateStatus.SUPERSEDED)
        .execution_options(populate_existing=True)
    )
    return session.scalar(stmt)


def certificates_without_pdf(session: Session, *, issued_before: datetime) -> list[int]:
    """Ids of the valid certificates issued before the instant that have no stored PDF yet, oldest first."""
    stmt = (
        select(Certificate.id)
        .where(Certificate.status == "valid", Certificate.pdf_sha256.is_(None), Certificate.issued_at < issued_before)
        .order_by(Certificate.id)
    )
    return list(session.scalars(stmt))


# --- issuing -------------------------------------------------------------------------------------------


def _new_certificate(
    session: Session, *, enrolment: Enrolment, actor: Principal, supersedes: Certificate | None = None
) -> Certificate:
    """A certificate of the completed enrolment with today's facts (names as they are now), not yet added."""
    cohort = session.get(Cohort, enrolment.cohort_id)
    assert cohort is not None
    programme = session.get(Programme, cohort.programme_id)
    official = session.get(Official, enrolment.official_id)
    assert programme is not None and official is not None and enrolment.completed_on is not None
    settings = get_settings()
    issued_at = now_utc()
    issued_on = today()
    serial = rules.format_serial(issued_on.year, _next_serial_number(session))
    code = rules.new_verification_code()
    salt = rules.new_salt()
    name_en = " ".join(p for p in (official.first_name_en, official.last_name_en) if p) or None
    # What the certificate states, the same in its signed credential and in its record.
    stated: dict[str, Any] = {
        "serial": serial,
        "verification_code": code,
        "holder_name_he": f"{official.first_name_he} {official.last_name_he}",
        "holder_name_en": name_en,
        "subject_hash": rules.identity_hash(official.national_id, salt),
        "subject_salt": salt,
        "programme_code": programme.code,
        "programme_title_he": programme.title_he,
        "programme_title_en": programme.title_en,
        "cohort_code": cohort.code,
        "hours": programme.hours,
        "completed_on": enrolment.completed_on,
        "issued_at": issued_at,
    }
    credential = rules.build_credential(
        rules.CredentialFacts(
            base_url=settings.public_base_url,
            school_name_he=settings.school_name_he,
            school_name_en=settings.school_name_en,
            **stated,
        )
    )
    token, kid = sign_credential(credential)
    return Certificate(
        **stated,
        enrolment_id=enrolment.id,
        official_id=official.id,
        cohort_id=cohort.id,
        programme_id=programme.id,
        status=CertificateStatus.VALID,
        issued_on=issued_on,
        credential_jws=token,
        signing_kid=kid,
        supersedes_id=supersedes.id if supersedes else None,
        issued_by_user_id=actor.user_id,
        created_at=issued_at,
        updated_at=issued_at,
    )


def _audit_new(session: Session, cert: Certificate, *, actor: Principal, action: str) -> None:
    record_event(
        session,
        actor=actor,
        action=action,
        entity_type="certificate",
        entity_id=cert.id,
        after=snapshot(cert, exclude=("credential_jws", "subject_salt", "subject_hash")),
    )


def issue_for_enrolment(session: Session, enrolment: Enrolment, *, actor: Principal) -> tuple[Certificate, bool]:
    """The enrolment's certificate: the existing one, or a new one (True) when it is completed and has none.

    Two requests at once both miss the existing one and both insert; the unique index on the current
    certificate of an enrolment lets one through, and the other finds the winner's and returns it.
    """
    existing = current_of_enrolment(session, enrolment_id=enrolment.id)
    if existing is not None:
        return existing, False
    if enrolment.status != EnrolmentStatus.COMPLETED or enrolment.completed_on is None:
        raise Conflict(
            f"enrolment {enrolment.id} is {enrolment.status}: a certificate is issued only for a completed one",
            code="not_completed",
        )
    cert = _new_certificate(session, enrolment=enrolment, actor=actor)
    try:
        with session.begin_nested():
            session.add(cert)
            session.flush()
    except IntegrityError:
        winner = current_of_enrolment(session, enrolment_id=enrolment.id)
        if winner is None:  # the conflict was something else: let it be seen
            raise
        return winner, False
    _audit_new(session, cert, actor=actor, action="issue")
    jobs.enqueue_after_commit(session, "certificates.render", cert.id)
    return cert, True


def issue_certificate(session: Session, *, enrolment_id: int, actor: Principal) -> tuple[CertificateRead, bool]:
    """Issue the certificate of a completed enrolment, or return the one it has; True when it is new."""
    enrolment = get_enrolment(session, enrolment_id=enrolment_id, actor=actor)
    session.refresh(enrolment)
    cert, created = issue_for_enrolment(session, enrolment, actor=actor)
    return read_certificates(session, [cert])[0], created


def issue_cohort_certificates(session: Session, *, cohort_id: int, actor: Principal) -> list[int]:
    """Issue the missing certificates of every completed enrolment of a cohort; the ids of all its current ones."""
    enrolments = session.scalars(
        select(Enrolment)
        .where(Enrolment.cohort_id == cohort_id, Enrolment.status == EnrolmentStatus.COMPLETED)
        .order_by(Enrolment.id)
        .execution_options(populate_existing=True)
    ).all()
    return [issue_for_enrolment(session, e, actor=actor)[0].id for e in enrolments]


# --- corrections ---------------------------------------------------------------------------------------

_AUDIT_EXCLUDE = ("credential_jws", "subject_salt", "subject_hash")


def revoke_certificate(session: Session, *, serial: str, reason: str, actor: Principal) -> CertificateRead:
    """Revoke a valid certificate: the record stays, with the date and the reason, and verification shows them."""
    cert = get_certificate(session, serial=serial, actor=actor, lock=True)
    if cert.status != CertificateStatus.VALID:
        raise Conflict(f"certificate {serial} is {cert.status}: only a valid one can be revoked", code="not_valid")
    before = snapshot(cert, exclude=_AUDIT_EXCLUDE)
    cert.status, cert.revoked_on, cert.revocation_reason = CertificateStatus.REVOKED, today(), reason
    cert.updated_at = now_utc()
    record_change(session, cert, before=before, actor=actor, entity_type="certificate", action="revoke",
                  exclude=_AUDIT_EXCLUDE)  # fmt: skip
    return read_certificates(session, [cert])[0]


def reissue_certificate(session: Session, *, serial: str, actor: Principal) -> CertificateRead:
    """Reissue a valid certificate under a new serial with the official's details as they are now (after a name
    correction); the old one is kept as superseded, pointing to the new."""
    old = get_certificate(session, serial=serial, actor=actor, lock=True)
    if old.status == CertificateStatus.SUPERSEDED:
        current = session.get(Certificate, old.superseded_by_id) if old.superseded_by_id else None
        raise Conflict(
            f"certificate {serial} was already superseded by {current.serial if current else 'another'}; "
            "reissue the current one",
            code="superseded",
        )
    if old.status == CertificateStatus.REVOKED:
        raise Conflict(f"certificate {serial} is revoked: a revoked certificate is not reissued", code="revoked")
    enrolment = session.get(Enrolment, old.enrolment_id, populate_existing=True)
    assert enrolment is not None
    if enrolment.status != EnrolmentStatus.COMPLETED:
        raise Conflict(f"enrolment {enrolment.id} is no longer completed", code="not_completed")
    before = snapshot(old, exclude=_AUDIT_EXCLUDE)
    # The old one leaves the "current" index before the new one enters it.
    old.status = CertificateStatus.SUPERSEDED
    session.flush()
    new = _new_certificate(session, enrolment=enrolment, actor=actor, supersedes=old)
    session.add(new)
    session.flush()
    old.superseded_by_id, old.updated_at = new.id, now_utc()
    record_change(session, old, before=before, actor=actor, entity_type="certificate", action="supersede",
                  exclude=_AUDIT_EXCLUDE)  # fmt: skip
    _audit_new(session, new, actor=actor, action="reissue")
    jobs.enqueue_after_commit(session, "certificates.render", new.id)
    return read_certificates(session, [new])[0]


# --- public verification -------------------------------------------------------------------------------


def verify_certificate(session: Session, *, code: str) -> VerifyRead:
    """What the public may know of the certificate with this verification code; 404 for an unknown code."""
    cert = session.scalar(select(Certificate).where(Certificate.verification_code == code))
    if cert is None:
        raise NotFound(
            "no certificate has this verification code: check the code, or the certificate is not genuine",
            code="unknown_certificate",
            valid=False,
        )
    current: Certificate | None = None
    if cert.status == CertificateStatus.SUPERSEDED:
        # Follow the chain of reissues to the certificate that stands now.
        current = cert
        while current.superseded_by_id is not None:
            nxt = session.get(Certificate, current.superseded_by_id)
            if nxt is None:
                break
            current = nxt
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


def get_credential(session: Session, *, serial: str, actor: Principal) -> tuple[str, str, dict[str, Any]]:
    """The certificate's signed credential as issued: (compact JWS, kid, decoded credential)."""
    cert = get_certificate(session, serial=serial, actor=actor)
    return cert.credential_jws, cert.signing_kid, read_credential(cert.credential_jws)
