"""Writing the audit trail and the access log: each record in the same transaction as the change or the read it
records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session

from app.audit.models import AccessRecord, AuditEvent
from app.audit.rules import AccessKind
from app.auth import Principal
from app.clock import now_utc


def snapshot(obj: Any, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The column values of a mapped object, as JSON-safe data."""
    out: dict[str, Any] = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in exclude:
            continue
        value = getattr(obj, attr.key)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = float(value)
        out[attr.key] = value
    return out


def record_event(
    db: Session,
    *,
    actor: Principal,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event for a change the caller made in this transaction."""
    event = AuditEvent(
        at=now_utc(),
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        address=actor.address,
    )
    # Flushed with the next query or at commit: an event never needs its own round trip.
    db.add(event)
    return event


def _key(obj: Any) -> str:
    identity = inspect(obj).identity
    assert identity is not None, "flush before recording"
    return "/".join(str(part) for part in identity)


def add_and_record(db: Session, obj: Any, *, actor: Principal, entity_type: str, exclude: tuple[str, ...] = ()) -> None:
    """Add a new record, flush it so it has its key, and write its creation to the trail."""
    db.add(obj)
    db.flush()
    record_event(
        db,
        actor=actor,
        action="create",
        entity_type=entity_type,
        entity_id=_key(obj),
        after=snapshot(obj, exclude=exclude),
    )


def record_change(
    db: Session,
    obj: Any,
    *,
    before: dict[str, Any],
    actor: Principal,
    entity_type: str,
    action: str = "update",
    exclude: tuple[str, ...] = (),
) -> bool:
    """Flush a changed record and write it before and after to the trail; False (nothing written) if unchanged."""
    db.flush()
    after = snapshot(obj, exclude=exclude)
    if after == before:
        return False
    record_event(
        db, actor=actor, action=action, entity_type=entity_type, entity_id=_key(obj), before=before, after=after
    )
    return True


_INSERT_ACCESS = insert(AccessRecord)


def record_access(
    db: Session,
    *,
    actor: Principal,
    kind: AccessKind,
    subject: str,
    official_ids: Iterable[int] = (),
    detail: dict[str, Any] | None = None,
) -> None:
    """Log a read or an export of personal data: one row for each official whose data it reached, or one row
    without an official for a read of many (an export of a whole report says its filters in `detail`).

    An official reading their own data is not logged: the log is of who reached someone else's data."""
    named = set(official_ids)
    others = sorted(named - {actor.official_id}) if actor.official_id is not None else sorted(named)
    if named and not others:
        return
    at = now_utc()
    whose: list[int | None] = [*others] or [None]
    row = {
        "at": at,
        "actor_user_id": actor.user_id,
        "actor_label": actor.label[:200],
        "actor_role": str(actor.role)[:20],
        "address": actor.address,
        "kind": kind,
        "subject": subject[:200],
        "detail": detail,
    }
    # One statement built once, its rows sent as multi-row INSERTs by the driver (SQLAlchemy's "insertmanyvalues"),
    # not one statement per row; on the session's connection, so in its transaction, without the ORM's bookkeeping.
    db.connection().execute(_INSERT_ACCESS, [{**row, "official_id": official_id} for official_id in whose])


def record_list(db: Session, *, actor: Principal, subject: str, official_ids: Iterable[int]) -> None:
    """Log a list on screen that names officials (the registry, a roster, requirement rows): one row for each
    official on it; a list that names no one is not logged."""
    named = set(official_ids)
    if named:
        record_access(db, actor=actor, kind=AccessKind.LIST, subject=subject, official_ids=named)


def record_read(db: Session, *, actor: Principal, subject: str, official_id: int) -> None:
    """Log a read on screen of one official's data (record, requirements, enrolments, completions, hours)."""
    record_access(db, actor=actor, kind=AccessKind.OFFICIAL_RECORD, subject=subject, official_ids=[official_id])
