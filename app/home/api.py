"""The official's home as JSON: what the home page shows."""

from __future__ import annotations

from app.audit.service import record_read
from app.clock import today
from app.home import selectors
from app.home.schemas import Home
from app.web.deps import Anyone, SessionDep
from app.web.errors import responses
from app.web.pagination import RecordId
from app.web.routing import Router

router = Router(prefix="/api/v1", tags=["officials"])


@router.get("/officials/{official_id}/home", response_model=Home, responses=responses(401, 404, 422))
def official_home(official_id: RecordId, db: SessionDep, actor: Anyone) -> Home:
    """An official's home: each requirement with its status, due date, days left and what to do next (`next.step`:
    done, attend, await_result, waitlisted, enrol, await_cohort), its requests; the official's cohorts with their
    sessions and progress; and their certificates. Within the caller's scope; written to the access log unless the
    official reads their own."""
    home = selectors.official_home(db, official_id=official_id, actor=actor, today=today())
    record_read(db, actor=actor, subject=f"/api/v1/officials/{official_id}/home", official_id=official_id)
    return home
