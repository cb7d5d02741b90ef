"""Reading the programme catalogue: programmes with their parts, and which mandatory programme each role owes."""

from __future__ import annotations

from sqlalchemy import Subquery, and_, func, select
from sqlalchemy.orm import Session

from app.programmes.models import Programme, ProgrammeRole
from app.programmes.rules import ProgrammeKind
from app.roles.models import Role


def mandatory_programme_of_role() -> Subquery:
    """A subquery: role_code -> the mandatory programme the role owes."""
    return (
        select(
            ProgrammeRole.role_code.label("role_code"),
            Programme.id.label("programme_id"),
            Programme.code.label("programme_code"),
        )
        .join(Programme, and_(Programme.id == ProgrammeRole.programme_id, Programme.kind == ProgrammeKind.MANDATORY))
        .subquery()
    )


def mandatory_programme_ids(session: Session, *, role_code: str) -> list[int]:
    """The ids of the mandatory programmes a role owes."""
    owed = mandatory_programme_of_role()
    return list(session.scalars(select(owed.c.programme_id).where(owed.c.role_code == role_code)))


def mandatory_role_codes(session: Session, *, programme_id: int) -> list[str]:
    """The roles that owe a programme (none unless it is mandatory)."""
    owed = mandatory_programme_of_role()
    return list(session.scalars(select(owed.c.role_code).where(owed.c.programme_id == programme_id)))


def list_roles(session: Session, *, limit: int, offset: int) -> tuple[list[tuple[Role, str | None]], int]:
    """Every role with the code of its mandatory programme."""
    owed = mandatory_programme_of_role()
    stmt = select(Role, owed.c.programme_code).outerjoin(owed, owed.c.role_code == Role.code)
    total = session.scalar(select(func.count()).select_from(Role)) or 0
    rows = session.execute(stmt.order_by(Role.code).limit(limit).offset(offset)).all()
    return [(r[0], r[1]) for r in rows], total
