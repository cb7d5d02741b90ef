"""Who may see which records, decided here only: every query over officials, appointments or what hangs on them
(requirements, enrolments, attendance, certificates) is narrowed by one of these."""

from __future__ import annotations

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from app.auth import LIAISON, OFFICIAL, STAFF, Principal
from app.db import AnySelect
from app.errors import NotFound
from app.officials.models import Appointment, Official, Requirement


def scope_officials(stmt: AnySelect, principal: Principal) -> AnySelect:
    """Limit a query over officials to those the caller may see."""
    if principal.role in STAFF:
        return stmt
    if principal.role == OFFICIAL:
        return stmt.where(Official.id == principal.official_id)
    if principal.role == LIAISON:
        mine = select(Appointment.official_id).where(Appointment.authority_code == principal.authority_code)
        return stmt.where(Official.id.in_(mine))
    return stmt.where(false())


def scope_appointments(stmt: AnySelect, principal: Principal) -> AnySelect:
    """Limit a query over appointments (and what hangs on them) to those the caller may see."""
    if principal.role in STAFF:
        return stmt
    if principal.role == OFFICIAL:
        return stmt.where(Appointment.official_id == principal.official_id)
    if principal.role == LIAISON:
        return stmt.where(Appointment.authority_code == principal.authority_code)
    return stmt.where(false())


def visible_official(db: Session, *, official_id: int, actor: Principal) -> Official:
    """The official, if the caller may see them; 404 otherwise (as for no such official)."""
    official: Official | None = db.scalar(scope_officials(select(Official).where(Official.id == official_id), actor))
    if official is None:
        raise NotFound(f"no official with id {official_id}")
    return official


def visible_requirement(db: Session, *, requirement_id: int, actor: Principal) -> Requirement:
    """The requirement, if the caller may see its appointment; 404 otherwise (as for no such requirement)."""
    stmt = scope_appointments(
        select(Requirement)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .where(Requirement.id == requirement_id),
        actor,
    )
    requirement: Requirement | None = db.scalar(stmt)
    if requirement is None:
        raise NotFound(f"no requirement with id {requirement_id}")
    return requirement
