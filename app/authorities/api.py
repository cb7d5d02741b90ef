"""JSON routes of the authorities."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from app.authorities import selectors
from app.authorities.rules import AuthorityType
from app.authorities.schemas import AuthorityRead
from app.web.deps import Anyone, SessionDep
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page
from app.web.routing import Router

router = Router(prefix="/api/v1/authorities", tags=["reference"])


@router.get("", response_model=Page[AuthorityRead], responses=responses(401, 422))
def list_authorities(
    db: SessionDep,
    _: Anyone,
    q: Annotated[str | None, Query(max_length=200)] = None,
    type: AuthorityType | None = None,
    district: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuthorityRead]:
    """Local authorities; `q` matches Hebrew or English names, with either quotes and any hyphen spacing. Any role."""
    return selectors.list_authorities(db, q=q, type=type, district=district, limit=limit, offset=offset)


@router.get("/{code}", response_model=AuthorityRead, responses=responses(401, 404))
def get_authority(code: Annotated[str, Path(max_length=8)], db: SessionDep, _: Anyone) -> AuthorityRead:
    """One authority by its CBS code. Any role."""
    return selectors.get_authority(db, code=code)
