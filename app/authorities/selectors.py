"""Reading the local authorities."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.authorities.models import Authority
from app.authorities.schemas import AuthorityRead
from app.db import AnySelect, paged
from app.errors import NotFound
from app.schemas import Page
from app.text import search_key

# What a list shows of each authority: the columns of AuthorityRead's fields.
_SHOWN = tuple(AuthorityRead.model_fields)


def list_authorities(
    db: Session, *, q: str | None, type: str | None, district: str | None, limit: int, offset: int
) -> Page[AuthorityRead]:
    """Authorities matching a name (Hebrew or English, any spelling of quotes and hyphens), type, district; by
    Hebrew name; and how many match."""
    key = search_key(q) if q else ""
    stmt = _authorities_query(bool(key), bool(type), bool(district))
    parameters = {
        "name_pattern": "%" + key.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%",
        "type": type,
        "district": district.strip().lower() if district else None,
    }
    rows, total = paged(db, stmt, limit=limit, offset=offset, parameters=parameters)
    return Page(items=[AuthorityRead.model_validate(dict(zip(_SHOWN, row, strict=True))) for row in rows], total=total)


@lru_cache(maxsize=8)
def _authorities_query(by_name: bool, by_type: bool, by_district: bool) -> AnySelect:
    """Authorities by Hebrew name, filtered by the parameters asked for (built once for each combination)."""
    stmt = select(*(getattr(Authority, name) for name in _SHOWN))
    if by_name:
        stmt = stmt.where(Authority.search_text.like(bindparam("name_pattern"), escape="/"))
    if by_type:
        stmt = stmt.where(Authority.type == bindparam("type"))
    if by_district:
        stmt = stmt.where(func.lower(Authority.district) == bindparam("district"))
    return stmt.order_by(Authority.name_he, Authority.code)


def get_authority(db: Session, *, code: str) -> AuthorityRead:
    """One authority by its CBS code; 404 when there is none."""
    authority = db.get(Authority, code)
    if authority is None:
        raise NotFound(f"no authority has the CBS code {code!r}")
    return AuthorityRead.model_validate(authority)


def authority_names(db: Session) -> list[tuple[str, str, str]]:
    """Every authority as (code, Hebrew name, English name), by Hebrew name: for choosing one in a form."""
    stmt = select(Authority.code, Authority.name_he, Authority.name_en).order_by(Authority.name_he, Authority.code)
    return [(code, he, en) for code, he, en in db.execute(stmt)]


@dataclass(frozen=True)
class AuthorityProfile:
    """What a page on one authority says of it in its heading, in both languages."""

    code: str
    name_he: str
    name_en: str
    type: str
    type_he: str
    district: str
    district_he: str
    population: int | None


def authority_profile(db: Session, *, code: str) -> AuthorityProfile | None:
    """The authority with this CBS code as a page's heading names it; none when there is no such authority."""
    found = db.execute(
        select(*(getattr(Authority, f.name) for f in fields(AuthorityProfile))).where(Authority.code == code)
    ).first()
    return AuthorityProfile(*found) if found is not None else None


def district_names(db: Session) -> list[tuple[str, str]]:
    """Every district as (its English name, the key reports use; its Hebrew name), by Hebrew name."""
    stmt = select(Authority.district, Authority.district_he).distinct().order_by(Authority.district_he)
    return [(en, he) for en, he in db.execute(stmt)]
