"""Who may see which records, decided here only: every query over officials, appointments or what hangs on them
(requirements, enrolments, attendance, certificates) is narrowed by one of these.

A liaison sees the appointments (and their requirements) of their authority, current and past, since those are
the authority's record. An official, and everything that hangs on the person (their record with email and
national ID, enrolments, progress, transcript, certificates), the liaison sees only while the official holds an
appointment in the authority, or one that starts later, and for LMS_LIAISON_GRACE_DAYS after the last such
appointment ended; after that the person is simply not found, as an official of another authority."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, String, bindparam, false, or_, select
from sqlalchemy.orm import Session

from app.auth import LIAISON, OFFICIAL, STAFF, Principal
from app.clock import today
from app.config import get_settings
from app.db import AnySelect
from app.errors import NotFound
from app.officials.models import Appointment, Official, Requirement


def liaison_sees_ended_since(on: date | None = None) -> date:
    """The earliest last day of an appointment that still shows its official to the authority's liaison."""
    return (on or today()) - timedelta(days=get_settings().liaison_grace_days)


def scope_officials(stmt: AnySelect, principal: Principal) -> AnySelect:
    """Limit a query over officials (or what hangs on one) to those the caller may see."""
    if principal.role in STAFF:
        return stmt
    if principal.role == OFFICIAL:
        return stmt.where(Official.id == principal.official_id)
    if principal.role == LIAISON:
        mine = select(Appointment.official_id).where(
            Appointment.authority_code == principal.authority_code,
            or_(Appointment.end_date.is_(None), Appointment.end_date >= liaison_sees_ended_since()),
        )
        return stmt.where(Official.id.in_(mine))
    return stmt.where(false())


def scope_appointments(stmt: AnySelect, principal: Principal) -> AnySelect:
    """Limit a query over appointments (and what hangs on them) to those the caller may see."""
    return _appointments_of(stmt, principal.role, authority=principal.authority_code, official=principal.official_id)


def _appointments_of(stmt: AnySelect, role: str, *, authority: Any, official: Any) -> AnySelect:
    if role in STAFF:
        return stmt
    if role == OFFICIAL:
        return stmt.where(Appointment.official_id == official)
    if role == LIAISON:
        return stmt.where(Appointment.authority_code == authority)
    return stmt.where(false())


def scope_appointments_of_role(stmt: AnySelect, role: str, principal: Principal | None = None) -> AnySelect:
    """As scope_appointments for any caller of the role, the caller's authority and official as the bind parameters
    `scope_authority` and `scope_official` (`scope_parameters`; the principal's, when given): for a statement built
    once per role and run for any caller of it."""
    return _appointments_of(
        stmt,
        role,
        authority=bindparam("scope_authority", principal.authority_code if principal else None, type_=String),
        official=bindparam("scope_official", principal.official_id if principal else None, type_=Integer),
    )


def scope_parameters(principal: Principal) -> dict[str, Any]:
    """The values of scope_appointments_of_role's parameters for the caller."""
    return {"scope_authority": principal.authority_code, "scope_official": principal.official_id}


def visible_official(db: Session, *, official_id: int, actor: Principal) -> Official:
    """The official, if the caller may see them; 404 otherwise (as for no such official)."""
    official: Official | None = db.scalar(scope_officials(select(Official).where(Official.id == official_id), actor))
    if official is None:
        raise NotFound(f"no official with id {official_id}")
    return official


def check_official_visible(db: Session, *, official_id: int, actor: Principal) -> None:
    """404 unless the caller may see the official (as for no such official). An official asking about themselves
    costs no query: their account names their record, which a foreign key keeps in place."""
    if actor.role == OFFICIAL and actor.official_id == official_id:
        return
    if db.scalar(scope_officials(select(Official.id).where(Official.id == official_id), actor)) is None:
        raise NotFound(f"no official with id {official_id}")


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
