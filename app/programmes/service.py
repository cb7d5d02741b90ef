"""Use cases of the programme catalogue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record_event
from app.auth import Principal
from app.clock import now_utc
from app.errors import Conflict, Invalid, NotFound
from app.programmes.models import Programme, ProgrammeAssessment, ProgrammeModule, ProgrammeRole
from app.programmes.rules import ProgrammeKind
from app.programmes.schemas import AssessmentIn, ModuleIn, ProgrammeCreate, ProgrammeUpdate
from app.programmes.selectors import read_programmes
from app.roles.selectors import existing_role_codes


def create_programme(db: Session, *, data: ProgrammeCreate, actor: Principal) -> Programme:
    """Add a programme; a role owes at most one mandatory programme. The appointments that then owe it get their
    requirements from `app.officials.service.add_requirements_for_programme`."""
    if db.scalar(select(Programme.id).where(Programme.code == data.code)) is not None:
        raise Conflict(f"a programme with code {data.code!r} already exists", code="duplicate_programme", field="code")
    known = existing_role_codes(db, data.role_codes)
    unknown = [c for c in data.role_codes if c not in known]
    if unknown:
        raise Invalid(f"role_codes: unknown role codes {unknown}", field="role_codes", code="unknown_role")
    if data.kind == ProgrammeKind.MANDATORY:
        if not data.role_codes:
            raise Invalid("role_codes: a mandatory programme names the roles that owe it", field="role_codes")
        taken = db.execute(
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
    db.add(programme)
    db.flush()
    db.add_all(ProgrammeRole(programme_id=programme.id, role_code=c) for c in data.role_codes)
    _replace_parts(db, programme=programme, modules=data.modules, assessments=data.assessments)
    record_event(
        db,
        actor=actor,
        action="create",
        entity_type="programme",
        entity_id=programme.id,
        after=_full_snapshot(db, programme),
    )
    return programme


def programme_by_id(db: Session, *, programme_id: int) -> Programme:
    """The programme of a record that names it (a cohort's, a completion's): it exists."""
    programme = db.get(Programme, programme_id)
    if programme is None:
        raise NotFound(f"no programme with id {programme_id}")
    return programme


def require_programme(db: Session, *, code: str, field: str = "programme_code", offered: bool = False) -> Programme:
    """The programme a request names, or a 422 that names the field and the code. `offered`: one still in the
    catalogue (a new cohort is opened only of those), else 422 `retired_programme`."""
    programme = db.scalar(select(Programme).where(Programme.code == code))
    if programme is None:
        raise Invalid(f"{field}: there is no programme with code {code!r}", field=field, code="unknown_programme")
    if offered and programme.retired_at is not None:
        raise Invalid(
            f"{field}: the programme {code!r} is retired from the catalogue", field=field, code="retired_programme"
        )
    return programme


def _replace_parts(
    db: Session, *, programme: Programme, modules: list[ModuleIn] | None, assessments: list[AssessmentIn] | None
) -> None:
    if modules is not None:
        for old in db.scalars(select(ProgrammeModule).where(ProgrammeModule.programme_id == programme.id)):
            db.delete(old)
        db.add_all(
            ProgrammeModule(programme_id=programme.id, position=i, **m.model_dump()) for i, m in enumerate(modules, 1)
        )
    if assessments is not None:
        for old_a in db.scalars(select(ProgrammeAssessment).where(ProgrammeAssessment.programme_id == programme.id)):
            db.delete(old_a)
        db.flush()
        db.add_all(ProgrammeAssessment(programme_id=programme.id, **a.model_dump()) for a in assessments)
    db.flush()


def _full_snapshot(db: Session, programme: Programme) -> dict[str, object]:
    return read_programmes(db, [programme.id])[0].model_dump(mode="json")


def update_programme(db: Session, *, code: str, data: ProgrammeUpdate, actor: Principal) -> Programme:
    """Change a programme; cohorts already created keep the rules they were opened under."""
    programme = db.scalar(select(Programme).where(Programme.code == code))
    if programme is None:
        raise NotFound(f"no programme has the code {code!r}")
    before = _full_snapshot(db, programme)
    for key in data.model_fields_set - {"modules", "assessments"}:
        setattr(programme, key, getattr(data, key))
    _replace_parts(
        db,
        programme=programme,
        modules=data.modules if "modules" in data.model_fields_set else None,
        assessments=data.assessments if "assessments" in data.model_fields_set else None,
    )
    programme.updated_at = now_utc()
    db.flush()
    after = _full_snapshot(db, programme)
    if after != before:
        record_event(
            db,
            actor=actor,
            action="update",
            entity_type="programme",
            entity_id=programme.id,
            before=before,
            after=after,
        )
    return programme


def retire_programme(db: Session, *, code: str, actor: Principal) -> Programme:
    """Retire a programme from the catalogue: no new cohort of it is opened, while the cohorts already opened run on
    and its completions and certificates stand. A mandatory programme that roles owe stays (409 `programme_owed`):
    retiring it would leave their requirements with no training. Audited; retiring a retired one changes nothing."""
    programme = db.scalar(select(Programme).where(Programme.code == code).with_for_update())
    if programme is None:
        raise NotFound(f"no programme has the code {code!r}")
    if programme.retired_at is not None:
        return programme
    if programme.kind == ProgrammeKind.MANDATORY:
        owed = list(db.scalars(select(ProgrammeRole.role_code).where(ProgrammeRole.programme_id == programme.id)))
        if owed:
            raise Conflict(
                f"roles owe this mandatory programme ({', '.join(sorted(owed))}): it cannot be retired",
                code="programme_owed",
            )
    before = _full_snapshot(db, programme)
    programme.retired_at = programme.updated_at = now_utc()
    db.flush()
    record_event(
        db,
        actor=actor,
        action="retire",
        entity_type="programme",
        entity_id=programme.id,
        before=before,
        after=_full_snapshot(db, programme),
    )
    return programme
