"""The audit trail: who changed what, when, with the record before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.audit.rules import AccessKind
from app.db import Base, UTCDateTime, one_of


class AuditEvent(Base):
    """One change or login; rows are only ever inserted."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_actor", "actor_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    address: Mapped[str | None] = mapped_column(String(64))


class AccessRecord(Base):
    """One read or export of a person's data: who, when, from where, what, and whose; only ever inserted."""

    __tablename__ = "access_log"
    __table_args__ = (
        CheckConstraint(one_of("kind", AccessKind), name="kind_known"),
        Index("ix_access_log_official", "official_id", "at"),
        Index("ix_access_log_actor", "actor_user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    actor_label: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))  # the route read, e.g. "/api/v1/officials/7/transcript"
    # Whose data: the official, when the read is of one person (an export of many names none; see detail).
    official_id: Mapped[int | None]
    # The filters of a search or an export; none is NULL (not the JSON text "null", which each row would encode).
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
