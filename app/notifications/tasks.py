"""Jobs of notifications on the task queue (see app/jobs.py): send what is due in the outbox. Queueing messages asks
for it once their transaction commits, and the schedule runs it every minute (the retries, and whatever a worker
that died left behind). Like every job it is idempotent: a message claimed or sent is not sent again."""

from __future__ import annotations

from app import jobs
from app.notifications.sender import send_all_due


@jobs.task("notifications.send_outbox", retries=0)
def send_outbox() -> int:
    """Send the messages due now; how many were sent."""
    return send_all_due().sent
