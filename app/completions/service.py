"""Recording completions of programmes: the one writer of the completions table."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import add_and_record
from app.auth import Principal
from app.clock import now_utc, today
from app.completions.models import Completion
from app.completions.rules import CompletionSource, decision_date_problem
from app.completions.schemas import CompletionCreate, CompletionRead
from app.completions.selectors import read_completions
from app.errors import Conflict, Invalid
from app.officials.service import get_official
from app.programmes.service import require_programme


def record_completion(
    db: Session,
    *,
    official_id: int,
    programme_id: int,
    completed_on: date,
    source: CompletionSource,
    reason: str | None,
    actor: Principal,
    enrolment_id: int | None = None,
) -> Completion:
    """Record that an official completed a programme on a date: by a cohort's close (dated by its last session), or
    by an admin's decision (dated when it happened, never in the future); audited."""
    if source != CompletionSource.COHORT:
        problem = decision_date_problem(completed_on, today=today())
        if problem:
            raise Invalid(f"completed_on: {problem}", field="completed_on")
    completion = Completion(
        official_id=official_id,
        programme_id=programme_id,
        completed_on=completed_on,
        source=source,
        reason=reason,
        enrolment_id=enrolment_id,
        recorded_by_user_id=actor.user_id,
        created_at=now_utc(),
    )
    add_and_record(db, completion, actor=actor, entity_type="completion")
    return completion


def record_completion_by_decision(
    db: Session, *, official_id: int, data: CompletionCreate, actor: Principal
) -> CompletionRead:
    """Record a completion outside any cohort (prior or external training) by an admin's decision, with its reason
    and the date it counts from; the same completion twice is a conflict."""
    official = get_official(db, official_id=official_id, actor=actor)
    programme = require_programme(db, code=data.programme_code)
    duplicate = db.scalar(
        select(Completion.id).where(
            Completion.official_id == official.id,
            Completion.programme_id == programme.id,
            Completion.completed_on == data.completed_on,
        )
    )
    if duplicate is not None:
        raise Conflict(
            f"this completion of {programme.code} on {data.completed_on} is already recorded",
            code="duplicate_completion",
            existing_id=duplicate,
        )
    completion = record_completion(
        db,
        official_id=official.id,
        programme_id=programme.id,
        completed_on=data.completed_on,
        source=CompletionSource.DECISION,
        reason=data.reason,
        actor=actor,
    )
    return read_completions(db, [completion.id])[0]
