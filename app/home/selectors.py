"""Reading the official's home: a fixed number of set-based queries, whatever the number of requirements, cohorts
and certificates."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.orm import Session

from app.attendance.selectors import progress_of
from app.auth import Principal
from app.authorities.models import Authority
from app.certificates.models import Certificate
from app.certificates.selectors import read_certificates
from app.cohorts.models import Cohort, CohortSession
from app.cohorts.rules import ACTIVE_ENROLMENT, CohortState
from app.cohorts.schemas import EnrolmentRead, SessionRead
from app.cohorts.selectors import official_enrolments, read_cohorts
from app.compliance.models import RequirementRequest
from app.compliance.rules import SETTLED, RequestState
from app.compliance.schemas import RequestRead
from app.compliance.selectors import official_requirements
from app.db import read_rows
from app.home import rules
from app.home.schemas import Home, HomeCohort, HomeRequirement, Names, NextStepRead
from app.officials.scoping import visible_official
from app.programmes.models import Programme
from app.roles.models import Role


def official_home(db: Session, *, official_id: int, actor: Principal, today: date) -> Home:
    """The official's requirements as of today with what to do next, their cohorts (newest first) with sessions and
    progress, and their certificates (newest first); 404 for an official the caller may not see."""
    official = visible_official(db, official_id=official_id, actor=actor)
    requirements = official_requirements(db, official_id=official_id, as_of=today, actor=actor)
    enrolments = official_enrolments(db, official_id=official_id, actor=actor)
    cohorts = {c.id: c for c in read_cohorts(db, [e.cohort_id for e in enrolments])}
    sessions = _sessions(db, list(cohorts))
    progress = {p.enrolment_id: p for p in progress_of(db, enrolments)}
    requests = _requests(db, [r.id for r in requirements])
    certificates = read_certificates(
        db,
        list(
            db.scalars(
                select(Certificate).where(Certificate.official_id == official_id).order_by(Certificate.id.desc())
            )
        ),
    )
    place_of = _places(enrolments, sessions, today)
    owed = {r.programme_code for r in requirements if r.status not in SETTLED and r.programme_code not in place_of}
    open_cohorts = _open_cohorts(db, owed, today)
    programmes = _programme_names(db, {r.programme_code for r in requirements} | {e.programme_code for e in enrolments})
    roles = _names(db, Role, {r.role_code for r in requirements})
    authorities = _names(db, Authority, {r.authority_code for r in requirements})

    home_requirements = []
    for r in requirements:
        pending = next((q for q in requests[r.id] if q.state == RequestState.PENDING), None)
        step = rules.next_step(
            r.status, place=place_of.get(r.programme_code), open_cohort=open_cohorts.get(r.programme_code)
        )
        home_requirements.append(
            HomeRequirement(
                requirement=r,
                programme=programmes[r.programme_code],
                role=roles[r.role_code],
                authority=authorities[r.authority_code],
                days_left=rules.days_left(r.due_date, today=today),
                next=NextStepRead(**vars(step)),
                can_ask=r.status not in SETTLED and pending is None,
                pending=pending,
                decided=[q for q in requests[r.id] if q.state != RequestState.PENDING],
            )
        )
    home_cohorts = []
    for e in enrolments:
        own = sessions.get(e.cohort_id, [])
        home_cohorts.append(
            HomeCohort(
                enrolment=e,
                cohort=cohorts[e.cohort_id],
                programme=programmes[e.programme_code],
                sessions=own,
                next_session=next((s for s in own if s.date >= today), None),
                progress=progress[e.id],
            )
        )
    return Home(
        official_id=official.id,
        name=Names(
            he=f"{official.first_name_he} {official.last_name_he}",
            en=" ".join(n for n in (official.first_name_en, official.last_name_en) if n)
            or f"{official.first_name_he} {official.last_name_he}",
        ),
        as_of=today,
        requirements=home_requirements,
        cohorts=home_cohorts,
        certificates=certificates,
    )


# The home's reads of columns, each built once (it keeps its compiled form): the codes or ids as the parameter `keys`.
_KEYS: BindParameter[Any] = bindparam("keys", expanding=True)
_SESSIONS = (
    select(*(getattr(CohortSession, name) for name in SessionRead.model_fields))
    .where(CohortSession.cohort_id.in_(_KEYS))
    .order_by(CohortSession.date, CohortSession.id)
)
_REQUESTS = (
    select(*(getattr(RequirementRequest, name) for name in RequestRead.model_fields))
    .where(RequirementRequest.requirement_id.in_(_KEYS))
    .order_by(RequirementRequest.requested_at.desc(), RequirementRequest.id.desc())
)
_PROGRAMME_NAMES = select(Programme.code, Programme.title_he, Programme.title_en).where(Programme.code.in_(_KEYS))
_NAMES = {
    model: select(model.code, model.name_he, model.name_en).where(model.code.in_(_KEYS)) for model in (Role, Authority)
}


def _sessions(db: Session, cohort_ids: list[int]) -> dict[int, list[SessionRead]]:
    """The sessions of these cohorts, in date order, by cohort."""
    out: dict[int, list[SessionRead]] = defaultdict(list)
    if cohort_ids:
        for row in read_rows(db, _SESSIONS, {"keys": cohort_ids}):
            out[row.cohort_id].append(SessionRead.model_validate(row))
    return out


def _places(
    enrolments: list[EnrolmentRead], sessions: dict[int, list[SessionRead]], today: date
) -> dict[str, rules.Place]:
    """The official's active place (enrolled or waitlisted) in a cohort of each programme, by programme code."""
    places = {}
    for e in enrolments:
        if e.status in ACTIVE_ENROLMENT and e.programme_code not in places:
            upcoming = next((s.date for s in sessions.get(e.cohort_id, []) if s.date >= today), None)
            places[e.programme_code] = rules.Place(
                status=e.status,
                cohort_id=e.cohort_id,
                cohort_code=e.cohort_code,
                waitlist_position=e.waitlist_position,
                next_session=upcoming,
            )
    return places


