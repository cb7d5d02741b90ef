"""Jobs of surveys on the task queue (see app/jobs.py), periodic (app/schedule.py): every morning, the short survey
of each meeting that has ended, to its attendees. Idempotent: a meeting has one survey at most, and a message's key
is unique, so a rerun, a retry or a second worker sends nothing twice."""

from __future__ import annotations

from app import jobs
from app.clock import today
from app.db import get_sessionmaker
from app.surveys import service


@jobs.task("surveys.after_meetings")
def after_meetings() -> int:
    """Make and send the short surveys of the meetings that ended; how many surveys were made."""
    with get_sessionmaker().begin() as db:
        return service.send_after_meeting_surveys(db, as_of=today())
