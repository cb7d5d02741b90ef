"""JSON routes of the programme catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from app.officials import service as officials
from app.programmes import selectors, service
from app.programmes.rules import ProgrammeKind
from app.programmes.schemas import CODE_MAX_LENGTH, ProgrammeCreate, ProgrammeRead, ProgrammeUpdate
from app.web.deps import AdminOnly, Anyone, SessionDep
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page
from app.web.routing import Router

ProgrammeCode = Annotated[str, Path(max_length=CODE_MAX_LENGTH, description="The programme's code.")]

router = Router(prefix="/api/v1/programmes", tags=["programmes"])


@router.post("", status_code=201, response_model=ProgrammeRead, responses=responses(401, 403, 409, 422))
def create_programme(data: ProgrammeCreate, db: SessionDep, actor: AdminOnly) -> ProgrammeRead:
    """Add a programme to the catalogue; the roles of a mandatory programme owe it. Admins only."""
    programme = service.create_programme(db, data=data, actor=actor)
    officials.add_requirements_for_programme(db, programme_id=programme.id, actor=actor)
    return selectors.read_programmes(db, [programme.id])[0]


@router.get("", response_model=Page[ProgrammeRead], responses=responses(401, 422))
def list_programmes(
    db: SessionDep,
    _: Anyone,
    kind: ProgrammeKind | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProgrammeRead]:
    """The catalogue. Any role."""
    return selectors.list_programmes(db, kind=kind, limit=limit, offset=offset)


@router.get("/{code}", response_model=ProgrammeRead, responses=responses(401, 404))
def get_programme(code: ProgrammeCode, db: SessionDep, _: Anyone) -> ProgrammeRead:
    """One programme by code. Any role."""
    return selectors.get_programme(db, code=code)


@router.patch("/{code}", response_model=ProgrammeRead, responses=responses(401, 403, 404, 422))
def update_programme(code: ProgrammeCode, data: ProgrammeUpdate, db: SessionDep, actor: AdminOnly) -> ProgrammeRead:
    """Change a programme; cohorts already created keep the rules they were opened under. Admins only."""
    programme = service.update_programme(db, code=code, data=data, actor=actor)
    return selectors.read_programmes(db, [programme.id])[0]


@router.post("/{code}/retire", response_model=ProgrammeRead, responses=responses(401, 403, 404, 409))
def retire_programme(code: ProgrammeCode, db: SessionDep, actor: AdminOnly) -> ProgrammeRead:
    """Retire a programme from the catalogue: no new cohorts of it (422 `retired_programme` when one is asked for);
    cohorts already opened run on. Not a mandatory programme that roles owe (409 `programme_owed`). Admins only."""
    programme = service.retire_programme(db, code=code, actor=actor)
    return selectors.read_programmes(db, [programme.id])[0]
