"""JSON routes of the audit trail (read only: no route changes or deletes it)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from app.audit import selectors
from app.audit.schemas import AuditEventRead
from app.schemas import MAX_ID
from app.web.deps import SessionDep, Staff
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


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
