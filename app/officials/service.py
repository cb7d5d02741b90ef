"""Use cases of officials, their appointments, and the requirements appointments create (rule 1)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit.service import add_and_record, record_change, snapshot
from app.auth import Principal
from app.authorities.service import require_authority
from app.clock import now_utc
from app.errors import Conflict, Invalid, NotFound
from app.officials.models import Appointment, Official, Requirement
from app.officials.rules import due_date_for, normalise_national_id
from app.officials.schemas import AppointmentCreate, AppointmentUpdate, OfficialCreate, OfficialUpdate
from app.officials.scoping import scope_appointments, visible_official, visible_requirement
from app.programmes.selectors import mandatory_programme_ids, mandatory_role_codes
from app.roles.service import require_role
from app.text import name_key


def search_text_of(national_id: str, *names: str | None) -> str:
    """What an official is found by: their names in the form names are searched in (`name_key`), then their ID."""
    return " ".join(name_key(n) for n in names if n) + " " + national_id


def _search_text(o: Official) -> str:
    return search_text_of(o.national_id, o.first_name_he, o.last_name_he, o.first_name_en, o.last_name_en)


def find_official_by_national_id(db: Session, *, national_id: str) -> Official | None:
    """The official with this ID, however it was typed (leading zeros, dashes, controls)."""
    return db.scalar(select(Official).where(Official.national_id == normalise_national_id(national_id)))


def create_official(db: Session, *, data: OfficialCreate, actor: Principal) -> Official:
    """Register a person; the same ID twice is a conflict."""
    existing = db.scalar(select(Official.id).where(Official.national_id == data.national_id))
    if existing is not None:
        raise Conflict(
            f"an official with national_id {data.national_id} is already registered (id {existing})",
            code="duplicate_official",
            field="national_id",
            existing_id=existing,
        )
    now = now_utc()
    official = Official(**data.model_dump(), created_at=now, updated_at=now, search_text="")
    official.search_text = _search_text(official)
    add_and_record(db, official, actor=actor, entity_type="official", exclude=("search_text",))
    return official


def get_official(db: Session, *, official_id: int, actor: Principal) -> Official:
    """The official a change is made to, if the caller may see them; 404 otherwise (reads: selectors)."""
    return visible_official(db, official_id=official_id, actor=actor)


def update_official(db: Session, *, official_id: int, data: OfficialUpdate, actor: Principal) -> Official:
    """Change the fields sent; a changed ID must stay unique."""
    official = get_official(db, official_id=official_id, actor=actor)
    changes: dict[str, Any] = {k: getattr(data, k) for k in data.model_fields_set}
    changes = {k: v for k, v in changes.items() if getattr(official, k) != v}
    if not changes:
        return official
    if "national_id" in changes:
        other = db.scalar(select(Official.id).where(Official.national_id == changes["national_id"]))
        if other is not None:
            raise Conflict(
                f"national_id {changes['national_id']} belongs to another official (id {other})",
                code="duplicate_official",
                field="national_id",
                existing_id=other,
            )
    before = snapshot(official, exclude=("search_text",))
    for key, value in changes.items():
        setattr(official, key, value)
    official.search_text = _search_text(official)
    official.updated_at = now_utc()
    record_change(db, official, before=before, actor=actor, entity_type="official", exclude=("search_text",))
    return official


def _check_overlap(
    db: Session,
    *,
    official_id: int,
    authority_code: str,
    role_code: str,
    start: date,
    end: date | None,
    ignore_id: int | None = None,
) -> None:
    stmt = select(Appointment).where(
        Appointment.official_id == official_id,
        Appointment.authority_code == authority_code,
        Appointment.role_code == role_code,
        or_(Appointment.end_date.is_(None), Appointment.end_date >= start),
    )
    if end is not None:
        stmt = stmt.where(Appointment.start_date <= end)
    if ignore_id is not None:
        stmt = stmt.where(Appointment.id != ignore_id)
    other = db.scalar(stmt.limit(1))
    if other is not None:
        raise Conflict(
            f"the official already holds {role_code} in authority {authority_code} from {other.start_date}"
            f"{' to ' + str(other.end_date) if other.end_date else ''} (appointment {other.id})",
            code="overlapping_appointment",
            existing_id=other.id,
        )


def create_appointment(db: Session, *, official_id: int, data: AppointmentCreate, actor: Principal) -> Appointment:
    """Appoint an official to a role in an authority; a role with a mandatory programme creates a requirement."""
    official = get_official(db, official_id=official_id, actor=actor)
    authority = require_authority(db, code=data.authority_code)
    require_role(db, code=data.role_code)
    if not authority.active and authority.inactive_since and data.start_date >= authority.inactive_since:
        raise Invalid(
            f"authority_code: authority {authority.code} is inactive since {authority.inactive_since}",
            field="authority_code",
            code="inactive_authority",
        )
    _check_overlap(
        db,
        official_id=official.id,
        authority_code=authority.code,
        role_code=data.role_code,
        start=data.start_date,
        end=data.end_date,
    )
    appointment = Appointment(official_id=official.id, **data.model_dump(), created_at=now_utc())
    add_and_record(db, appointment, actor=actor, entity_type="appointment")
    for programme_id in mandatory_programme_ids(db, role_code=appointment.role_code):
        _add_requirement(db, appointment=appointment, programme_id=programme_id, actor=actor)
    return appointment


def find_appointment(
    db: Session, *, official_id: int, authority_code: str, role_code: str, start_date: date
) -> Appointment | None:
    """The official's appointment to the role in the authority from that day, if there is one."""
    stmt = select(Appointment).where(
        Appointment.official_id == official_id,
        Appointment.authority_code == authority_code,
        Appointment.role_code == role_code,
        Appointment.start_date == start_date,
    )
    return db.scalar(stmt)


