"""Reading the senior roles (the list with each role's mandatory programme is the catalogue's:
`app.programmes.selectors.list_roles`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.roles.models import Role


def existing_role_codes(db: Session, codes: Iterable[str]) -> set[str]:
    """Which of these role codes are roles."""
    return set(db.scalars(select(Role.code).where(Role.code.in_(list(codes)))))


def role_names(db: Session) -> list[tuple[str, str, str]]:
    """Every role as (code, Hebrew name, English name), by Hebrew name: for choosing one in a form."""
    stmt = select(Role.code, Role.name_he, Role.name_en).order_by(Role.name_he, Role.code)
    return [(code, he, en) for code, he, en in db.execute(stmt)]
