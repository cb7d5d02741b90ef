"""User accounts and the record of login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.auth import UserRole
from app.db import Base, UTCDateTime, one_of


class User(Base):
    """A login: an admin, an auditor, a liaison of one authority, or an official (one person)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", UserRole), name="role"),
        CheckConstraint("role <> 'liaison' OR authority_code IS NOT NULL", name="liaison_has_authority"),
        CheckConstraint("role <> 'official' OR official_id IS NOT NULL", name="official_has_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    authority_code: Mapped[str | None] = mapped_column(ForeignKey("authorities.code", ondelete="RESTRICT"))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


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
