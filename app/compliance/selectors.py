"""Reading requirements with their status as of a date, and the requests on them; scoped to the caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.clock import today
from app.compliance.models import RequirementRequest
from app.compliance.queries import Restrict, status_query
from app.compliance.rules import RequirementStatus, Standing
from app.db import AnySelect
from app.officials.models import Appointment, Requirement
from app.officials.scoping import scope_appointments
from app.officials.service import get_official


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
    due_date: date
    status: RequirementStatus
    due_soon: bool
    late: bool
    completed_on: date | None

    @property
    def standing(self) -> Standing:
        """The status part, as rule 3 states it."""
        return Standing(
            status=self.status,
            due_date=self.due_date,
            due_soon=self.due_soon,
            late=self.late,
            completed_on=self.completed_on,
        )


def requirement_rows(
    session: Session, *, where: AnySelect | None = None, as_of: date | None = None, scope: Restrict | None = None
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
            due_date=r.due_date,
            status=RequirementStatus(r.status),
            due_soon=bool(r.due_soon),
            late=bool(r.late),
            completed_on=r.completed_on,
        )
        for r in session.execute(stmt)
    ]


def official_requirements(session: Session, *, official_id: int, as_of: date, actor: Principal) -> list[RequirementRow]:
    """An official's requirements (those the caller may see) as of the date."""
    get_official(session, official_id=official_id, actor=actor)
    ids = (
        select(Requirement.id)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .where(Appointment.official_id == official_id)
    )
    return requirement_rows(session, where=ids, as_of=as_of, scope=lambda s: scope_appointments(s, actor))


def standing_of(session: Session, *, requirement_id: int, as_of: date) -> Standing | None:
    """The status of one requirement as of a date (None before its appointment starts)."""
    rows = requirement_rows(session, where=select(literal(requirement_id)), as_of=as_of)
    return rows[0].standing if rows else None


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
