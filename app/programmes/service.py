"""Use cases of the programme catalogue."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import record_event
from app.auth import Principal
from app.clock import now_utc
from app.errors import Conflict, Invalid, NotFound
from app.programmes.models import Programme, ProgrammeAssessment, ProgrammeModule, ProgrammeRole
from app.programmes.rules import ProgrammeKind
from app.programmes.schemas import AssessmentIn, ModuleIn, ProgrammeCreate, ProgrammeRead, ProgrammeUpdate
from app.roles.models import Role


def role_codes_of(session: Session, programme_ids: list[int]) -> dict[int, list[str]]:
    """The role codes of each programme, in one query."""
    out: dict[int, list[str]] = {pid: [] for pid in programme_ids}
    if programme_ids:
        stmt = (
            select(ProgrammeRole.programme_id, ProgrammeRole.role_code)
            .where(ProgrammeRole.programme_id.in_(programme_ids))
            .order_by(ProgrammeRole.role_code)
        )
        for pid, code in session.execute(stmt):
            out[pid].append(code)
    return out


def create_programme(session: Session, *, data: ProgrammeCreate, actor: Principal) -> Programme:
    """Add a programme; a role owes at most one mandatory programme. The appointments that then owe it get their
    requirements from `app.officials.service.add_requirements_for_programme`."""
    if session.scalar(select(Programme.id).where(Programme.code == data.code)) is not None:
        raise Conflict(f"a programme with code {data.code!r} already exists", code="duplicate_programme", field="code")
    known = set(session.scalars(select(Role.code).where(Role.code.in_(data.role_codes))))
    unknown = [c for c in data.role_codes if c not in known]
    if unknown:
        raise Invalid(f"role_codes: unknown role codes {unknown}", field="role_codes", code="unknown_role")
    if data.kind == ProgrammeKind.MANDATORY:
        if not data.role_codes:
            raise Invalid("role_codes: a mandatory programme names the roles that owe it", field="role_codes")
        taken = session.execute(
            select(ProgrammeRole.role_code, Programme.code)
            .join(Programme, Programme.id == ProgrammeRole.programme_id)
            .where(Programme.kind == ProgrammeKind.MANDATORY, ProgrammeRole.role_code.in_(data.role_codes))
        ).all()
        if taken:
            pairs = ", ".join(f"{r} owes {p}" for r, p in taken)
            raise Conflict(
                f"a role owes one mandatory programme; already: {pairs}",
                code="role_has_mandatory",
                field="role_codes",
            )
    now = now_utc()
    programme = Programme(
        **data.model_dump(exclude={"role_codes", "modules", "assessments"}), created_at=now, updated_at=now
    )
    session.add(programme)
    session.flush()
    session.add_all(ProgrammeRole(programme_id=programme.id, role_code=c) for c in data.role_codes)
    _replace_parts(session, programme=programme, modules=data.modules, assessments=data.assessments)
    record_event(
        session,
        actor=actor,
        action="create",
        entity_type="programme",
        entity_id=programme.id,
        after=_full_snapshot(session, programme),
    )
    return programme


def get_programme(session: Session, *, code: str) -> Programme:
    """One programme by code; 404 when there is none."""
    programme = session.scalar(select(Programme).where(Programme.code == code))
    if programme is None:
        raise NotFound(f"no programme has the code {code!r}")
    return programme


def require_programme(session: Session, *, code: str, field: str = "programme_code") -> Programme:
    """The programme a request names, or a 422 that names the field and the code."""
    programme = session.scalar(select(Programme).where(Programme.code == code))
    if programme is None:
        raise Invalid(f"{field}: there is no programme with code {code!r}", field=field, code="unknown_programme")
    return programme


def list_programmes(session: Session, *, kind: str | None, limit: int, offset: int) -> tuple[list[Programme], int]:
    """The catalogue, by code."""
    stmt = select(Programme)
    if kind:
        stmt = stmt.where(Programme.kind == kind)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return list(session.scalars(stmt.order_by(Programme.code).limit(limit).offset(offset))), total


def _replace_parts(
    session: Session, *, programme: Programme, modules: list[ModuleIn] | None, assessments: list[AssessmentIn] | None
) -> None:
    if modules is not None:
        for old in session.scalars(select(ProgrammeModule).where(ProgrammeModule.programme_id == programme.id)):
            session.delete(old)
        session.add_all(
            ProgrammeModule(programme_id=programme.id, position=i, **m.model_dump()) for i, m in enumerate(modules, 1)
        )
    if assessments is not None:
        for old_a in session.scalars(
            select(ProgrammeAssessment).where(ProgrammeAssessment.programme_id == programme.id)
        ):
            session.delete(old_a)
        session.flush()
        session.add_all(ProgrammeAssessment(programme_id=programme.id, **a.model_dump()) for a in assessments)
    session.flush()


def _full_snapshot(session: Session, programme: Programme) -> dict[str, object]:
    return read_programmes(session, [programme])[0].model_dump(mode="json")


def update_programme(session: Session, *, code: str, data: ProgrammeUpdate, actor: Principal) -> Programme:
    """Change a programme; cohorts already created keep the rules they were opened under."""
    programme = get_programme(session, code=code)
    before = _full_snapshot(session, programme)
    for key in data.model_fields_set - {"modules", "assessments"}:
        setattr(programme, key, getattr(data, key))
    _replace_parts(
        session,
        programme=programme,
        modules=data.modules if "modules" in data.model_fields_set else None,
        assessments=data.assessments if "assessments" in data.model_fields_set else None,
    )
    programme.updated_at = now_utc()
    session.flush()
    after = _full_snapshot(session, programme)
    if after != before:
        record_event(
            session,
            actor=actor,
            action="update",
            entity_type="programme",
            entity_id=programme.id,
            before=before,
            after=after,
        )
    return programme


def read_programmes(session: Session, programmes: list[Programme]) -> list[ProgrammeRead]:
    """Programmes with their roles, modules and assessments, in one query each."""
    ids = [p.id for p in programmes]
    roles = role_codes_of(session, ids)
    modules: dict[int, list[ProgrammeModule]] = {pid: [] for pid in ids}
    assessments: dict[int, list[ProgrammeAssessment]] = {pid: [] for pid in ids}
    if ids:
        for m in session.scalars(
            select(ProgrammeModule).where(ProgrammeModule.programme_id.in_(ids)).order_by(ProgrammeModule.position)
        ):
            modules[m.programme_id].append(m)
        for a in session.scalars(
            select(ProgrammeAssessment)
            .where(ProgrammeAssessment.programme_id.in_(ids))
            .order_by(ProgrammeAssessment.id)
        ):
            assessments[a.programme_id].append(a)
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
