"""The worked cases of rules 1-4 (tests/data/requirement-cases.csv) as a table test of the pure rules."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from app.compliance.rules import (
    Decision,
    RequirementFacts,
    decision_date_problem,
    extension_length_problem,
    extension_limit,
    status_as_of,
)
from app.officials.rules import add_months, due_date_for

CASES = list(csv.DictReader((Path(__file__).parents[1] / "data" / "requirement-cases.csv").open(encoding="utf-8")))


def _d(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def facts_of(case: dict[str, str]) -> RequirementFacts:
    """The rule's inputs from one row of the table."""
    start = _d(case["appointment_start"])
    assert start is not None
    return RequirementFacts(
        appointment_start=start,
        appointment_end=_d(case["appointment_end"]),
        due_date=due_date_for(start),
        validity_years=int(case["validity_years"]) if case["validity_years"] else None,
        completions=tuple(c for c in (_d(case["prior_completion"]), _d(case["completion"])) if c),
        enrolled_cohort_ends=tuple(c for c in (_d(case["cohort_end"]),) if c),
        extensions=(Decision(_d(case["extension_decided_on"]), _d(case["extension_to"])),)  # type: ignore[arg-type]
        if case["extension_to"]
        else (),
        exemptions=(Decision(_d(case["exemption_decided_on"])),) if case["exemption_decided_on"] else (),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("case", CASES, ids=[f"{c['case']}-{c['note']}" for c in CASES])
def test_worked_case(case: dict[str, str]) -> None:
    result = status_as_of(facts_of(case), _d(case["as_of"]))  # type: ignore[arg-type]
    assert result.due_date.isoformat() == case["due_date"]
    assert result.status == case["status"]
    assert str(result.due_soon).lower() == case["due_soon"]
    assert str(result.late).lower() == case["late"]


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (date(2024, 2, 29), date(2026, 2, 28)),
        (date(2023, 8, 31), date(2025, 8, 31)),
        (date(2024, 1, 31), date(2026, 1, 31)),
        (date(2022, 12, 31), date(2024, 12, 31)),
        (date(2024, 3, 1), date(2026, 3, 1)),
    ],
)
def test_due_date_is_24_calendar_months(start: date, due: date) -> None:
    assert due_date_for(start) == due


def test_month_end_clamps() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)


def test_completion_after_the_appointment_ended_does_not_count_for_it() -> None:
    facts = RequirementFacts(
        appointment_start=date(2023, 1, 1),
        appointment_end=date(2023, 6, 30),
        due_date=date(2025, 1, 1),
        completions=(date(2023, 9, 1),),
    )
    assert status_as_of(facts, date(2024, 1, 1)).status == "closed"


def test_earliest_counting_completion_decides_lateness() -> None:
    facts = RequirementFacts(
        appointment_start=date(2023, 1, 1),
        appointment_end=None,
        due_date=date(2025, 1, 1),
        completions=(date(2025, 6, 1), date(2024, 6, 1)),
    )
    result = status_as_of(facts, date(2025, 7, 1))
    assert (result.status, result.late, result.completed_on) == ("completed", False, date(2024, 6, 1))


def test_requirement_does_not_exist_before_its_appointment_starts() -> None:
    facts = RequirementFacts(appointment_start=date(2025, 1, 1), appointment_end=None, due_date=date(2027, 1, 1))
    assert status_as_of(facts, date(2024, 12, 31)).exists is False
    assert status_as_of(facts, date(2025, 1, 1)).exists is True


@pytest.mark.parametrize(
    ("decided_on", "requested_on", "today", "refused"),
    [
        (date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 10), False),  # the day it was filed
        (date(2026, 3, 10), date(2026, 3, 1), date(2026, 3, 10), False),  # today
        (date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 10), True),  # before the request
        (date(1, 1, 1), date(2026, 3, 1), date(2026, 3, 10), True),
        (date(2026, 3, 11), date(2026, 3, 1), date(2026, 3, 10), True),  # future
    ],
)
def test_decision_date(decided_on: date, requested_on: date, today: date, refused: bool) -> None:
    problem = decision_date_problem(decided_on, requested_on=requested_on, today=today)
    assert (problem is not None) == refused


@pytest.mark.parametrize(
    ("requested", "current", "months", "refused"),
    [
        (date(2027, 3, 1), date(2026, 3, 1), 12, False),  # exactly the cap
        (date(2027, 3, 2), date(2026, 3, 1), 12, True),
        (date(2027, 2, 28), date(2026, 2, 28), 12, False),
        (date(2025, 2, 28), date(2024, 2, 29), 12, False),  # 29 Feb + 12 months: 28 Feb
        (date(2025, 3, 1), date(2024, 2, 29), 12, True),
        (date(2026, 9, 1), date(2026, 3, 1), 6, False),
        (date(2026, 9, 2), date(2026, 3, 1), 6, True),
        (date(9999, 12, 31), date(2026, 3, 1), 12, True),
    ],
)
def test_extension_length(requested: date, current: date, months: int, refused: bool) -> None:
    problem = extension_length_problem(requested, current_due_date=current, max_months=months)
    assert (problem is not None) == refused


def test_extension_limit_is_calendar_months_after_the_due_date_in_force() -> None:
    assert extension_limit(date(2026, 1, 31), max_months=1) == date(2026, 2, 28)
    assert extension_limit(date(2026, 3, 1), max_months=12) == date(2027, 3, 1)
