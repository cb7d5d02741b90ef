"""Audit events and the access log out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.audit.rules import AccessKind


class AuditEventRead(BaseModel):
    """One change or login: who, when (UTC), what, before and after."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int | None
    actor_label: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    address: str | None


class AccessRecordRead(BaseModel):
    """One read or export of personal data: who, when (UTC), from where, what, and whose."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int | None
    actor_label: str
    actor_role: str
    address: str | None
    kind: AccessKind
    subject: str
    official_id: int | None
    detail: dict[str, Any] | None
