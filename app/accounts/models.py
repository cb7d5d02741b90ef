"""User accounts and the record of login attempts."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.auth import UserRole
from app.db import Base, UTCDateTime, one_of


class User(Base):
    """A login: an admin, an auditor, a liaison of one authority, or an official (one person)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", UserRole), name="role"),
        CheckConstraint("token_version >= 1", name="token_version_positive"),
        CheckConstraint("role <> 'liaison' OR authority_code IS NOT NULL", name="liaison_has_authority"),
        CheckConstraint("role <> 'official' OR official_id IS NOT NULL", name="official_has_person"),
        CheckConstraint("preferred_language IN ('he', 'en')", name="preferred_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    authority_code: Mapped[str | None] = mapped_column(ForeignKey("authorities.code", ondelete="RESTRICT"))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Every bearer token and page session carries the version it was issued under; raising it (deactivation, a
    # password or role change) ends them all at once. The random key, made with the row, is in every token too,
    # so a token never names a later user who happens to get the same id.
    token_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    token_key: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    # Set with a temporary password an admin gave: until the user chooses their own, a token or session of theirs
    # opens nothing but the change of their password (403 `password_change_required`).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A one-time password-reset link: the SHA-256 of its random token (the token itself is never stored), usable
    # once and until it expires; a new link replaces the one before.
    password_reset_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    password_reset_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The second factor (app.accounts.totp): the TOTP secret in force, encrypted, and when it was enrolled; a new
    # secret offered and not yet confirmed by a code (encrypted); the last time step whose code was accepted (never
    # accepted twice); the SHA-256 hashes of the recovery codes not yet used.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_pending_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    totp_recovery_hashes: Mapped[list[str] | None] = mapped_column(JSON)
    # The language the user chose for the web pages ("he" or "en"); None until they choose (Hebrew then).
    preferred_language: Mapped[str | None] = mapped_column(String(2))


class LoginAttempt(Base):
    """One attempt to log in, kept to limit guessing per account and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginThrottle(Base):
    """The running count of failed logins of one key: a network address, or an (email, address) pair (kept as a
    SHA-256, so the table holds no email). Each login locks its rows, so the count and the check are one step
    whatever the concurrency."""

    __tablename__ = "login_throttles"
    __table_args__ = (
        CheckConstraint("kind IN ('address', 'pair')", name="kind"),
        CheckConstraint("failures >= 0", name="failures_not_negative"),
        Index("ix_login_throttles_last_failure_at", "last_failure_at"),
    )

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
