"""JSON routes of the roles."""

from __future__ import annotations

from app.programmes import selectors as programmes
from app.roles.schemas import RoleRead
from app.web.deps import Anyone, SessionDep
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page
from app.web.routing import Router

router = Router(prefix="/api/v1/roles", tags=["reference"])


@router.get("", response_model=Page[RoleRead], responses=responses(401, 422))
def list_roles(db: SessionDep, _: Anyone, limit: Limit = 50, offset: Offset = 0) -> Page[RoleRead]:
    """Senior roles and the mandatory programme each owes. Any role."""
    return programmes.list_roles(db, limit=limit, offset=offset)