def _open_cohorts(db: Session, programme_codes: set[str], today: date) -> dict[str, rules.OpenCohort]:
    """The open cohort of each of these programmes that starts first, from today on (one already under way is
    not proposed: its first sessions are gone), by programme code."""
    if not programme_codes:
        return {}
    stmt = (
        select(Programme.code, Cohort.id, Cohort.code, Cohort.start_date)
        .join(Programme, Programme.id == Cohort.programme_id)
        .where(Programme.code.in_(programme_codes), Cohort.state == CohortState.OPEN, Cohort.start_date >= today)
        .order_by(Cohort.start_date, Cohort.id)
    )
    out: dict[str, rules.OpenCohort] = {}
    for programme_code, cohort_id, cohort_code, start in db.execute(stmt):
        out.setdefault(programme_code, rules.OpenCohort(cohort_id=cohort_id, cohort_code=cohort_code, start_date=start))
    return out


def _requests(db: Session, requirement_ids: list[int]) -> dict[int, list[RequestRead]]:
    """The requests on these requirements, newest first, by requirement."""
    out: dict[int, list[RequestRead]] = defaultdict(list)
    if requirement_ids:
        for row in read_rows(db, _REQUESTS, {"keys": requirement_ids}):
            out[row.requirement_id].append(RequestRead.model_validate(row))
    return out


def _programme_names(db: Session, codes: set[str]) -> dict[str, Names]:
    if not codes:
        return {}
    rows = read_rows(db, _PROGRAMME_NAMES, {"keys": list(codes)})
    return {row.code: Names(he=row.title_he, en=row.title_en) for row in rows}


def _names(db: Session, model: type[Role] | type[Authority], codes: set[str]) -> dict[str, Names]:
    if not codes:
        return {}
    return {
        row.code: Names(he=row.name_he, en=row.name_en) for row in read_rows(db, _NAMES[model], {"keys": list(codes)})
    }
