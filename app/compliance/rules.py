"""The rules of the two-year window and of a requirement's status as of a date (rules 1-4, docs/rules.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

WINDOW_MONTHS = 24
DUE_SOON_DAYS = 90
STATUSES = ("not_started", "in_progress", "completed", "overdue", "exempt", "closed")


def add_months(start: date, months: int) -> date:
    """The same day of month `months` later; where that day does not exist, the month's last day."""
    return start + relativedelta(months=months)


def due_date_for(appointment_start: date) -> date:
    """Rule 1: a requirement is due 24 calendar months after the appointment's start."""
    return add_months(appointment_start, WINDOW_MONTHS)


def completion_counts(
    completed_on: date, *, appointment_start: date, appointment_end: date | None, validity_years: int | None
) -> bool:
    """Rule 2: a completion during the appointment counts; an earlier one carries over while still valid."""
    if completed_on >= appointment_start:
        return appointment_end is None or completed_on <= appointment_end
    if validity_years is None:
        return True
    return completed_on + relativedelta(years=validity_years) >= appointment_start


@dataclass(frozen=True)
class Decision:
    """An approved extension (new_due_date set) or exemption, effective from its decision date."""

    decided_on: date
    new_due_date: date | None = None


@dataclass(frozen=True)
class RequirementFacts:
    """Everything rule 3 needs to know about one requirement."""

    appointment_start: date
    appointment_end: date | None
    due_date: date
    validity_years: int | None = None
    completions: tuple[date, ...] = ()
    enrolled_cohort_ends: tuple[date, ...] = ()
    extensions: tuple[Decision, ...] = ()
    exemptions: tuple[Decision, ...] = ()


@dataclass(frozen=True)
class RequirementStatus:
    """A requirement's standing as of a date."""

    status: str
    due_date: date
    due_soon: bool = False
    late: bool = False
    completed_on: date | None = None
    exists: bool = True


def effective_due_date(base_due: date, extensions: Iterable[Decision], as_of: date) -> date:
    """Rule 4: the latest approved extension decided on or before the date, else the base due date."""
    due = base_due
    for ext in extensions:
        if ext.decided_on <= as_of and ext.new_due_date is not None and ext.new_due_date > due:
            due = ext.new_due_date
    return due


def status_as_of(facts: RequirementFacts, as_of: date) -> RequirementStatus:
    """Rule 3: the first of completed, exempt, closed, overdue, in_progress, not_started that holds."""
    due = effective_due_date(facts.due_date, facts.extensions, as_of)
    exists = facts.appointment_start <= as_of
    counting = sorted(
        c
        for c in facts.completions
        if c <= as_of
        and completion_counts(
            c,
            appointment_start=facts.appointment_start,
            appointment_end=facts.appointment_end,
            validity_years=facts.validity_years,
        )
    )
    if counting:
        done = counting[0]
        return RequirementStatus("completed", due, late=done > due, completed_on=done, exists=exists)
    if any(e.decided_on <= as_of for e in facts.exemptions):
        return RequirementStatus("exempt", due, exists=exists)
    if facts.appointment_end is not None and facts.appointment_end < as_of:
        return RequirementStatus("closed", due, exists=exists)
    if as_of > due:
        return RequirementStatus("overdue", due, exists=exists)
    soon = (due - as_of).days <= DUE_SOON_DAYS
    if any(end >= as_of for end in facts.enrolled_cohort_ends):
        return RequirementStatus("in_progress", due, due_soon=soon, exists=exists)
    return RequirementStatus("not_started", due, due_soon=soon, exists=exists)


REASON_CODES = ("equivalent_prior_training", "acting_appointment", "short_tenure", "other")


def decision_date_problem(decided_on: date, *, today: date) -> str | None:
    """Rule 4: a decision takes effect on its date, which may be past (a paper decision) but never future."""
    if decided_on > today:
        return f"{decided_on} is in the future; a decision takes effect on the day it was made"
    return None


def extension_problem(requested_due_date: date, *, current_due_date: date) -> str | None:
    """Rule 4: an extension must move the due date later than the one in force."""
    if requested_due_date <= current_due_date:
        return f"{requested_due_date} is not later than the due date in force, {current_due_date}"
    return None
