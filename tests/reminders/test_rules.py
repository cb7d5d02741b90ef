"""Rule 9, the reminder rule, as a table: which one reminder a run as of a date sends, with the grace days after a
milestone (a worker down for a week sends the missed one once) and never a superseded one late."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.officials.rules import add_months
from app.reminders.rules import (
    Milestone,
    Schedule,
    deadline_key,
    deadline_milestones,
    deadline_reminder,
    due_on,
    overdue_from,
    parse_months,
    session_reminder,
)

DEFAULT = Schedule()
DUE = date(2027, 6, 15)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2026, 12, 14), None),  # before the first milestone
        (date(2026, 12, 15), "before-6m"),
        (date(2026, 12, 29), "before-6m"),  # 14 days late: still goes (the worker was down)
        (date(2026, 12, 30), None),  # 15 days late: too late
        (date(2027, 3, 15), "before-3m"),
        (date(2027, 3, 22), "before-3m"),  # a week's jump
        (date(2027, 4, 15), None),  # two months from due: the "6 months before" is never sent late
        (date(2027, 5, 15), "before-1m"),
        (date(2027, 6, 15), None),  # the due date itself: not overdue yet, the 1-month one is a month old
        (date(2027, 6, 16), "overdue"),  # the day after its due date it is overdue (rule 3)
        (date(2027, 6, 30), "overdue"),
        (date(2027, 7, 15), None),
        (date(2027, 7, 16), "overdue-1"),  # monthly while overdue
        (date(2028, 6, 16), "overdue-12"),
    ],
)
def test_which_reminder_a_run_sends(as_of: date, expected: str | None) -> None:
    milestone = deadline_reminder(DUE, as_of=as_of, schedule=DEFAULT)
    assert (milestone.name if milestone else None) == expected


def test_a_clock_jump_sends_what_fell_due_in_between_once() -> None:
    before, after = date(2027, 3, 10), date(2027, 3, 17)
    assert deadline_reminder(DUE, as_of=before, schedule=DEFAULT) is None
    jumped = deadline_reminder(DUE, as_of=after, schedule=DEFAULT)
    assert jumped is not None and jumped.name == "before-3m" and jumped.on == date(2027, 3, 15)
    # The day after, the same milestone again: the same key, so the outbox keeps the first one only.
    again = deadline_reminder(DUE, as_of=date(2027, 3, 18), schedule=DEFAULT)
    assert again is not None and deadline_key(1, again, DUE) == deadline_key(1, jumped, DUE)


def test_milestones_keep_the_day_of_the_month_or_its_last_day() -> None:
    due = date(2027, 8, 31)
    names = {m.name: m.on for m in deadline_milestones(due, until=date(2027, 10, 2), schedule=DEFAULT)}
    assert names["before-6m"] == date(2027, 2, 28)
    assert names["before-1m"] == date(2027, 7, 31)
    assert names["overdue"] == overdue_from(due) == date(2027, 9, 1)
    assert names["overdue-1"] == date(2027, 10, 1)


def test_the_schedule_is_configurable() -> None:
    schedule = Schedule(months_before=(2,), overdue_every_months=3, grace_days=0)
    assert deadline_reminder(DUE, as_of=date(2027, 4, 15), schedule=schedule).name == "before-2m"  # type: ignore[union-attr]
    assert deadline_reminder(DUE, as_of=date(2027, 4, 16), schedule=schedule) is None  # no grace at all
    assert deadline_reminder(DUE, as_of=date(2027, 7, 16), schedule=schedule) is None  # not monthly
    assert deadline_reminder(DUE, as_of=date(2027, 9, 16), schedule=schedule).name == "overdue-1"  # type: ignore[union-attr]


def test_an_extension_starts_afresh() -> None:
    first = deadline_reminder(DUE, as_of=date(2027, 6, 16), schedule=DEFAULT)
    extended = date(2027, 9, 15)
    second = deadline_reminder(extended, as_of=date(2027, 6, 16), schedule=DEFAULT)
    assert first is not None and first.overdue
    assert second is not None and second.name == "before-3m"
    assert deadline_key(7, first, DUE) != deadline_key(7, second, extended)
    assert deadline_key(7, second, extended) == "deadline:7:before-3m:2027-09-15"


@pytest.mark.parametrize(
    ("text", "months"),
    [("6,3,1", (6, 3, 1)), ("1, 3,6", (6, 3, 1)), ("12", (12,)), ("3,3", (3,))],
)
def test_months_before_are_read_from_the_setting(text: str, months: tuple[int, ...]) -> None:
    assert parse_months(text) == months


@pytest.mark.parametrize("text", ["", "6,x", "0", "-1", "6;3"])
def test_bad_months_before_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_months(text)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2027, 1, 12), None),
        (date(2027, 1, 13), "before-7d"),
        (date(2027, 1, 16), "before-7d"),  # missed by a stopped worker: still before the session, goes late
        (date(2027, 1, 19), "before-1d"),
        (date(2027, 1, 20), None),  # the day itself, and after: nothing
        (date(2027, 1, 21), None),
    ],
)
def test_a_session_is_reminded_a_week_and_a_day_before(as_of: date, expected: str | None) -> None:
    milestone = session_reminder(date(2027, 1, 20), as_of=as_of, grace_days=14)
    assert (milestone.name if milestone else None) == expected


def _every_milestone(due: date, until: date, schedule: Schedule) -> list[Milestone]:
    """Every milestone up to the date, listed one by one (what deadline_milestones shortens)."""
    found = [Milestone(f"before-{m}m", add_months(due, -m), months_before=m) for m in schedule.months_before]
    found.append(Milestone("overdue", overdue_from(due), True))
    k = 1
    while found[-1].on <= until:
        found.append(Milestone(f"overdue-{k}", add_months(overdue_from(due), k * schedule.overdue_every_months), True))
        k += 1
    return sorted(found, key=lambda m: m.on)


@pytest.mark.parametrize("schedule", [DEFAULT, Schedule(months_before=(4, 2), overdue_every_months=2, grace_days=20)])
@pytest.mark.parametrize("due", [date(2027, 6, 15), date(2027, 1, 31), date(2028, 2, 29), date(2026, 12, 31)])
def test_the_shortened_milestones_decide_as_every_milestone_would(due: date, schedule: Schedule) -> None:
    day = add_months(due, -7)
    while day <= add_months(due, 30):
        every = due_on(_every_milestone(due, day, schedule), as_of=day, grace_days=schedule.grace_days)
        assert deadline_reminder(due, as_of=day, schedule=schedule) == every, day
        day += timedelta(days=1)
