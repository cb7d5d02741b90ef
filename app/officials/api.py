"""JSON routes of officials, their appointments, requirements and completions."""

from __future__ import annotations

from fastapi import Query

from app.audit.rules import AccessKind
from app.audit.service import record_access, record_list, record_read
from app.clock import today
from app.completions import selectors as completions
from app.completions import service as completion_service
from app.completions.schemas import CompletionCreate, CompletionRead
from app.compliance import selectors as compliance
from app.compliance.schemas import RequirementRead
from app.officials import selectors, service
from app.officials.rules import national_id_query
from app.officials.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentUpdate,
    OfficialCreate,
    OfficialRead,
    OfficialUpdate,
)
from app.schemas import PlanDate
from app.web.deps import AdminOnly, Anyone, SessionDep
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page, RecordId
from app.web.routing import Router

router = Router(prefix="/api/v1", tags=["officials"])

AsOf = Query(default=None, description="The date the status is judged on (YYYY-MM-DD); default today in Israel.")


@router.post("/officials", status_code=201, response_model=OfficialRead, responses=responses(401, 403, 409, 422))
def create_official(data: OfficialCreate, db: SessionDep, actor: AdminOnly) -> OfficialRead:
    """Register an official; the same person (however the ID was typed) twice is 409. Admins only."""
    return OfficialRead.model_validate(service.create_official(db, data=data, actor=actor))


@router.get("/officials", response_model=Page[OfficialRead], responses=responses(401, 422))
def list_officials(
    db: SessionDep,
    actor: Anyone,
    q: str | None = Query(
        default=None,
        max_length=200,
        description="Parts of a name (Hebrew, Arabic or English) or an ID number (leading zeros optional).",
    ),
    authority: str | None = Query(
        default=None, max_length=8, description="CBS code of an authority the official served in."
    ),
    role: str | None = Query(default=None, max_length=60, description="Code of a role the official held."),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[OfficialRead]:
    """Officials the caller may see: all for admins and auditors, a liaison's authority, an official's own.

    Written to the access log with the officials listed; a search by national ID (`q` all digits) as such."""
    page = selectors.list_officials(db, q=q, authority=authority, role=role, actor=actor, limit=limit, offset=offset)
    ids = [o.id for o in page.items]
    if (digits := national_id_query(q)) is not None:
        record_access(
            db,
            actor=actor,
            kind=AccessKind.NATIONAL_ID_SEARCH,
            subject="/api/v1/officials",
            official_ids=ids,
            detail={"q": digits, "found": page.total},
        )
    else:
        record_list(db, actor=actor, subject="/api/v1/officials", official_ids=ids)
    return page


@router.get("/officials/{official_id}", response_model=OfficialRead, responses=responses(401, 404))
def get_official(official_id: RecordId, db: SessionDep, actor: Anyone) -> OfficialRead:
    """One official within the caller's scope. Written to the access log."""
    official = selectors.get_official(db, official_id=official_id, actor=actor)
    record_read(db, actor=actor, subject=f"/api/v1/officials/{official_id}", official_id=official_id)
    return official


@router.patch("/officials/{official_id}", response_model=OfficialRead, responses=responses(401, 403, 404, 409, 422))
def update_official(official_id: RecordId, data: OfficialUpdate, db: SessionDep, actor: AdminOnly) -> OfficialRead:
    """Change any of an official's fields. Admins only."""
    return OfficialRead.model_validate(service.update_official(db, official_id=official_id, data=data, actor=actor))


@router.post(
    "/officials/{official_id}/appointments",
    status_code=201,
    response_model=AppointmentRead,
    responses=responses(401, 403, 404, 409, 422),
)
def create_appointment(
    official_id: RecordId, data: AppointmentCreate, db: SessionDep, actor: AdminOnly
) -> AppointmentRead:
    """Appoint the official to a role in an authority; a role with a mandatory programme owes it. Admins only."""
    return AppointmentRead.model_validate(
        service.create_appointment(db, official_id=official_id, data=data, actor=actor)
    )


@router.get(
    "/officials/{official_id}/appointments",
    response_model=Page[AppointmentRead],
    responses=responses(401, 404),
)
def list_appointments(official_id: RecordId, db: SessionDep, actor: Anyone) -> Page[AppointmentRead]:
    """An official's appointments within the caller's scope. Written to the access log."""
    rows = selectors.list_appointments(db, official_id=official_id, actor=actor)
    record_read(db, actor=actor, subject=f"/api/v1/officials/{official_id}/appointments", official_id=official_id)
    return Page(items=rows, total=len(rows))


@router.get("/appointments/{appointment_id}", response_model=AppointmentRead, responses=responses(401, 404))
def get_appointment(appointment_id: RecordId, db: SessionDep, actor: Anyone) -> AppointmentRead:
    """One appointment within the caller's scope."""
    return selectors.get_appointment(db, appointment_id=appointment_id, actor=actor)


@router.patch(
    "/appointments/{appointment_id}",
    response_model=AppointmentRead,
    responses=responses(401, 403, 404, 409, 422),
)
def update_appointment(
    appointment_id: RecordId, data: AppointmentUpdate, db: SessionDep, actor: AdminOnly
) -> AppointmentRead:
    """Correct an appointment's start date or set its end (the last day in the role). Admins only."""
    return AppointmentRead.model_validate(
        service.update_appointment(db, appointment_id=appointment_id, data=data, actor=actor)
    )


@router.get(
    "/officials/{official_id}/requirements",
    response_model=Page[RequirementRead],
    responses=responses(401, 404, 422),
)
def list_requirements(
    official_id: RecordId, db: SessionDep, actor: Anyone, as_of: PlanDate | None = AsOf
) -> Page[RequirementRead]:
    """The official's requirements and their status as of the date (appointments started by then). Written to
    the access log, unless the official reads their own."""
    rows = compliance.official_requirements(db, official_id=official_id, as_of=as_of or today(), actor=actor)
    record_read(db, actor=actor, subject=f"/api/v1/officials/{official_id}/requirements", official_id=official_id)
    return Page(items=[RequirementRead.model_validate(r, from_attributes=True) for r in rows], total=len(rows))


@router.post(
    "/officials/{official_id}/completions",
    status_code=201,
    response_model=CompletionRead,
    responses=responses(401, 403, 404, 409, 422),
)
def record_completion(
    official_id: RecordId, data: CompletionCreate, db: SessionDep, actor: AdminOnly
) -> CompletionRead:
    """Record a completion by decision (prior or external training), with its date and reason. Admins only."""
    return completion_service.record_completion_by_decision(db, official_id=official_id, data=data, actor=actor)


@router.get("/officials/{official_id}/completions", response_model=Page[CompletionRead], responses=responses(401, 404))
def list_completions(official_id: RecordId, db: SessionDep, actor: Anyone) -> Page[CompletionRead]:
    """The official's completions of programmes, within the caller's scope. Written to the access log."""
    items = completions.official_completions(db, official_id=official_id, actor=actor)
    record_read(db, actor=actor, subject=f"/api/v1/officials/{official_id}/completions", official_id=official_id)
    return Page(items=items, total=len(items))
