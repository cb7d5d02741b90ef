"""JSON routes of cohorts, sessions and enrolments."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.audit.service import record_list, record_read
from app.auth import ADMIN, OFFICIAL, Principal
from app.cohorts import selectors, service
from app.cohorts.rules import CohortState
from app.cohorts.schemas import (
    BulkEnrolmentCreate,
    BulkReport,
    CohortCreate,
    CohortRead,
    CohortUpdate,
    EnrolmentCreate,
    EnrolmentMove,
    EnrolmentRead,
    SessionCreate,
    SessionRead,
)
from app.reminders.service import announce_if_opened
from app.web.deps import AdminOnly, Anyone, SessionDep, allow
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page, RecordId
from app.web.routing import Router

Enroller = Annotated[Principal, allow(ADMIN, OFFICIAL)]

router = Router(prefix="/api/v1", tags=["cohorts"])


@router.post("/cohorts", status_code=201, response_model=CohortRead, responses=responses(401, 403, 409, 422))
def create_cohort(data: CohortCreate, db: SessionDep, actor: AdminOnly) -> CohortRead:
    """Open a cohort of a programme (open for enrolment unless `planned`); past cohorts may be recorded. Admins."""
    cohort = service.create_cohort(db, data=data, actor=actor)
    announce_if_opened(db, cohort_id=cohort.id, was=None)
    return selectors.read_cohort(db, cohort_id=cohort.id)


@router.get("/cohorts", response_model=Page[CohortRead], responses=responses(401, 422))
def list_cohorts(
    db: SessionDep,
    _: Anyone,
    programme: Annotated[str | None, Query(max_length=40)] = None,
    state: CohortState | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CohortRead]:
    """Cohorts, newest first, by programme code and state. Any role."""
    return selectors.list_cohorts(db, programme=programme, state=state, limit=limit, offset=offset)


@router.get("/cohorts/{cohort_id}", response_model=CohortRead, responses=responses(401, 404))
def get_cohort(cohort_id: RecordId, db: SessionDep, _: Anyone) -> CohortRead:
    """One cohort with its scheduled hours and counts. Any role."""
    return selectors.read_cohort(db, cohort_id=cohort_id)


@router.patch("/cohorts/{cohort_id}", response_model=CohortRead, responses=responses(401, 403, 404, 409, 422))
def update_cohort(cohort_id: RecordId, data: CohortUpdate, db: SessionDep, actor: AdminOnly) -> CohortRead:
    """Change dates, capacity (never below those enrolled), place, coordinator or state. Admins only."""
    was = service.get_cohort(db, cohort_id=cohort_id).state
    cohort = service.update_cohort(db, cohort_id=cohort_id, data=data, actor=actor)
    announce_if_opened(db, cohort_id=cohort.id, was=was)
    return selectors.read_cohort(db, cohort_id=cohort.id)


@router.post(
    "/cohorts/{cohort_id}/sessions",
    status_code=201,
    response_model=SessionRead,
    responses=responses(401, 403, 404, 409, 422),
)
def add_session(cohort_id: RecordId, data: SessionCreate, db: SessionDep, actor: AdminOnly) -> SessionRead:
    """Schedule a session within the cohort's dates. Admins only."""
    return SessionRead.model_validate(service.add_session(db, cohort_id=cohort_id, data=data, actor=actor))


@router.get("/cohorts/{cohort_id}/sessions", response_model=Page[SessionRead], responses=responses(401, 404))
def list_sessions(cohort_id: RecordId, db: SessionDep, _: Anyone) -> Page[SessionRead]:
    """A cohort's sessions in date order. Any role."""
    rows = selectors.list_sessions(db, cohort_id=cohort_id)
    return Page(items=rows, total=len(rows))


