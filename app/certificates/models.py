"""Certificates of completion and the counter their serial numbers come from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, Sequence, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.certificates.rules import CertificateStatus
from app.db import Base, UTCDateTime, one_of

# PostgreSQL hands out serial numbers from this sequence (made by the migration); SQLite, which has no
# sequences, from the one-row counter below, updated inside the issuing transaction (SQLite serialises writers).
SERIAL_SEQUENCE = Sequence("certificate_serial_seq", metadata=Base.metadata)


class SerialCounter(Base):
    """The last serial number handed out, on databases without sequences (one row, id 1)."""

    __tablename__ = "certificate_serial_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Certificate(Base):
    """Proof that an official completed a programme in a cohort: what was certified is kept as it was issued.

    An enrolment has one current certificate (valid or revoked); a correction reissues it under a new serial and
    the old one stays, superseded, pointing to the new.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint(one_of("status", CertificateStatus), name="status"),
        CheckConstraint(
            f"(status = '{CertificateStatus.REVOKED}') = (revoked_on IS NOT NULL)", name="revoked_has_date"
        ),
        # The rule "one certificate per completed enrolment, never two", whatever the concurrency.
        Index(
            "uq_certificates_current_enrolment",
            "enrolment_id",
            unique=True,
            sqlite_where=text(f"status <> '{CertificateStatus.SUPERSEDED}'"),
            postgresql_where=text(f"status <> '{CertificateStatus.SUPERSEDED}'"),
        ),
        Index("ix_certificates_official", "official_id"),
        Index("ix_certificates_cohort", "cohort_id"),
        Index("uq_certificates_status_entry", "status_list", "status_list_index", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    verification_code: Mapped[str] = mapped_column(String(64), unique=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="RESTRICT"))
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="RESTRICT"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20))
    issued_on: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What the certificate says, as it said it on the day it was issued.
    holder_name_he: Mapped[str] = mapped_column(String(210))
    holder_name_en: Mapped[str | None] = mapped_column(String(210))
    programme_code: Mapped[str] = mapped_column(String(40))
    programme_title_he: Mapped[str] = mapped_column(String(300))
    programme_title_en: Mapped[str] = mapped_column(String(300))
    cohort_code: Mapped[str] = mapped_column(String(40))
    hours: Mapped[float] = mapped_column(Float)
    completed_on: Mapped[date]
    # The holder's DID, when they gave one: the credential's subject id. The national ID is never kept here.
    holder_did: Mapped[str | None] = mapped_column(String(300))
    # The signed credential, twice with the same content: as a JWT (empty once an old-form credential was
    # withdrawn), and with a Data Integrity proof (JSON; null for credentials of the old form).
    credential_jws: Mapped[str] = mapped_column(Text)
    credential_json: Mapped[str | None] = mapped_column(Text)
    signing_kid: Mapped[str] = mapped_column(String(64))
    # Its bit in the revocation status lists: list number and index (null for credentials of the old form).
    status_list: Mapped[int | None] = mapped_column(Integer)
    status_list_index: Mapped[int | None] = mapped_column(Integer)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    revoked_on: Mapped[date | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="RESTRICT"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="RESTRICT"))
    issued_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StatusList(Base):
    """A revocation status list (W3C Bitstring Status List) as served: its signed credential, rewritten whenever a
    certificate of the list is revoked or superseded."""

    __tablename__ = "credential_status_lists"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    credential_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
