"""Reading officials, their appointments and the requirements those create, within the caller's scope."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.authorities.models import Authority
from app.db import count_of
from app.errors import NotFound
from app.notifications.service import Recipient
from app.officials.models import Appointment, Official, Requirement
from app.officials.rules import national_id_query
from app.officials.schemas import AppointmentRead, OfficialRead
from app.officials.scoping import scope_appointments, scope_officials, visible_official
from app.schemas import Page
from app.text import full_name, name_key, search_key


def get_official(db: Session, *, official_id: int, actor: Principal) -> OfficialRead:
    """One official the caller may see; 404 otherwise."""
    return OfficialRead.model_validate(visible_official(db, official_id=official_id, actor=actor))


def list_officials(
    db: Session,
    *,
    q: str | None,
    authority: str | None,
    role: str | None,
    actor: Principal,
    limit: int,
    offset: int,
) -> Page[OfficialRead]:
    """Officials the caller may see, by name or ID, and by the authority or role of any appointment; by Hebrew
    name; and how many match.

    The one search rule of officials (the registry, the API, finding someone to enrol): every word of `q` is part of
    a name in Hebrew, Arabic or Latin letters (any spelling of points, harakat, apostrophes, alef forms and case:
    `name_key`), or of the ID, or `q` is part of the name of an authority the official holds an appointment in; an
    ID number typed whole finds its holder with or without leading zeros (and dashes)."""
    stmt = scope_officials(select(Official), actor)
    if (found := officials_matching(q)) is not None:
        stmt = stmt.where(found)
    if authority or role:
        held = select(Appointment.official_id)
        if authority:
            held = held.where(Appointment.authority_code == authority)
        if role:
            held = held.where(Appointment.role_code == role)
        stmt = stmt.where(Official.id.in_(held))
    total = count_of(db, stmt)
    rows = db.scalars(
        stmt.order_by(Official.last_name_he, Official.first_name_he, Official.id).limit(limit).offset(offset)
    )
    return Page(items=[OfficialRead.model_validate(r) for r in rows], total=total)


def officials_matching(q: str | None, *, by_id: bool = True) -> ColumnElement[bool] | None:
    """The condition of the registry's one search rule (see `list_officials`) on `Official`, or None when `q` asks
    for nothing. Without `by_id` (a directory people may not search by ID number) an ID finds no one and the digits
    of a word are not looked for."""
    digits = national_id_query(q)
    if digits is not None:
        if not by_id:
            return false()
        return or_(Official.national_id == digits.zfill(9), Official.search_text.contains(digits, autoescape=True))
    if not q or not name_key(q):
        return None
    keys = [w for w in name_key(q).split(" ") if by_id or not any(c.isdigit() for c in w)]
    if not keys:
        return false()
    words = [Official.search_text.contains(word, autoescape=True) for word in keys]
    in_authority = select(Appointment.official_id).where(
        Appointment.authority_code.in_(
            select(Authority.code).where(Authority.search_text.contains(search_key(q), autoescape=True))
        )
    )
    return or_(and_(*words), Official.id.in_(in_authority))


def get_appointment(db: Session, *, appointment_id: int, actor: Principal) -> AppointmentRead:
    """One appointment the caller may see; 404 otherwise."""
    appointment = db.scalar(scope_appointments(select(Appointment).where(Appointment.id == appointment_id), actor))
    if appointment is None:
        raise NotFound(f"no appointment with id {appointment_id}")
    return AppointmentRead.model_validate(appointment)


def list_appointments(db: Session, *, official_id: int, actor: Principal) -> list[AppointmentRead]:
    """An official's appointments the caller may see, oldest first; 404 when the official is out of scope."""
    get_official(db, official_id=official_id, actor=actor)
    stmt = scope_appointments(select(Appointment).where(Appointment.official_id == official_id), actor)
    rows = db.scalars(stmt.order_by(Appointment.start_date, Appointment.id))
    return [AppointmentRead.model_validate(r) for r in rows]


def latest_requirement_id(db: Session, *, official_id: int, programme_id: int) -> int | None:
    """The requirement of the programme from the official's latest appointment that owes it, if any."""
    stmt = (
        select(Requirement.id)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .where(Appointment.official_id == official_id, Requirement.programme_id == programme_id)
        .order_by(Appointment.start_date.desc(), Requirement.id.desc())
        .limit(1)
    )
    return db.scalar(stmt)


def official_ids_by_national_id(db: Session, *, national_ids: Collection[str]) -> dict[str, int]:
    """The ids of the officials with these (normalised) national IDs, by ID; those with none are left out."""
    if not national_ids:
        return {}
    stmt = select(Official.national_id, Official.id).where(Official.national_id.in_(list(national_ids)))
    return {national_id: official_id for national_id, official_id in db.execute(stmt)}


def national_ids_of(db: Session, *, official_ids: Collection[int]) -> list[str]:
    """The national IDs of these officials, in the order given; ids of no official are left out."""
    if not official_ids:
        return []
    stmt = select(Official.id, Official.national_id).where(Official.id.in_(list(official_ids)))
    found = dict(db.execute(stmt).all())
    return [found[i] for i in official_ids if i in found]


def names_by_national_id(db: Session, *, national_ids: Collection[str]) -> dict[str, str]:
    """The Hebrew name of the official with each of these (normalised) national IDs; those with none are left out."""
    if not national_ids:
        return {}
    stmt = select(Official.national_id, Official.first_name_he, Official.last_name_he).where(
        Official.national_id.in_(list(national_ids))
    )
    return {nid: f"{first} {last}" for nid, first, last in db.execute(stmt)}


def appointments_of(
    db: Session, *, official_ids: Collection[int], actor: Principal
) -> dict[int, list[AppointmentRead]]:
    """The appointments of these officials that the caller may see, current first then newest, by official (one
    query, whatever their number)."""
    out: dict[int, list[AppointmentRead]] = {i: [] for i in official_ids}
    if not out:
        return out
    stmt = scope_appointments(select(Appointment).where(Appointment.official_id.in_(list(out))), actor)
    stmt = stmt.order_by(Appointment.end_date.is_not(None), Appointment.start_date.desc(), Appointment.id.desc())
    for a in db.scalars(stmt):
        out[a.official_id].append(AppointmentRead.model_validate(a))
    return out


# The columns of an official that make them a message's recipient, after their id, as `recipient_from` reads them.
RECIPIENT_COLUMNS = (
    Official.email,
    Official.first_name_he,
    Official.last_name_he,
    Official.first_name_en,
    Official.last_name_en,
)


def recipient_from(row: Sequence[Any]) -> Recipient | None:
    """An official as a message's recipient, from their id and RECIPIENT_COLUMNS in a row: greeted by their Hebrew
    name, or by their English one in English mail where the record has it; none without an email address."""
    official_id, email, first_he, last_he, first_en, last_en = row
    if not email:
        return None
    return Recipient(
        email=email, name=f"{first_he} {last_he}", official_id=official_id, name_en=full_name(first_en, last_en)
    )


def recipients_of(db: Session, *, official_ids: Collection[int]) -> dict[int, Recipient]:
    """Whom a message about each of these officials goes to, by official id: those with an email address only (an
    official without one gets no mail). Not scoped: the school writes to them, whoever caused the message."""
    ids = sorted(set(official_ids))
    if not ids:
        return {}
    stmt = select(Official.id, *RECIPIENT_COLUMNS).where(
        Official.id.in_(ids), Official.email.is_not(None), Official.email != ""
    )
    found = ((r[0], recipient_from(r)) for r in db.execute(stmt))
    return {oid: recipient for oid, recipient in found if recipient is not None}
