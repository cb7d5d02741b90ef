"""Officials, the appointments they hold, and the requirements those appointments create (rule 1)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class Official(Base):
    """A person, identified by the Israeli ID number (9 digits, leading zeros kept)."""

    __tablename__ = "officials"

    id: Mapped[int] = mapped_column(primary_key=True)
    national_id: Mapped[str] = mapped_column(String(9), unique=True)
    first_name_he: Mapped[str] = mapped_column(String(100))
    last_name_he: Mapped[str] = mapped_column(String(100))
    first_name_en: Mapped[str | None] = mapped_column(String(100))
    last_name_en: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    search_text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Appointment(Base):
    """An official holding a role in an authority from a start date, maybe to an end date (the last day)."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        Index("ix_appointments_authority_role", "authority_code", "role_code"),
        Index("uq_appointments_holding", "official_id", "authority_code", "role_code", "start_date", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"), index=True)
    authority_code: Mapped[str] = mapped_column(ForeignKey("authorities.code", ondelete="RESTRICT"))
    role_code: Mapped[str] = mapped_column(ForeignKey("roles.code", ondelete="RESTRICT"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Requirement(Base):
    """What an appointment obliges: the mandatory programme of its role, due 24 months after its start."""

    __tablename__ = "requirements"
    __table_args__ = (Index("uq_requirements_appointment_programme", "appointment_id", "programme_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="RESTRICT"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="RESTRICT"), index=True)
    due_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