def get_appointment(db: Session, *, appointment_id: int, actor: Principal) -> Appointment:
    """The appointment a change is made to, if the caller may see it; 404 otherwise (reads: selectors)."""
    stmt = scope_appointments(select(Appointment).where(Appointment.id == appointment_id), actor)
    appointment: Appointment | None = db.scalar(stmt)
    if appointment is None:
        raise NotFound(f"no appointment with id {appointment_id}")
    return appointment


def update_appointment(db: Session, *, appointment_id: int, data: AppointmentUpdate, actor: Principal) -> Appointment:
    """Correct an appointment's start, or end it; the requirement's due date follows the start."""
    appointment = get_appointment(db, appointment_id=appointment_id, actor=actor)
    start = data.start_date if "start_date" in data.model_fields_set and data.start_date else appointment.start_date
    end = data.end_date if "end_date" in data.model_fields_set else appointment.end_date
    if end is not None and end < start:
        raise Invalid(f"end_date: {end} is before the start date {start}", field="end_date")
    if start == appointment.start_date and end == appointment.end_date:
        return appointment
    _check_overlap(
        db,
        official_id=appointment.official_id,
        authority_code=appointment.authority_code,
        role_code=appointment.role_code,
        start=start,
        end=end,
        ignore_id=appointment.id,
    )
    before = snapshot(appointment)
    appointment.start_date, appointment.end_date = start, end
    record_change(db, appointment, before=before, actor=actor, entity_type="appointment")
    _refresh_due_dates(db, appointment=appointment, actor=actor)
    return appointment


def get_requirement(db: Session, *, requirement_id: int, actor: Principal) -> Requirement:
    """The requirement a request is made on, if the caller may see its appointment; 404 otherwise."""
    return visible_requirement(db, requirement_id=requirement_id, actor=actor)


# --- requirements (rule 1) -----------------------------------------------------------------------------


def _add_requirement(db: Session, *, appointment: Appointment, programme_id: int, actor: Principal) -> None:
    requirement = Requirement(
        appointment_id=appointment.id,
        programme_id=programme_id,
        due_date=due_date_for(appointment.start_date),
        created_at=now_utc(),
    )
    add_and_record(db, requirement, actor=actor, entity_type="requirement")


def add_requirements_for_programme(db: Session, *, programme_id: int, actor: Principal) -> int:
    """A new mandatory programme is owed by every appointment to its roles that lacks it; how many now owe it.

    Called right after a programme is created (its roles are the programme catalogue's), since appointments made
    before it existed owe it too."""
    owing = select(Appointment).where(
        Appointment.role_code.in_(mandatory_role_codes(db, programme_id=programme_id)),
        ~select(Requirement.id)
        .where(Requirement.appointment_id == Appointment.id, Requirement.programme_id == programme_id)
        .exists(),
    )
    count = 0
    for appointment in db.scalars(owing):
        _add_requirement(db, appointment=appointment, programme_id=programme_id, actor=actor)
        count += 1
    return count


def _refresh_due_dates(db: Session, *, appointment: Appointment, actor: Principal) -> None:
    """After a start date is corrected, the requirement falls due 24 months after the new start."""
    due = due_date_for(appointment.start_date)
    for requirement in db.scalars(select(Requirement).where(Requirement.appointment_id == appointment.id)):
        if requirement.due_date != due:
            before = snapshot(requirement)
            requirement.due_date = due
            record_change(db, requirement, before=before, actor=actor, entity_type="requirement")
