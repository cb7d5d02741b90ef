"""Rule 2: which completions of a programme count, for a requirement or for enrolling again."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from dateutil.relativedelta import relativedelta


class CompletionSource(StrEnum):
    """How a completion came about."""

    COHORT = "cohort"
    DECISION = "decision"
    IMPORT = "import"


def still_valid(completed_on: date, *, validity_years: int | None, on: date) -> bool:
    """Whether a completion is still within the programme's validity on a date (no validity: for ever)."""
    return validity_years is None or completed_on + relativedelta(years=validity_years) >= on


def completion_counts(
    completed_on: date, *, appointment_start: date, appointment_end: date | None, validity_years: int | None
) -> bool:
    """Rule 2: a completion during the appointment counts; an earlier one carries over while still valid on the
    appointment's start."""
    if completed_on >= appointment_start:
        return appointment_end is None or completed_on <= appointment_end
    return still_valid(completed_on, validity_years=validity_years, on=appointment_start)


def decision_date_problem(completed_on: date, *, today: date) -> str | None:
    """A completion recorded by decision is dated when it happened, never in the future."""
    if completed_on > today:
        return f"{completed_on} is in the future"
    return None
