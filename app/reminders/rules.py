"""The reminder rule (docs/rules.md, rule 9): the milestones of an open requirement and which one is due on a run.

A requirement that is open (not started, in progress or overdue, rule 3) has milestones: some months before its
due date (6, 3 and 1 by default), the day it becomes overdue (the day after its due date: rule 3 makes it overdue
when the date is after it), then every month while it stays overdue. A run as of a date sends at most one of them:
the latest milestone reached by that date, and only within the grace days after it (a worker down for a week sends
what fell due meanwhile once, but the "6 months before" of a requirement already 2 months from due is never sent
late: the "3 months before" superseded it). The same rule, with milestones a week and a day before, decides the
reminders of a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.officials.rules import add_months

DEFAULT_MONTHS_BEFORE = (6, 3, 1)
DEFAULT_OVERDUE_EVERY_MONTHS = 1
DEFAULT_GRACE_DAYS = 14
# The reminders of a session: this many days before it.
SESSION_DAYS_BEFORE = (7, 1)


@dataclass(frozen=True)
class Milestone:
    """A day on which a reminder is due: its name (in the message's key), its date, and whether it is one of an
    overdue requirement (those are copied to the authority's liaisons)."""

    name: str
    on: date
    overdue: bool = False
    months_before: int = 0


@dataclass(frozen=True)
class Schedule:
    """When the reminders of a requirement fall: months before its due date, every how many months while overdue,
    and how many days late a missed one may still go."""

    months_before: tuple[int, ...] = DEFAULT_MONTHS_BEFORE
    overdue_every_months: int = DEFAULT_OVERDUE_EVERY_MONTHS
    grace_days: int = DEFAULT_GRACE_DAYS


def parse_months(text: str) -> tuple[int, ...]:
    """ "6,3,1" as the months before a due date, largest first; a value that is not a positive whole number, or
    none at all, is refused (ValueError)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise ValueError("give at least one number of months, such as 6,3,1")
    months = []
    for part in parts:
        if not part.isdigit() or int(part) < 1:
            raise ValueError(f"{part!r} is not a positive whole number of months")
        months.append(int(part))
    return tuple(sorted(set(months), reverse=True))


def overdue_from(due: date) -> date:
    """The day a requirement becomes overdue: the day after its due date (rule 3)."""
    return due + timedelta(days=1)


def deadline_milestones(due: date, *, until: date, schedule: Schedule) -> list[Milestone]:
    """The milestones of a requirement due on `due` that matter on `until`, in date order: those before its due
    date, the day it becomes overdue, and of the monthly ones while overdue, the last two reached by `until` and the
    first after it (the earlier ones are superseded by these)."""
    found = [
        Milestone(f"before-{m}m", add_months(due, -m), months_before=m)
        for m in sorted(schedule.months_before, reverse=True)
    ]
    first_overdue = overdue_from(due)
    found.append(Milestone("overdue", first_overdue, overdue=True))
    every = schedule.overdue_every_months
    months = (until.year - first_overdue.year) * 12 + until.month - first_overdue.month
    k = max(1, months // every - 1)
    while True:
        found.append(Milestone(f"overdue-{k}", add_months(first_overdue, k * every), overdue=True))
        if found[-1].on > until:
            break
        k += 1
    return sorted(found, key=lambda m: m.on)


def due_on(milestones: list[Milestone], *, as_of: date, grace_days: int) -> Milestone | None:
    """The one milestone due on a run as of the date: the latest reached, unless more than the grace days passed
    since it; an earlier one is superseded by it, so never sent late."""
    reached = [m for m in milestones if m.on <= as_of]
    if not reached:
        return None
    latest = reached[-1]
    return latest if (as_of - latest.on).days <= grace_days else None


def deadline_reminder(due: date, *, as_of: date, schedule: Schedule) -> Milestone | None:
    """The reminder of an open requirement due on `due` that a run as of the date sends, if any."""
    return due_on(deadline_milestones(due, until=as_of, schedule=schedule), as_of=as_of, grace_days=schedule.grace_days)


def session_reminder(session_date: date, *, as_of: date, grace_days: int) -> Milestone | None:
    """The reminder of a session that a run as of the date sends, if any: a week before, then a day before, and
    never on or after the day itself."""
    if as_of >= session_date:
        return None
    milestones = [Milestone(f"before-{d}d", session_date - timedelta(days=d)) for d in SESSION_DAYS_BEFORE]
    return due_on(sorted(milestones, key=lambda m: m.on), as_of=as_of, grace_days=grace_days)


def deadline_key(requirement_id: int, milestone: Milestone, due: date) -> str:
    """The key of a deadline reminder: a new due date (an extension) starts afresh."""
    return f"deadline:{requirement_id}:{milestone.name}:{due.isoformat()}"
