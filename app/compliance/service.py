"""Requirements: created by appointments, satisfied by completions, judged as of a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import and_, func, literal, select, update
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

from app.audit.service import add_and_record, record_change, record_event, snapshot
from app.auth import Principal
from app.clock import now_utc, today
from app.compliance.models import Completion, Requirement, RequirementRequest
from app.compliance.queries import status_query
from app.compliance.rules import RequirementStatus, decision_date_problem, due_date_for, extension_problem
from app.compliance.schemas import CompletionCreate
from app.db import AnySelect
from app.errors import Conflict, Invalid, NotFound
from app.officials.models import Appointment
from app.programmes.models import Programme, ProgrammeRole


def _mandatory_programmes_for_role(session: Session, role_code: str) -> list[Programme]:
    stmt = (
        select(Programme)
        .join(ProgrammeRole, ProgrammeRole.programme_id == Programme.id)
        .where(ProgrammeRole.role_code == role_code, Programme.kind == "mandatory")
    )
    return list(session.scalars(stmt))


def _add_requirement(session: Session, *, appointment: Appointment, programme: Programme, actor: Principal) -> None:
    requirement = Requirement(
        appointment_id=appointment.id,
        programme_id=programme.id,
        due_date=due_date_for(appointment.start_date),
        created_at=now_utc(),
    )
    add_and_record(session, requirement, actor=actor, entity_type="requirement")


def create_requirements_for_appointment(session: Session, *, appointment: Appointment, actor: Principal) -> None:
    """Rule 1: an appointment to a role with a mandatory programme owes it within 24 months."""
    for programme in _mandatory_programmes_for_role(session, appointment.role_code):
        _add_requirement(session, appointment=appointment, programme=programme, actor=actor)


def create_requirements_for_programme(
    session: Session, *, programme: Programme, role_codes: list[str], actor: Principal
) -> int:
    """A new mandatory programme of a role is owed by every appointment to that role that lacks it."""
    owing = select(Appointment).where(
        Appointment.role_code.in_(role_codes),
        ~select(Requirement.id)
        .where(Requirement.appointment_id == Appointment.id, Requirement.programme_id == programme.id)
        .exists(),
    )
    count = 0
    for appointment in session.scalars(owing):
        _add_requirement(session, appointment=appointment, programme=programme, actor=actor)
        count += 1
    return count


def refresh_due_dates(session: Session, *, appointment: Appointment, actor: Principal) -> None:
    """After a start date is corrected, the requirement falls due 24 months after the new start."""
    for requirement in session.scalars(select(Requirement).where(Requirement.appointment_id == appointment.id)):
        due = due_date_for(appointment.start_date)
        if requirement.due_date != due:
            before = snapshot(requirement)
            requirement.due_date = due
            record_change(session, requirement, before=before, actor=actor, entity_type="requirement")


@dataclass(frozen=True)
class RequirementRow:
    """A requirement with its appointment and programme, and its status as of a date."""

    id: int
    appointment_id: int
    official_id: int
    role_code: str
    authority_code: str
    programme_code: str
    appointment_start: date
    appointment_end: date | None
    standing: RequirementStatus

    def as_dict(self) -> dict[str, Any]:
        """The fields of the public requirement record."""
        s = self.standing
        return {
            "id": self.id,
            "appointment_id": self.appointment_id,
            "role_code": self.role_code,
            "authority_code": self.authority_code,
            "programme_code": self.programme_code,
            "due_date": s.due_date,
            "status": s.status,
            "due_soon": s.due_soon,
            "late": s.late,
            "completed_on": s.completed_on,
        }


def requirement_rows(
    session: Session, *, where: AnySelect | None = None, as_of: date | None = None, scope: Any = None
) -> list[RequirementRow]:
    """Requirements (filtered by `where` on requirement ids) with their status as of the date, in one query."""
    as_of = as_of or today()

    def restrict(stmt: AnySelect) -> AnySelect:
        if where is not None:
            stmt = stmt.where(Requirement.id.in_(where))
        return scope(stmt) if scope is not None else stmt

    q = status_query(as_of, restrict).subquery("status")
    stmt = select(q).order_by(q.c.appointment_start, q.c.id)
    return [
        RequirementRow(
            id=r.id,
            appointment_id=r.appointment_id,
            official_id=r.official_id,
            role_code=r.role_code,
            authority_code=r.authority_code,
            programme_code=r.programme_code,
            appointment_start=r.appointment_start,
            appointment_end=r.appointment_end,
            standing=RequirementStatus(
                status=r.status,
                due_date=r.due_date,
                due_soon=bool(r.due_soon),
                late=bool(r.late),
                completed_on=r.completed_on,
            ),
        )
        for r in session.execute(stmt)
    ]


def official_requirements(session: Session, *, official_id: int, as_of: date, actor: Principal) -> list[RequirementRow]:
    """An official's requirements (those the caller may see) as of the date."""
    from app.auth import scope_appointments
    from app.officials.service import get_official

    get_official(session, official_id=official_id, actor=actor)
    ids = (
        select(Requirement.id)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .where(Appointment.official_id == official_id)
    )
    return requirement_rows(session, where=ids, as_of=as_of, scope=lambda s: scope_appointments(s, actor))


