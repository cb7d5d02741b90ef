"""Reading the local authorities."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.authorities.models import Authority
from app.authorities.schemas import AuthorityRead
from app.db import paged
from app.errors import NotFound
from app.schemas import Page
from app.text import search_key


def list_authorities(
    db: Session, *, q: str | None, type: str | None, district: str | None, limit: int, offset: int
) -> Page[AuthorityRead]:
    """Authorities matching a name (Hebrew or English, any spelling of quotes and hyphens), type, district; by
    Hebrew name; and how many match."""
    stmt = select(Authority)
    if q and search_key(q):
        stmt = stmt.where(Authority.search_text.contains(search_key(q), autoescape=True))
    if type:
        stmt = stmt.where(Authority.type == type)
    if district:
        stmt = stmt.where(func.lower(Authority.district) == district.strip().lower())
    rows, total = paged(db, stmt.order_by(Authority.name_he, Authority.code), limit=limit, offset=offset)
    return Page(items=[AuthorityRead.model_validate(authority) for (authority,) in rows], total=total)


def get_authority(db: Session, *, code: str) -> AuthorityRead:
    """One authority by its CBS code; 404 when there is none."""
    authority = db.get(Authority, code)
    if authority is None:
        raise NotFound(f"no authority has the CBS code {code!r}")
    return AuthorityRead.model_validate(authority)
