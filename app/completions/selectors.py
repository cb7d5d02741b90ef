"""Reading completions: an official's, and whether one still counts for enrolling again."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.completions.models import Completion
from app.completions.rules import still_valid
from app.completions.schemas import CompletionRead
from app.officials.selectors import get_official
from app.programmes.models import Programme


def read_completions(db: Session, ids: list[int]) -> list[CompletionRead]:
    """The completions with these ids, oldest first, with their programme's code."""
    stmt = (
        select(Completion, Programme.code)
        .join(Programme, Programme.id == Completion.programme_id)
        .where(Completion.id.in_(ids))
        .order_by(Completion.completed_on, Completion.id)
    )
    return [
        CompletionRead(
            id=c.id,
            official_id=c.official_id,
            programme_code=code,
            completed_on=c.completed_on,
            source=c.source,
            reason=c.reason,
            created_at=c.created_at,
        )
        for c, code in db.execute(stmt)
    ]


def official_completions(db: Session, *, official_id: int, actor: Principal) -> list[CompletionRead]:
    """An official's completions, oldest first; 404 when the official is outside the caller's scope."""
    get_official(db, official_id=official_id, actor=actor)
    ids = list(db.scalars(select(Completion.id).where(Completion.official_id == official_id)))
    return read_completions(db, ids)


def last_valid_completion(
    db: Session, *, official_id: int, programme_id: int, validity_years: int | None, on: date
) -> date | None:
    """The latest completion of the programme by the official still valid on the date (rule 2), if any."""
    done = db.scalars(
        select(Completion.completed_on).where(
            Completion.official_id == official_id, Completion.programme_id == programme_id
        )
    ).all()
    valid = [d for d in done if still_valid(d, validity_years=validity_years, on=on)]
    return max(valid) if valid else None
