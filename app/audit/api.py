"""JSON routes of the audit trail and the access log (read only: no route changes or deletes them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.audit import selectors
from app.audit.rules import AccessKind
from app.audit.schemas import AccessRecordRead, AuditEventRead
from app.auth import AUDITOR, Principal
from app.schemas import MAX_ID
from app.web.deps import SessionDep, Staff, allow
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page
from app.web.routing import Router

router = Router(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEventRead], responses=responses(401, 403, 422))
def list_audit_events(
    db: SessionDep,
    _: Staff,
    entity_type: str | None = Query(default=None, max_length=40, description="e.g. official, appointment, user"),
    entity_id: str | None = Query(default=None, max_length=64),
    user_id: int | None = Query(default=None, ge=1, le=MAX_ID, description="Changes made by this user."),
    action: str | None = Query(default=None, max_length=40, description="create, update, login, login_failed"),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditEventRead]:
    """The audit trail, newest first, filtered by record and by user. Admins and auditors."""
    return selectors.list_events(
        db,
        entity_type=entity_type,
        entity_id=entity_id,
        user_id=user_id,
        action=action,
        limit=limit,
        offset=offset,
    )


AuditorOnly = Annotated[Principal, allow(AUDITOR)]


@router.get("/access-log", response_model=Page[AccessRecordRead], responses=responses(401, 403, 422))
def list_access_log(
    db: SessionDep,
    _: AuditorOnly,
    official_id: int | None = Query(default=None, ge=1, le=MAX_ID, description="Reads of this official's data."),
    user_id: int | None = Query(default=None, ge=1, le=MAX_ID, description="Reads by this user."),
    kind: AccessKind | None = Query(default=None),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AccessRecordRead]:
    """Who read or exported which person's data (records, national-ID searches, transcripts, credentials,
    certificates, exports), newest first. Auditors only: the admins whose reads it records may not read it."""
    return selectors.list_access(db, official_id=official_id, user_id=user_id, kind=kind, limit=limit, offset=offset)
