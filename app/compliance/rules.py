"""The rules of a requirement's status as of a date (rule 3) and of extensions and exemptions (rule 4).

Rule 1, the two-year window, is `app.officials.rules.due_date_for`; rule 2, which completions count, is
`app.completions.rules.completion_counts` (docs/rules.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.completions.rules import completion_counts
from app.officials.rules import add_months

DUE_SOON_DAYS = 90


class RequirementStatus(StrEnum):
    """A requirement's status as of a date (rule 3)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    OVERDUE = "overdue"
    EXEMPT = "exempt"
    CLOSED = "closed"


# Nothing more can happen to a requirement in these: no request is taken on it.
SETTLED = frozenset({RequirementStatus.COMPLETED, RequirementStatus.EXEMPT, RequirementStatus.CLOSED})


class RequestKind(StrEnum):
    """What a request asks for (rule 4)."""

    EXTENSION = "extension"
    EXEMPTION = "exemption"


class RequestState(StrEnum):
    """Where a request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class ReasonCode(StrEnum):
    """Why an exemption is asked for: the fixed list."""

    EQUIVALENT_PRIOR_TRAINING = "equivalent_prior_training"
    ACTING_APPOINTMENT = "acting_appointment"
    SHORT_TENURE = "short_tenure"
    OTHER = "other"


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
class Standing:
    """A requirement's standing as of a date."""

    status: RequirementStatus
    due_date: date
    due_soon: bool = False
    late: bool = False
    completed_on: date | None = None
    exists: bool = True


S = RequirementStatus


def effective_due_date(base_due: date, extensions: Iterable[Decision], as_of: date) -> date:
    """Rule 4: the latest approved extension decided on or before the date, else the base due date."""
    due = base_due
    for ext in extensions:
        if ext.decided_on <= as_of and ext.new_due_date is not None and ext.new_due_date > due:
            due = ext.new_due_date
    return due


def status_as_of(facts: RequirementFacts, as_of: date) -> Standing:
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
        return Standing(S.COMPLETED, due, late=done > due, completed_on=done, exists=exists)
    if any(e.decided_on <= as_of for e in facts.exemptions):
        return Standing(S.EXEMPT, due, exists=exists)
    if facts.appointment_end is not None and facts.appointment_end < as_of:
        return Standing(S.CLOSED, due, exists=exists)
    if as_of > due:
        return Standing(S.OVERDUE, due, exists=exists)
    soon = (due - as_of).days <= DUE_SOON_DAYS
    if any(end >= as_of for end in facts.enrolled_cohort_ends):
        return Standing(S.IN_PROGRESS, due, due_soon=soon, exists=exists)
    return Standing(S.NOT_STARTED, due, due_soon=soon, exists=exists)


def decision_date_problem(decided_on: date, *, requested_on: date, today: date) -> str | None:
    """Rule 4: a decision takes effect on its date, which may be past (a paper decision) but never future, and
    never before the day its request was filed: a decision dated earlier would rewrite reports already given."""
    if decided_on > today:
        return f"{decided_on} is in the future; a decision takes effect on the day it was made"
    if decided_on < requested_on:
        return f"{decided_on} is before the request was filed, on {requested_on}; a decision comes after its request"
    return None


def extension_problem(requested_due_date: date, *, current_due_date: date) -> str | None:
    """Rule 4: an extension must move the due date later than the one in force."""
    if requested_due_date <= current_due_date:
        return f"{requested_due_date} is not later than the due date in force, {current_due_date}"
    return None


def extension_limit(current_due_date: date, *, max_months: int) -> date:
    """The latest due date an extension may set: `max_months` calendar months after the due date it extends."""
    return add_months(current_due_date, max_months)


def extension_length_problem(requested_due_date: date, *, current_due_date: date, max_months: int) -> str | None:
    """Rule 4: an extension moves the due date in force at most `max_months` calendar months later."""
    limit = extension_limit(current_due_date, max_months=max_months)
    if requested_due_date > limit:
        return (
            f"{requested_due_date} is more than {max_months} months after the due date in force, "
            f"{current_due_date}; the latest an extension may set is {limit}"
        )
    return None


def compliance_rate(counts: Mapping[str, int]) -> float | None:
    """The share of requirements in force (`required`) that are not `overdue`; none when nothing is in force."""
    return round((counts["required"] - counts["overdue"]) / counts["required"], 4) if counts["required"] else None


def on_time_rate(counts: Mapping[str, int]) -> float | None:
    """The share of the requirements in force that are not exempt (`required` - `exempt`) completed by their due
    date (`completed_on_time`); none when there are none."""
    owed = counts["required"] - counts["exempt"]
    return round(counts["completed_on_time"] / owed, 4) if owed > 0 else None
