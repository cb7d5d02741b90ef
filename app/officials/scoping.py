"""Who may see which records, decided here only: every query over officials, appointments or what hangs on them
(requirements, enrolments, attendance, certificates) is narrowed by one of these."""

from __future__ import annotations

from sqlalchemy import false, select

from app.auth import LIAISON, OFFICIAL, STAFF, Principal
from app.db import AnySelect
from app.officials.models import Appointment, Official


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