@router.post(
    "/cohorts/{cohort_id}/enrolments",
    status_code=201,
    response_model=EnrolmentRead,
    responses=responses(401, 403, 404, 409, 422),
)
def enrol(cohort_id: RecordId, data: EnrolmentCreate, db: SessionDep, actor: Enroller) -> EnrolmentRead:
    """Enrol an official; past capacity, the waitlist in order. Already enrolled or completed: 409. Admins; and an
    official, themselves only (403 `not_yourself`), in an open cohort (409 `cohort_not_open`), and in a mandatory
    programme only one they owe (403 `not_required`)."""
    e = service.enrol_official(db, cohort_id=cohort_id, official_id=data.official_id, actor=actor)
    return selectors.read_enrolment(db, enrolment_id=e.id, actor=actor)


@router.post("/cohorts/{cohort_id}/enrolments/bulk", response_model=BulkReport, responses=responses(401, 403, 404, 422))
def enrol_many(cohort_id: RecordId, data: BulkEnrolmentCreate, db: SessionDep, actor: AdminOnly) -> BulkReport:
    """Enrol a list of officials by ID, in order, with a report per row. Admins only."""
    return service.enrol_many(db, cohort_id=cohort_id, national_ids=data.national_ids, actor=actor)


@router.get("/cohorts/{cohort_id}/enrolments", response_model=Page[EnrolmentRead], responses=responses(401, 404))
def cohort_enrolments(cohort_id: RecordId, db: SessionDep, actor: Anyone) -> Page[EnrolmentRead]:
    """A cohort's enrolments within the caller's scope: seats, then the waitlist in order, then withdrawn. Written
    to the access log with the officials listed."""
    rows = selectors.cohort_enrolments(db, cohort_id=cohort_id, actor=actor)
    record_list(
        db, actor=actor, subject=f"/api/v1/cohorts/{cohort_id}/enrolments", official_ids=[r.official_id for r in rows]
    )
    return Page(items=rows, total=len(rows))


@router.get("/officials/{official_id}/enrolments", response_model=Page[EnrolmentRead], responses=responses(401, 404))
def official_enrolments(official_id: RecordId, db: SessionDep, actor: Anyone) -> Page[EnrolmentRead]:
    """An official's enrolments, newest first, within the caller's scope. Written to the access log."""
    rows = selectors.official_enrolments(db, official_id=official_id, actor=actor)
    record_read(db, actor=actor, subject=f"/api/v1/officials/{official_id}/enrolments", official_id=official_id)
    return Page(items=rows, total=len(rows))


@router.post(
    "/enrolments/{enrolment_id}/withdraw", response_model=EnrolmentRead, responses=responses(401, 403, 404, 409)
)
def withdraw(enrolment_id: RecordId, db: SessionDep, actor: AdminOnly) -> EnrolmentRead:
    """Withdraw an official; the first waitlisted takes the seat. Admins only."""
    e = service.withdraw_enrolment(db, enrolment_id=enrolment_id, actor=actor)
    return selectors.read_enrolment(db, enrolment_id=e.id, actor=actor)


@router.post(
    "/enrolments/{enrolment_id}/move", response_model=EnrolmentRead, responses=responses(401, 403, 404, 409, 422)
)
def move(enrolment_id: RecordId, data: EnrolmentMove, db: SessionDep, actor: AdminOnly) -> EnrolmentRead:
    """Move an official to another cohort of the same programme; attendance taken stays on record. Admins only."""
    e = service.move_enrolment(db, enrolment_id=enrolment_id, cohort_id=data.cohort_id, actor=actor)
    return selectors.read_enrolment(db, enrolment_id=e.id, actor=actor)


@router.post(
    "/enrolments/{enrolment_id}/promote", response_model=EnrolmentRead, responses=responses(401, 403, 404, 409)
)
def promote(enrolment_id: RecordId, db: SessionDep, actor: AdminOnly) -> EnrolmentRead:
    """Give a waitlisted official a free seat now; never past capacity (409 `cohort_full`). One already enrolled is
    left as is; withdrawn or decided, 409 `wrong_state`. Admins only."""
    e = service.promote_enrolment(db, enrolment_id=enrolment_id, actor=actor)
    return selectors.read_enrolment(db, enrolment_id=e.id, actor=actor)
