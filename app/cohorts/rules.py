"""Rules of cohorts and enrolment: states, who may enrol, and from when an enrolment counts."""

from __future__ import annotations

from datetime import date

# planned -> open -> running -> closed, and any state but closed -> cancelled.
TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"open", "cancelled"}),
    "open": frozenset({"planned", "running", "cancelled"}),
    "running": frozenset({"open", "cancelled"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}
ENROLLING_STATES = frozenset({"open", "running"})
ACTIVE_ENROLMENT = frozenset({"enrolled", "waitlisted"})
HOLDING_SEAT = ("enrolled", "completed", "not_completed")


def can_move(current: str, target: str) -> bool:
    """Whether a cohort may go from one state to another (closing has its own route)."""
    return target in TRANSITIONS[current]


def enrolment_counts_from(*, today: date, cohort_start: date) -> date:
    """An enrolment counts from the day it is made, or from the cohort's start when recorded after the fact."""
    return min(today, cohort_start)
