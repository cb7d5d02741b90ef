"""Extension and exemption requests of requirements, and the auditors' decisions on them (rule 4)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

from app.audit.selectors import made_or_changed_by
from app.audit.service import add_and_record, record_event, snapshot
from app.auth import Principal
from app.clock import local_date, now_utc, today
from app.compliance.models import RequirementRequest
from app.compliance.rules import (
    SETTLED,
    RequestKind,
    RequestState,
    Standing,
    decision_date_problem,
    extension_length_problem,
    extension_problem,
)
from app.compliance.selectors import standing_of
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.notifications.service import NewMessage, absolute_link, queue_message
from app.officials.models import Appointment, Requirement
from app.officials.selectors import recipients_of
from app.officials.service import get_requirement
from app.programmes.models import Programme


def _open_for_requests(db: Session, *, requirement: Requirement, kind: str) -> Standing:
    standing = standing_of(db, requirement_id=requirement.id, as_of=today())
    if standing is None:
        raise Conflict("the appointment of this requirement has not started yet", code="not_started_yet")
    if standing.status in SETTLED:
        raise Conflict(f"the requirement is {standing.status}; there is nothing to {kind}", code="requirement_done")
    pending = db.scalar(
        select(RequirementRequest.id).where(
            RequirementRequest.requirement_id == requirement.id,
            RequirementRequest.kind == kind,
            RequirementRequest.state == RequestState.PENDING,
        )
    )
    if pending is not None:
        raise Conflict(
            f"a {kind} request for this requirement is already pending (request {pending})",
            code="duplicate_request",
            existing_id=pending,
        )
    return standing


def _add_request(db: Session, *, requirement: Requirement, actor: Principal, **values: Any) -> RequirementRequest:
    request = RequirementRequest(
        requirement_id=requirement.id,
        state=RequestState.PENDING,
        requested_by_user_id=actor.user_id,
        requested_by_label=actor.label,
        requested_at=now_utc(),
        **values,
    )
    add_and_record(db, request, actor=actor, entity_type="requirement_request")
    return request


def request_extension(
    db: Session, *, requirement_id: int, requested_due_date: date, reason: str, actor: Principal
) -> RequirementRequest:
    """Ask to move a requirement's due date later; an auditor decides."""
    requirement = get_requirement(db, requirement_id=requirement_id, actor=actor)
    standing = _open_for_requests(db, requirement=requirement, kind=RequestKind.EXTENSION)
    problem = extension_problem(requested_due_date, current_due_date=standing.due_date) or extension_length_problem(
        requested_due_date, current_due_date=standing.due_date, max_months=get_settings().max_extension_months
    )
    if problem:
        raise Invalid(f"requested_due_date: {problem}", field="requested_due_date")
    return _add_request(
        db,
        requirement=requirement,
        actor=actor,
        kind=RequestKind.EXTENSION,
        requested_due_date=requested_due_date,
        reason=reason,
    )


def request_exemption(
    db: Session, *, requirement_id: int, reason_code: str, reason: str, actor: Principal
) -> RequirementRequest:
    """Ask to lift a requirement, with a reason code from the fixed list and text; an auditor decides."""
    requirement = get_requirement(db, requirement_id=requirement_id, actor=actor)
    _open_for_requests(db, requirement=requirement, kind=RequestKind.EXEMPTION)
    return _add_request(
        db,
        requirement=requirement,
        actor=actor,
        kind=RequestKind.EXEMPTION,
        reason_code=reason_code,
        reason=reason,
    )


def decide_request(
    db: Session,
    *,
    request_id: int,
    approve: bool,
    note: str,
    decided_on: date | None,
    actor: Principal,
    new_due_date: date | None = None,
) -> RequirementRequest:
    """An auditor's decision, effective on its date; one decision per request, however many arrive at once.
    Approving an extension sets the date asked for, or `new_due_date` when the auditor grants another (within the
    same limits; the date asked for stays in the audit trail)."""
    request = db.get(RequirementRequest, request_id)
    if request is None:
        raise NotFound(f"no request with id {request_id}")
    filer = request.requested_by_user_id
    if filer is not None and actor.user_id is not None:
        if filer == actor.user_id:
            raise Forbidden("you filed this request: another auditor decides it", code="separation_of_duties")
        if made_or_changed_by(db, entity_type="user", entity_id=actor.user_id, actor_user_id=filer, field="role"):
            raise Forbidden(
                "the account that filed this request created or promoted yours: another auditor decides it",
                code="separation_of_duties",
            )
    decided_on = decided_on or today()
    problem = decision_date_problem(decided_on, requested_on=local_date(request.requested_at), today=today())
    if problem:
        raise Invalid(f"decided_on: {problem}", field="decided_on")
    granted = request.requested_due_date
    if approve and request.kind == RequestKind.EXTENSION and new_due_date is not None:
        granted = new_due_date
    if approve and request.kind == RequestKind.EXTENSION and granted is not None:
        standing = standing_of(db, requirement_id=request.requirement_id, as_of=decided_on)
        current = (
            standing.due_date
            if standing
            else get_requirement(db, requirement_id=request.requirement_id, actor=actor).due_date
        )
        problem = extension_problem(granted, current_due_date=current)
        if problem:
            raise Conflict(f"cannot approve: {problem} on {decided_on}", code="extension_not_later")
        max_months = get_settings().max_extension_months
        problem = extension_length_problem(granted, current_due_date=current, max_months=max_months)
        if problem:
            raise Conflict(f"cannot approve: {problem} on {decided_on}", code="extension_too_long")
    before = snapshot(request)
    # The state check and the change are one statement: of two decisions racing, only one finds it pending.
    changed = cast(  # an UPDATE's result is a cursor result, with its row count
        "CursorResult[Any]",
        db.execute(
            update(RequirementRequest)
            .where(RequirementRequest.id == request.id, RequirementRequest.state == RequestState.PENDING)
            .values(
                state=RequestState.APPROVED if approve else RequestState.REFUSED,
                decided_on=decided_on,
                decided_at=now_utc(),
                decided_by_user_id=actor.user_id,
                decision_note=note,
                requested_due_date=granted,
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if changed != 1:
        raise Conflict(f"request {request.id} was already decided", code="already_decided")
    db.refresh(request)
    record_event(
        db,
        actor=actor,
        action="update",
        entity_type="requirement_request",
        entity_id=request.id,
        before=before,
        after=snapshot(request),
    )
    _tell_decision(db, request=request)
    return request


def _tell_decision(db: Session, *, request: RequirementRequest) -> None:
    """Tell the official of the requirement what was decided, with the due date now in force (queued with the
    decision; an official without an email address gets nothing)."""
    official_id, title_he, title_en = db.execute(
        select(Appointment.official_id, Programme.title_he, Programme.title_en)
        .select_from(Requirement)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .join(Programme, Programme.id == Requirement.programme_id)
        .where(Requirement.id == request.requirement_id)
    ).one()
    to = recipients_of(db, official_ids=[official_id]).get(official_id)
    if to is None:
        return
    assert request.decided_on is not None
    standing = standing_of(db, requirement_id=request.requirement_id, as_of=request.decided_on)
    queue_message(
        db,
        NewMessage(
            kind="decision",
            key=f"decision:{request.id}",
            to=to,
            context={
                "programme": {"he": title_he, "en": title_en},
                "request_kind": request.kind,
                "approved": request.state == RequestState.APPROVED,
                "due_on": standing.due_date if standing else None,
                "note": request.decision_note or "",
                "link": absolute_link("/me"),
            },
        ),
    )
