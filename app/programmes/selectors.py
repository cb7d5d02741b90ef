"""Reading the programme catalogue: programmes with their parts, and which mandatory programme each role owes."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Subquery, and_, select
from sqlalchemy.orm import Session

from app.db import AnySelect, count_of, paged
from app.errors import NotFound
from app.programmes.models import Programme, ProgrammeAssessment, ProgrammeModule, ProgrammeRole
from app.programmes.rules import ProgrammeKind
from app.programmes.schemas import AssessmentRead, ModuleRead, ProgrammeRead
from app.roles.models import Role
from app.roles.schemas import RoleRead
from app.schemas import Page


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


def mandatory_programme_ids(db: Session, *, role_code: str) -> list[int]:
    """The ids of the mandatory programmes a role owes."""
    owed = mandatory_programme_of_role()
    return list(db.scalars(select(owed.c.programme_id).where(owed.c.role_code == role_code)))


def mandatory_role_codes(db: Session, *, programme_id: int) -> list[str]:
    """The roles that owe a programme (none unless it is mandatory)."""
    owed = mandatory_programme_of_role()
    return list(db.scalars(select(owed.c.role_code).where(owed.c.programme_id == programme_id)))


def list_roles(db: Session, *, limit: int, offset: int) -> Page[RoleRead]:
    """Every role with the code of its mandatory programme, by code; and how many roles there are."""
    rows, total = paged(db, _roles_query(), limit=limit, offset=offset)
    items = [
        RoleRead(code=code, name_he=name_he, name_en=name_en, mandatory_programme_code=programme_code)
        for code, name_he, name_en, programme_code in rows
    ]
    return Page(items=items, total=total)


@lru_cache(maxsize=1)
def _roles_query() -> AnySelect:
    """The roles with their mandatory programme, by code (built once: a statement keeps its cache key)."""
    owed = mandatory_programme_of_role()
    return (
        select(Role.code, Role.name_he, Role.name_en, owed.c.programme_code)
        .outerjoin(owed, owed.c.role_code == Role.code)
        .order_by(Role.code)
    )


def role_codes_of(db: Session, programme_ids: list[int]) -> dict[int, list[str]]:
    """The role codes of each programme, in one query."""
    out: dict[int, list[str]] = {pid: [] for pid in programme_ids}
    if programme_ids:
        stmt = (
            select(ProgrammeRole.programme_id, ProgrammeRole.role_code)
            .where(ProgrammeRole.programme_id.in_(programme_ids))
            .order_by(ProgrammeRole.role_code)
        )
        for pid, code in db.execute(stmt):
            out[pid].append(code)
    return out


def _read(db: Session, programmes: list[Programme]) -> list[ProgrammeRead]:
    """Programmes with their roles, modules and assessments, in one query each, in the order given."""
    ids = [p.id for p in programmes]
    roles = role_codes_of(db, ids)
    modules: dict[int, list[ModuleRead]] = {pid: [] for pid in ids}
    assessments: dict[int, list[AssessmentRead]] = {pid: [] for pid in ids}
    if ids:
        for m in db.scalars(
            select(ProgrammeModule).where(ProgrammeModule.programme_id.in_(ids)).order_by(ProgrammeModule.position)
        ):
            modules[m.programme_id].append(ModuleRead.model_validate(m))
        for a in db.scalars(
            select(ProgrammeAssessment)
            .where(ProgrammeAssessment.programme_id.in_(ids))
            .order_by(ProgrammeAssessment.id)
        ):
            assessments[a.programme_id].append(AssessmentRead.model_validate(a))
    return [
        ProgrammeRead.model_validate(
            {
                **{k: getattr(p, k) for k in ProgrammeRead.model_fields if hasattr(Programme, k)},
                "role_codes": roles[p.id],
                "modules": modules[p.id],
                "assessments": assessments[p.id],
            }
        )
        for p in programmes
    ]


def read_programmes(db: Session, ids: list[int]) -> list[ProgrammeRead]:
    """The programmes with these ids, with their roles, modules and assessments, in the order of the ids."""
    found = {p.id: p for p in db.scalars(select(Programme).where(Programme.id.in_(ids)))} if ids else {}
    return _read(db, [found[i] for i in ids if i in found])


def read_programme(db: Session, *, programme_id: int) -> ProgrammeRead:
    """One programme by id, with its roles, modules and assessments (the programme of a cohort: it exists)."""
    return read_programmes(db, [programme_id])[0]


def list_programmes(db: Session, *, kind: ProgrammeKind | None, limit: int, offset: int) -> Page[ProgrammeRead]:
    """The catalogue, by code, maybe of one kind; and how many programmes match."""
    stmt = select(Programme)
    if kind:
        stmt = stmt.where(Programme.kind == kind)
    total = count_of(db, stmt)
    rows = list(db.scalars(stmt.order_by(Programme.code).limit(limit).offset(offset)))
    return Page(items=_read(db, rows), total=total)


def get_programme(db: Session, *, code: str) -> ProgrammeRead:
    """One programme by code, with its parts; 404 when there is none."""
    programme = db.scalar(select(Programme).where(Programme.code == code))
    if programme is None:
        raise NotFound(f"no programme has the code {code!r}")
    return _read(db, [programme])[0]


def programme_titles(db: Session, *, kind: ProgrammeKind | None = None) -> list[tuple[str, str, str]]:
    """Every programme (of the kind, when given) as (code, Hebrew title, English title), by Hebrew title: for naming
    programmes in lists and choosing one in a form."""
    stmt = select(Programme.code, Programme.title_he, Programme.title_en).order_by(Programme.title_he, Programme.code)
    if kind is not None:
        stmt = stmt.where(Programme.kind == kind)
    return [(code, he, en) for code, he, en in db.execute(stmt)]
