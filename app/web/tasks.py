"""Jobs of the web layer on the task queue (see app/jobs.py): every night, the server-side sessions that have run
out are deleted (each one is refused as soon as it runs out; this only clears the table)."""

from __future__ import annotations

from app import jobs
from app.db import get_sessionmaker
from app.web import sessions


@jobs.task("web.purge_expired_sessions")
def purge_expired_sessions() -> int:
    """Delete every page session that has run out; how many."""
    with get_sessionmaker().begin() as db:
        return sessions.purge_expired_sessions(db)
