"""Requirements: created by appointments, satisfied by completions, judged as of a date."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, or_, select, tuple_
from sqlalchemy.orm import Session

from app.audit.service import record_event, snapshot
from app.auth import Principal
from app.clock import now_utc, today
from app.compliance.models import Completion, Requirement
from app.compliance.rules import RequirementFacts, RequirementStatus, due_date_for, status_as_of
from app.compliance.schemas import CompletionCreate
from app.errors import Conflict, Invalid
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
    session.add(requirement)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        entity_type="requirement",
        entity_id=requirement.id,
        after=snapshot(requirement),
    )


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
            session.flush()
            record_event(
                session,
                actor=actor,
                action="update",
                entity_type="requirement",
                entity_id=requirement.id,
                before=before,
                after=snapshot(requirement),
            )


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
    session: Session, *, where: Select[Any] | None = None, as_of: date | None = None, scope: Any = None
) -> list[RequirementRow]:
    """Requirements (filtered by `where` on requirement ids) with their status as of the date, set-based."""
    as_of = as_of or today()
    stmt = (
        select(
            Requirement.id,
            Requirement.appointment_id,
            Requirement.due_date,
            Requirement.programme_id,
            Appointment.official_id,
            Appointment.role_code,
            Appointment.authority_code,
            Appointment.start_date,
            Appointment.end_date,
            Programme.code,
            Programme.validity_years,
        )
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .join(Programme, Programme.id == Requirement.programme_id)
        .where(Appointment.start_date <= as_of)
        .order_by(Appointment.start_date, Requirement.id)
    )
    if where is not None:
        stmt = stmt.where(Requirement.id.in_(where))
    if scope is not None:
        stmt = scope(stmt)
    rows = session.execute(stmt).all()
    pairs = {(r.official_id, r.programme_id) for r in rows}
    completions: dict[tuple[int, int], list[date]] = defaultdict(list)
    if pairs:
        found = session.execute(
            select(Completion.official_id, Completion.programme_id, Completion.completed_on).where(
                tuple_(Completion.official_id, Completion.programme_id).in_(list(pairs)),
                Completion.completed_on <= as_of,
            )
        )
        for official_id, programme_id, completed_on in found:
            completions[(official_id, programme_id)].append(completed_on)
    cohort_ends = enrolled_cohort_ends(session, pairs=pairs, as_of=as_of)
    out = []
    for r in rows:
        facts = RequirementFacts(
            appointment_start=r.start_date,
            appointment_end=r.end_date,
            due_date=r.due_date,
            validity_years=r.validity_years,
            completions=tuple(completions[(r.official_id, r.programme_id)]),
            enrolled_cohort_ends=tuple(cohort_ends[(r.official_id, r.programme_id)]),
        )
        out.append(
            RequirementRow(
                id=r.id,
                appointment_id=r.appointment_id,
                official_id=r.official_id,
                role_code=r.role_code,
                authority_code=r.authority_code,
                programme_code=r.code,
                appointment_start=r.start_date,
                appointment_end=r.end_date,
                standing=status_as_of(facts, as_of),
            )
        )
    return out


def enrolled_cohort_ends(
    session: Session, *, pairs: set[tuple[int, int]], as_of: date
) -> dict[tuple[int, int], list[date]]:
    """End dates of the cohorts each (official, programme) was enrolled in (holding a seat) on the date."""
    from app.cohorts.models import Cohort, Enrolment

    out: dict[tuple[int, int], list[date]] = defaultdict(list)
    if not pairs:
        return out
    stmt = (
        select(Enrolment.official_id, Cohort.programme_id, Cohort.end_date)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(
            tuple_(Enrolment.official_id, Cohort.programme_id).in_(list(pairs)),
            Enrolment.status.in_(("enrolled", "completed", "not_completed", "withdrawn")),
            Enrolment.enrolled_on <= as_of,
            or_(Enrolment.ended_on.is_(None), Enrolment.ended_on > as_of),
        )
    )
    for official_id, programme_id, end in session.execute(stmt):
        out[(official_id, programme_id)].append(end)
    return out


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
    session.add(completion)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        entity_type="completion",
        entity_id=completion.id,
        after=snapshot(completion),
    )
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