def record_completion(
    session: Session, *, official_id: int, data: CompletionCreate, actor: Principal
) -> tuple[Completion, str]:
    """Record a completion by an admin's decision, with its reason and the date it counts from."""
    from app.officials.service import get_official
    from app.programmes.service import require_programme

    official = get_official(session, official_id=official_id, actor=actor)
    programme = require_programme(session, code=data.programme_code)
    if data.completed_on > today():
        raise Invalid(f"completed_on: {data.completed_on} is in the future", field="completed_on")
    duplicate = session.scalar(
        select(Completion.id).where(
            and_(
                Completion.official_id == official.id,
                Completion.programme_id == programme.id,
                Completion.completed_on == data.completed_on,
            )
        )
    )
    if duplicate is not None:
        raise Conflict(
            f"this completion of {programme.code} on {data.completed_on} is already recorded",
            code="duplicate_completion",
            existing_id=duplicate,
        )
    completion = Completion(
        official_id=official.id,
        programme_id=programme.id,
        completed_on=data.completed_on,
        source="decision",
        reason=data.reason,
        recorded_by_user_id=actor.user_id,
        created_at=now_utc(),
    )
    add_and_record(session, completion, actor=actor, entity_type="completion")
    return completion, programme.code


def list_completions(session: Session, *, official_id: int, actor: Principal) -> list[tuple[Completion, str]]:
    """An official's completions, oldest first."""
    from app.officials.service import get_official

    get_official(session, official_id=official_id, actor=actor)
    stmt = (
        select(Completion, Programme.code)
        .join(Programme, Programme.id == Completion.programme_id)
        .where(Completion.official_id == official_id)
        .order_by(Completion.completed_on, Completion.id)
    )
    return [(c, code) for c, code in session.execute(stmt)]


# --- extension and exemption requests, and the auditor's decisions (rule 4) ------------------------------


def get_requirement(session: Session, *, requirement_id: int, actor: Principal) -> Requirement:
    """One requirement whose appointment the caller may see; 404 otherwise."""
    from app.auth import scope_appointments

    stmt = scope_appointments(
        select(Requirement)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .where(Requirement.id == requirement_id),
        actor,
    )
    requirement: Requirement | None = session.scalar(stmt)
    if requirement is None:
        raise NotFound(f"no requirement with id {requirement_id}")
    return requirement


def standing_of(session: Session, *, requirement_id: int, as_of: date) -> RequirementStatus | None:
    """The status of one requirement as of a date (None before its appointment starts)."""
    rows = requirement_rows(session, where=select(literal(requirement_id)), as_of=as_of)
    return rows[0].standing if rows else None


def _open_for_requests(session: Session, *, requirement: Requirement, kind: str) -> RequirementStatus:
    standing = standing_of(session, requirement_id=requirement.id, as_of=today())
    if standing is None:
        raise Conflict("the appointment of this requirement has not started yet", code="not_started_yet")
    if standing.status in ("completed", "exempt", "closed"):
        raise Conflict(f"the requirement is {standing.status}; there is nothing to {kind}", code="requirement_done")
    pending = session.scalar(
        select(RequirementRequest.id).where(
            RequirementRequest.requirement_id == requirement.id,
            RequirementRequest.kind == kind,
            RequirementRequest.state == "pending",
        )
    )
    if pending is not None:
        raise Conflict(
            f"a {kind} request for this requirement is already pending (request {pending})",
            code="duplicate_request",
            existing_id=pending,
        )
    return standing


