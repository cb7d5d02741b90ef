"""When the periodic jobs run: the one schedule of the application, which `lms worker` keeps.

Each entry names a job declared in a domain's `tasks.py` (`@jobs.task("domain.verb")`) and when it runs, as a
crontab in the school's time (Asia/Jerusalem). The job takes no arguments and, like every job, is idempotent:
several workers may each queue it at the same minute (run the schedule on one of them: `lms worker --no-periodic`
on the others). To add one, declare the job in its domain's `tasks.py` and add its line here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import huey

from app.config import get_settings

# Given the consumer's minute (naive UTC, as huey hands it over), whether the job runs in it.
Schedule = Callable[[datetime], bool]


def crontab(
    minute: str | int = "*", hour: str | int = "*", day: str | int = "*", month: str | int = "*",
    day_of_week: str | int = "*",
) -> Schedule:  # fmt: skip
    """A schedule written as a crontab in the school's time (LMS_TIMEZONE), whatever the clock of the machine;
    day_of_week 0 is Sunday."""
    matches = huey.crontab(str(minute), str(hour), str(day), str(month), str(day_of_week), strict=True)

    def runs_at(timestamp: datetime) -> bool:
        school = ZoneInfo(get_settings().timezone)
        return bool(matches(timestamp.replace(tzinfo=UTC).astimezone(school).replace(tzinfo=None)))

    return runs_at


PERIODIC: dict[str, Schedule] = {
    # Every minute: send the outbox's messages that are due (their retries, and those a dead worker left).
    "notifications.send_outbox": crontab(),
    # Every hour: queue again the PDFs of valid certificates whose rendering failed every retry.
    "certificates.render_missing": crontab(minute=20),
    # Every morning: the deadline reminders and the sessions' reminders due today (docs/rules.md, rule 9).
    "reminders.run": crontab(minute=0, hour=7),
    # Every morning: the short survey of each community meeting that has ended, to those who attended it.
    "surveys.after_meetings": crontab(minute=10, hour=7),
    # Every Sunday morning: the weekly digests to the liaisons and the admins.
    "reminders.digests": crontab(minute=30, hour=7, day_of_week=0),
    # Every night: delete the page sessions that have run out.
    "web.purge_expired_sessions": crontab(minute=40, hour=3),
}
