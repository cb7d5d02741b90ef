"""Use cases of certificates: issue (one per completed enrolment, whatever the concurrency), revoke, reissue,
sign, and the files to download (a certificate's PDF, a cohort's). Reads are in `selectors`."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jws
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import jobs
from app.audit.service import record_change, record_event, snapshot
from app.auth import Principal
from app.certificates import documents, keys, linked_data, rules
from app.certificates.models import SERIAL_SEQUENCE, Certificate, SerialCounter, StatusList
from app.certificates.rules import CertificateStatus
from app.certificates.schemas import CertificateRead
from app.certificates.selectors import read_certificates, visible_certificates
from app.clock import now_utc, today
from app.cohorts.models import Enrolment
from app.cohorts.rules import EnrolmentStatus
from app.cohorts.service import enrolments_of, get_cohort, get_enrolment
from app.config import get_settings
from app.errors import Conflict, NotFound
from app.notifications.service import NewMessage, queue_message
from app.officials.selectors import recipients_of
from app.officials.service import get_official
from app.programmes.service import programme_by_id

# --- serial numbers and signing ------------------------------------------------------------------------


def _next_serial_number(db: Session) -> int:
    """The next number from the database: a sequence on PostgreSQL, the locked counter row elsewhere."""
    if db.get_bind().dialect.name == "postgresql":
        return int(db.scalar(SERIAL_SEQUENCE.next_value()))
    # SQLite holds the write lock for the whole transaction (BEGIN IMMEDIATE): read-after-update is safe.
    db.execute(update(SerialCounter).where(SerialCounter.id == 1).values(value=SerialCounter.value + 1))
    value = db.scalar(select(SerialCounter.value).where(SerialCounter.id == 1))
    if value is None:  # the counter row is made by the migration; a database made otherwise starts it here
        db.add(SerialCounter(id=1, value=1))
        db.flush()
        return 1
    return int(value)


@dataclass(frozen=True)
class SignedCredential:
    """A credential signed twice with the same key and the same content: with a Data Integrity proof (JSON-LD, what
    wallets verify) and as a JWT (VC-JOSE, by Open Badges 3.0's JWT rules); and that key's id."""

    secured: dict[str, Any]
    jwt: str
    kid: str


def sign_credential(credential: dict[str, Any]) -> SignedCredential:
    """The credential signed with the current key: an eddsa-rdfc-2022 proof by the issuer's did:web key, and a
    compact JWS (alg EdDSA, typ JWT, kid the URL of the key as a JWK) of the credential with OB 3.0's claims."""
    key = keys.current_key()
    base = get_settings().public_base_url
    created = rules.utc_instant(credential["validFrom"])
    secured = linked_data.add_proof(
        credential, private_key=key.private_key(), verification_method=key.verification_method(base), created=created
    )
    header = {"alg": "EdDSA", "typ": "JWT", "kid": key.jwk_url(base)}
    payload = {**credential, **rules.jwt_claims(credential)}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    with warnings.catch_warnings():
        # joserfc flags "EdDSA" since RFC 9864 named "Ed25519"; verifiers in the field still expect "EdDSA".
        warnings.simplefilter("ignore")
        token = jws.serialize_compact(header, body, key.key, algorithms=["EdDSA"])
    return SignedCredential(secured=secured, jwt=token, kid=key.kid)


def status_list_document(db: Session, *, list_number: int) -> dict[str, Any]:
    """Status list `list_number` as served: its signed credential, made and kept first if there is none yet."""
    row = db.get(StatusList, list_number)
    if row is None:
        row = _write_status_list(db, list_number)
    document: dict[str, Any] = json.loads(row.credential_json)
    return document


def _write_status_list(db: Session, list_number: int) -> StatusList:
    """Sign the status list afresh from the certificates, under its row's lock: the bits of every certificate of the
    list that no longer stands (revoked or superseded) are set. Two revocations at once each rewrite it whole, one
    after the other, the second seeing the first."""
    now = now_utc()
    row = db.scalar(
        select(StatusList)
        .where(StatusList.id == list_number)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        try:
            with db.begin_nested():
                db.add(StatusList(id=list_number, credential_json="{}", updated_at=now))
                db.flush()
        except IntegrityError:
            pass  # made by another transaction meanwhile: lock that one
        row = db.scalar(select(StatusList).where(StatusList.id == list_number).with_for_update())
        assert row is not None
    set_indexes = {
        index
        for index in db.scalars(
            select(Certificate.status_list_index).where(
                Certificate.status_list == list_number,
                Certificate.status != CertificateStatus.VALID,
            )
        )
        if index is not None
    }
    base = get_settings().public_base_url
    unsigned = rules.status_list_credential(base, list_number=list_number, set_indexes=set_indexes, valid_from=now)
    key = keys.current_key()
    secured = linked_data.add_proof(
        unsigned, private_key=key.private_key(), verification_method=key.verification_method(base), created=now
    )
    row.credential_json = json.dumps(secured, ensure_ascii=False, separators=(",", ":"))
    row.updated_at = now
    db.flush()
    return row


def refresh_status_of(db: Session, cert: Certificate) -> None:
    """Publish that the certificate no longer stands (or stands again) in its status list."""
    if cert.status_list is not None:
        db.flush()
        _write_status_list(db, cert.status_list)


# --- reading for a change, and files ------------------------------------------------------------------


def get_certificate(db: Session, *, serial: str, actor: Principal, lock: bool = False) -> Certificate:
    """One certificate the caller may see, by serial; 404 otherwise."""
    stmt = visible_certificates(actor).where(Certificate.serial == serial)
    if lock:
        stmt = stmt.with_for_update(of=Certificate).execution_options(populate_existing=True)
    cert: Certificate | None = db.scalar(stmt)
    if cert is None:
        raise NotFound(f"no certificate with serial {serial}")
    return cert


def current_of_enrolment(db: Session, *, enrolment_id: int) -> Certificate | None:
    """The enrolment's current certificate (valid or revoked), read past anything this session holds."""
    stmt = (
        select(Certificate)
        .where(Certificate.enrolment_id == enrolment_id, Certificate.status != CertificateStatus.SUPERSEDED)
        .execution_options(populate_existing=True)
    )
    return db.scalar(stmt)


@dataclass(frozen=True)
class CertificateFile:
    """A file of certificates to download: its name, its bytes and their SHA-256."""

    filename: str
    content: bytes
    sha256: str


def _refuse_if_not_valid(db: Session, cert: Certificate) -> None:
    if cert.status == CertificateStatus.REVOKED:
        raise Conflict(
            f"certificate {cert.serial} was revoked on {cert.revoked_on}: {cert.revocation_reason}",
            code="certificate_revoked",
        )
    if cert.status == CertificateStatus.SUPERSEDED:
        current = db.get(Certificate, cert.superseded_by_id) if cert.superseded_by_id else None
        raise Conflict(
            f"certificate {cert.serial} was superseded by {current.serial if current else 'a newer one'}",
            code="certificate_superseded",
            superseded_by=current.serial if current else None,
        )


def certificate_pdf(db: Session, *, serial: str, actor: Principal) -> CertificateFile:
    """A valid certificate's stored PDF (rendered and stored first when missing); 409 for a revoked or superseded
    one, which is not served as valid."""
    cert = get_certificate(db, serial=serial, actor=actor)
    _refuse_if_not_valid(db, cert)
    data = documents.ensure_pdf(db, cert)
    return CertificateFile(filename=f"{cert.serial}.pdf", content=data, sha256=documents.sha256(data))


def cohort_certificates_file(db: Session, *, cohort_id: int, fmt: Literal["pdf", "zip"]) -> CertificateFile:
    """A cohort's valid certificates in one file, by holder's name: one PDF with a page each, or a ZIP of their
    stored PDFs; 404 without the cohort or without a valid certificate."""
    cohort = get_cohort(db, cohort_id=cohort_id)
    certs = list(
        db.scalars(
            select(Certificate)
            .where(Certificate.cohort_id == cohort.id, Certificate.status == CertificateStatus.VALID)
            .order_by(Certificate.holder_name_he, Certificate.id)
        )
    )
    if not certs:
        raise NotFound(f"cohort {cohort.code} has no valid certificates", code="no_certificates")
    data = documents.zip_of(db, certs) if fmt == "zip" else documents.render(certs)
    return CertificateFile(filename=f"certificates-{cohort.code}.{fmt}", content=data, sha256=documents.sha256(data))


# --- issuing -------------------------------------------------------------------------------------------


def _new_certificate(
    db: Session,
    *,
    enrolment: Enrolment,
    actor: Principal,
    supersedes: Certificate | None = None,
    holder_did: str | None = None,
) -> Certificate:
    """A certificate of the completed enrolment with today's facts (names as they are now), not yet added."""
    cohort = get_cohort(db, cohort_id=enrolment.cohort_id)
    programme = programme_by_id(db, programme_id=cohort.programme_id)
    official = get_official(db, official_id=enrolment.official_id, actor=actor)
    assert enrolment.completed_on is not None
    settings = get_settings()
    issued_at = now_utc()
    issued_on = today()
    number = _next_serial_number(db)
    serial = rules.format_serial(issued_on.year, number)
    code = rules.new_verification_code()
    name_en = " ".join(p for p in (official.first_name_en, official.last_name_en) if p) or None
    holder_did = holder_did if holder_did is not None else (supersedes.holder_did if supersedes else None)
    # What the certificate states, the same in its signed credential and in its record.
    stated: dict[str, Any] = {
        "serial": serial,
        "verification_code": code,
        "holder_name_he": f"{official.first_name_he} {official.last_name_he}",
        "holder_name_en": name_en,
        "holder_did": holder_did,
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
            serial_number=number,
            **stated,
        )
    )
    signed = sign_credential(credential)
    status_list, status_index = rules.status_position(number)
    return Certificate(
        **stated,
        enrolment_id=enrolment.id,
        official_id=official.id,
        cohort_id=cohort.id,
        programme_id=programme.id,
        status=CertificateStatus.VALID,
        issued_on=issued_on,
        credential_jws=signed.jwt,
        credential_json=json.dumps(signed.secured, ensure_ascii=False, separators=(",", ":")),
        signing_kid=signed.kid,
        status_list=status_list,
        status_list_index=status_index,
        supersedes_id=supersedes.id if supersedes else None,
        issued_by_user_id=actor.user_id,
        created_at=issued_at,
        updated_at=issued_at,
    )


# The signed credentials are long and say what the record says: the audit trail keeps the record.
_AUDIT_EXCLUDE = ("credential_jws", "credential_json")


def _audit_new(db: Session, cert: Certificate, *, actor: Principal, action: str) -> None:
    record_event(
        db,
        actor=actor,
        action=action,
        entity_type="certificate",
        entity_id=cert.id,
        after=snapshot(cert, exclude=_AUDIT_EXCLUDE),
    )


def issue_for_enrolment(db: Session, enrolment: Enrolment, *, actor: Principal) -> tuple[Certificate, bool]:
    """The enrolment's certificate: the existing one, or a new one (True) when it is completed and has none.

    Two requests at once both miss the existing one and both insert; the unique index on the current
    certificate of an enrolment lets one through, and the other finds the winner's and returns it.
    """
    existing = current_of_enrolment(db, enrolment_id=enrolment.id)
    if existing is not None:
        return existing, False
    if enrolment.status != EnrolmentStatus.COMPLETED or enrolment.completed_on is None:
        raise Conflict(
            f"enrolment {enrolment.id} is {enrolment.status}: a certificate is issued only for a completed one",
            code="not_completed",
        )
    cert = _new_certificate(db, enrolment=enrolment, actor=actor)
    try:
        with db.begin_nested():
            db.add(cert)
            db.flush()
    except IntegrityError:
        winner = current_of_enrolment(db, enrolment_id=enrolment.id)
        if winner is None:  # the conflict was something else: let it be seen
            raise
        return winner, False
    _audit_new(db, cert, actor=actor, action="issue")
    jobs.enqueue_after_commit(db, "certificates.render", cert.id)
    _tell_completion(db, cert)
    return cert, True


def _tell_completion(db: Session, cert: Certificate) -> None:
    """Tell the holder of a new certificate that they completed, with the link anyone verifies it by."""
    to = recipients_of(db, official_ids=[cert.official_id]).get(cert.official_id)
    if to is None:
        return
    queue_message(
        db,
        NewMessage(
            kind="completion",
            key=f"completion:{cert.id}",
            to=to,
            context={
                "programme": {"he": cert.programme_title_he, "en": cert.programme_title_en},
                "cohort": cert.cohort_code,
                "completed_on": cert.completed_on,
                "serial": cert.serial,
                "link": rules.verification_url(get_settings().public_base_url, cert.verification_code),
            },
        ),
    )


def issue_certificate(db: Session, *, enrolment_id: int, actor: Principal) -> tuple[CertificateRead, bool]:
    """Issue the certificate of a completed enrolment, or return the one it has; True when it is new."""
    enrolment = get_enrolment(db, enrolment_id=enrolment_id, actor=actor)
    db.refresh(enrolment)
    cert, created = issue_for_enrolment(db, enrolment, actor=actor)
    return read_certificates(db, [cert])[0], created


def issue_cohort_certificates(db: Session, *, cohort_id: int, actor: Principal) -> list[int]:
    """Issue the missing certificates of every completed enrolment of a cohort; the ids of all its current ones."""
    enrolments = enrolments_of(db, cohort_id=cohort_id, statuses=(EnrolmentStatus.COMPLETED,))
    return [issue_for_enrolment(db, e, actor=actor)[0].id for e in enrolments]


# --- corrections ---------------------------------------------------------------------------------------


def revoke_certificate(db: Session, *, serial: str, reason: str, actor: Principal) -> CertificateRead:
    """Revoke a valid certificate: the record stays, with the date and the reason, and verification shows them."""
    cert = get_certificate(db, serial=serial, actor=actor, lock=True)
    if cert.status != CertificateStatus.VALID:
        raise Conflict(f"certificate {serial} is {cert.status}: only a valid one can be revoked", code="not_valid")
    before = snapshot(cert, exclude=_AUDIT_EXCLUDE)
    cert.status, cert.revoked_on, cert.revocation_reason = CertificateStatus.REVOKED, today(), reason
    cert.updated_at = now_utc()
    record_change(db, cert, before=before, actor=actor, entity_type="certificate", action="revoke",
                  exclude=_AUDIT_EXCLUDE)  # fmt: skip
    refresh_status_of(db, cert)
    return read_certificates(db, [cert])[0]


def reissue_certificate(
    db: Session, *, serial: str, actor: Principal, holder_did: str | None = None
) -> CertificateRead:
    """Reissue a valid certificate under a new serial with the official's details as they are now (after a name
    correction, or to name the holder by the DID they gave); the old one is kept as superseded, pointing to the
    new, and its credential shows revoked in the status list."""
    return read_certificates(db, [_reissue(db, serial=serial, actor=actor, holder_did=holder_did)])[0]


def name_holder_by_did(db: Session, *, serial: str, holder_did: str, actor: Principal) -> CertificateRead:
    """The holder (or an admin) gives the DID of the holder's wallet: the certificate is reissued with a credential
    that names the holder by it (a new serial; the old one superseded), ready to be taken into that wallet."""
    return read_certificates(db, [_reissue(db, serial=serial, actor=actor, holder_did=holder_did)])[0]


def _reissue(db: Session, *, serial: str, actor: Principal, holder_did: str | None = None) -> Certificate:
    old = get_certificate(db, serial=serial, actor=actor, lock=True)
    if old.status == CertificateStatus.SUPERSEDED:
        current = db.get(Certificate, old.superseded_by_id) if old.superseded_by_id else None
        raise Conflict(
            f"certificate {serial} was already superseded by {current.serial if current else 'another'}; "
            "reissue the current one",
            code="superseded",
        )
    if old.status == CertificateStatus.REVOKED:
        raise Conflict(f"certificate {serial} is revoked: a revoked certificate is not reissued", code="revoked")
    enrolment = get_enrolment(db, enrolment_id=old.enrolment_id, actor=actor)
    db.refresh(enrolment)
    if enrolment.status != EnrolmentStatus.COMPLETED:
        raise Conflict(f"enrolment {enrolment.id} is no longer completed", code="not_completed")
    before = snapshot(old, exclude=_AUDIT_EXCLUDE)
    # The old one leaves the "current" index before the new one enters it.
    old.status = CertificateStatus.SUPERSEDED
    db.flush()
    new = _new_certificate(db, enrolment=enrolment, actor=actor, supersedes=old, holder_did=holder_did)
    db.add(new)
    db.flush()
    old.superseded_by_id, old.updated_at = new.id, now_utc()
    record_change(db, old, before=before, actor=actor, entity_type="certificate", action="supersede",
                  exclude=_AUDIT_EXCLUDE)  # fmt: skip
    _audit_new(db, new, actor=actor, action="reissue")
    refresh_status_of(db, old)
    jobs.enqueue_after_commit(db, "certificates.render", new.id)
    return new


# --- credentials issued before Data Integrity proofs and status lists ------------------------------------


def legacy_certificate_ids(db: Session) -> list[int]:
    """Ids of the certificates whose signed credential is of the old form (no Data Integrity proof, no status
    entry, and the holder's national ID hashed in it), oldest first."""
    stmt = select(Certificate.id).where(Certificate.credential_json.is_(None), Certificate.credential_jws != "")
    return list(db.scalars(stmt.order_by(Certificate.id)))


@dataclass(frozen=True)
class ReissueOutcome:
    """What `reissue_legacy_credentials` did: the new certificates (old serial -> new), and the old credentials
    withdrawn (their signed form deleted, their PDF file removed)."""

    reissued: dict[str, str]
    withdrawn: list[str]


def reissue_legacy_credentials(db: Session, *, actor: Principal) -> ReissueOutcome:
    """Reissue every valid certificate whose credential is of the old form, as a correction is reissued: a new
    serial and a new credential (Data Integrity proof, status entry, no national ID), its PDF queued; the old one
    superseded. Then every old-form credential (of those, and of revoked ones) is withdrawn: the signed text that
    carried the hashed national ID is deleted and so is its stored PDF, which embedded it. Idempotent."""
    reissued: dict[str, str] = {}
    withdrawn: list[str] = []
    for certificate_id in legacy_certificate_ids(db):
        cert = db.get(Certificate, certificate_id)
        assert cert is not None
        if cert.status == CertificateStatus.VALID:
            new = _reissue(db, serial=cert.serial, actor=actor)
            reissued[cert.serial] = new.serial
        documents.stored_path(cert).unlink(missing_ok=True)
        cert.credential_jws, cert.pdf_sha256, cert.updated_at = "", None, now_utc()
        withdrawn.append(cert.serial)
    db.flush()
    return ReissueOutcome(reissued=reissued, withdrawn=withdrawn)