def _add_request(session: Session, *, requirement: Requirement, actor: Principal, **values: Any) -> RequirementRequest:
    request = RequirementRequest(
        requirement_id=requirement.id,
        state="pending",
        requested_by_user_id=actor.user_id,
        requested_by_label=actor.label,
        requested_at=now_utc(),
        **values,
    )
    add_and_record(session, request, actor=actor, entity_type="requirement_request")
    return request


def request_extension(
    session: Session, *, requirement_id: int, requested_due_date: date, reason: str, actor: Principal
) -> RequirementRequest:
    """Ask to move a requirement's due date later; an auditor decides."""
    requirement = get_requirement(session, requirement_id=requirement_id, actor=actor)
    standing = _open_for_requests(session, requirement=requirement, kind="extension")
    problem = extension_problem(requested_due_date, current_due_date=standing.due_date)
    if problem:
        raise Invalid(f"requested_due_date: {problem}", field="requested_due_date")
    return _add_request(
        session,
        requirement=requirement,
        actor=actor,
        kind="extension",
        requested_due_date=requested_due_date,
        reason=reason,
    )


def request_exemption(
    session: Session, *, requirement_id: int, reason_code: str, reason: str, actor: Principal
) -> RequirementRequest:
    """Ask to lift a requirement, with a reason code from the fixed list and text; an auditor decides."""
    requirement = get_requirement(session, requirement_id=requirement_id, actor=actor)
    _open_for_requests(session, requirement=requirement, kind="exemption")
    return _add_request(
        session, requirement=requirement, actor=actor, kind="exemption", reason_code=reason_code, reason=reason
    )


def decide_request(
    session: Session, *, request_id: int, approve: bool, note: str, decided_on: date | None, actor: Principal
) -> RequirementRequest:
    """An auditor's decision, effective on its date; one decision per request, however many arrive at once."""
    request = session.get(RequirementRequest, request_id)
    if request is None:
        raise NotFound(f"no request with id {request_id}")
    decided_on = decided_on or today()
    problem = decision_date_problem(decided_on, today=today())
    if problem:
        raise Invalid(f"decided_on: {problem}", field="decided_on")
    if approve and request.kind == "extension" and request.requested_due_date is not None:
        standing = standing_of(session, requirement_id=request.requirement_id, as_of=decided_on)
        current = standing.due_date if standing else session.get(Requirement, request.requirement_id).due_date  # type: ignore[union-attr]
        problem = extension_problem(request.requested_due_date, current_due_date=current)
        if problem:
            raise Conflict(f"cannot approve: {problem} on {decided_on}", code="extension_not_later")
    before = snapshot(request)
    # The state check and the change are one statement: of two decisions racing, only one finds it pending.
    changed = cast(  # an UPDATE's result is a cursor result, with its row count
        "CursorResult[Any]",
        session.execute(
            update(RequirementRequest)
            .where(RequirementRequest.id == request.id, RequirementRequest.state == "pending")
            .values(
                state="approved" if approve else "refused",
                decided_on=decided_on,
                decided_at=now_utc(),
                decided_by_user_id=actor.user_id,
                decision_note=note,
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if changed != 1:
        raise Conflict(f"request {request.id} was already decided", code="already_decided")
    session.refresh(request)
    record_event(
        session,
        actor=actor,
        action="update",
        entity_type="requirement_request",
        entity_id=request.id,
        before=before,
        after=snapshot(request),
    )
    return request


def list_requests(
    session: Session,
    *,
    actor: Principal,
    requirement_id: int | None = None,
    state: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RequirementRequest], int]:
    """Requests the caller may see (by the scope of their requirement's appointment), oldest pending first."""
    from app.auth import scope_appointments

    stmt = scope_appointments(
        select(RequirementRequest)
        .join(Requirement, Requirement.id == RequirementRequest.requirement_id)
        .join(Appointment, Appointment.id == Requirement.appointment_id),
        actor,
    )
    if requirement_id is not None:
        stmt = stmt.where(RequirementRequest.requirement_id == requirement_id)
    if state:
        stmt = stmt.where(RequirementRequest.state == state)
    if kind:
        stmt = stmt.where(RequirementRequest.kind == kind)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(RequirementRequest.requested_at, RequirementRequest.id).limit(limit).offset(offset)
    )
    return list(rows), total
