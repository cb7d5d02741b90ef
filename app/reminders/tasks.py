"""Jobs of reminders on the task queue (see app/jobs.py), both periodic (app/schedule.py): every morning, the
reminders due that day; every Sunday, the weekly digests. Both are idempotent: a message's key is unique, so a
rerun, a retry or a second worker queues nothing twice. `lms reminders run --as-of DATE` does what they do."""

from __future__ import annotations

from app import jobs
from app.clock import today
from app.db import get_sessionmaker
from app.reminders import service


@jobs.task("reminders.run")
def run() -> dict[str, int]:
    """Queue the deadline and session reminders due today (and, on Sunday, the digests); the new ones by kind."""
    with get_sessionmaker().begin() as db:
        report = service.run_reminders(db, as_of=today())
    return dict(report.queued)


@jobs.task("reminders.digests")
def digests() -> dict[str, int]:
    """Queue this week's digests to the liaisons and the admins; the new ones by kind."""
    with get_sessionmaker().begin() as db:
        report = service.queue_digests(db, as_of=today())
    return dict(report.queued)
