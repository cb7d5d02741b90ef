"""Reading the audit trail and the access log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.audit.models import AccessRecord, AuditEvent
from app.audit.schemas import AccessRecordRead, AuditEventRead
from app.db import count_of
from app.schemas import Page


def list_events(
    db: Session,
    *,
    entity_type: str | None,
    entity_id: str | None,
    user_id: int | None,
    action: str | None,
    limit: int,
    offset: int,
    since: datetime | None = None,
    before: datetime | None = None,
    oldest_first: bool = False,
) -> Page[AuditEventRead]:
    """Audit events, newest first (or oldest first), filtered by record, by user, by action and by when (from
    `since` on, before `before`); and how many match."""
    stmt = select(AuditEvent)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if before is not None:
        stmt = stmt.where(AuditEvent.at < before)
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if user_id is not None:
        stmt = stmt.where(AuditEvent.actor_user_id == user_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    total = count_of(db, stmt)
    order = AuditEvent.id.asc() if oldest_first else AuditEvent.id.desc()
    rows = db.scalars(stmt.order_by(order).limit(limit).offset(offset))
    return Page(items=[AuditEventRead.model_validate(r) for r in rows], total=total)


def event_kinds(db: Session) -> tuple[list[str], list[str]]:
    """The record types and the actions the trail holds, each sorted: the choices of its filters."""
    types = list(db.scalars(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)))
    actions = list(db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    return types, actions


def made_or_changed_by(db: Session, *, entity_type: str, entity_id: object, actor_user_id: int, field: str) -> bool:
    """Whether the user created the record, or changed the given field of it, according to the trail."""
    events = db.execute(
        select(AuditEvent.action, AuditEvent.before, AuditEvent.after).where(
            AuditEvent.entity_type == entity_type,
            AuditEvent.entity_id == str(entity_id),
            AuditEvent.actor_user_id == actor_user_id,
        )
    )
    for action, before, after in events:
        if action == "create" or (before or {}).get(field) != (after or {}).get(field):
            return True
    return False


def list_access(
    db: Session,
    *,
    official_id: int | None,
    user_id: int | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> Page[AccessRecordRead]:
    """The access log, newest first: reads of one official's data, or by one user, or of one kind."""
    stmt = select(AccessRecord)
    if official_id is not None:
        stmt = stmt.where(AccessRecord.official_id == official_id)
    if user_id is not None:
        stmt = stmt.where(AccessRecord.actor_user_id == user_id)
    if kind:
        stmt = stmt.where(AccessRecord.kind == kind)
    total = count_of(db, stmt)
    rows = db.scalars(stmt.order_by(AccessRecord.id.desc()).limit(limit).offset(offset))
    return Page(items=[AccessRecordRead.model_validate(r) for r in rows], total=total)


def history_of(db: Session, *, records: Iterable[tuple[str, object]], limit: int = 500) -> list[AuditEventRead]:
    """The trail of these records, as (entity type, id) pairs: their creation and every change, newest first, in
    one query whatever their number (a person's page: the official, appointments, requirements, enrolments...)."""
    wanted: dict[str, set[str]] = {}
    for entity_type, entity_id in records:
        wanted.setdefault(entity_type, set()).add(str(entity_id))
    if not wanted:
        return []
    stmt = select(AuditEvent).where(
        or_(
            *(
                and_(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(sorted(ids)))
                for entity_type, ids in sorted(wanted.items())
            )
        )
    )
    rows = db.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit))
    return [AuditEventRead.model_validate(r) for r in rows]
