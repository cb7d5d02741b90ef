"""Rules of cohorts and enrolment: states, who may enrol, and from when an enrolment counts."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class CohortState(StrEnum):
    """Where a cohort is in its life."""

    PLANNED = "planned"
    OPEN = "open"
    RUNNING = "running"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class EnrolmentStatus(StrEnum):
    """Where an official stands in a cohort."""

    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"


class SessionMode(StrEnum):
    """Where a session meets."""

    IN_PERSON = "in_person"
    ONLINE = "online"


S = CohortState
# planned -> open -> running -> closed, and any state but closed -> cancelled.
TRANSITIONS: dict[CohortState, frozenset[CohortState]] = {
    S.PLANNED: frozenset({S.OPEN, S.CANCELLED}),
    S.OPEN: frozenset({S.PLANNED, S.RUNNING, S.CANCELLED}),
    S.RUNNING: frozenset({S.OPEN, S.CANCELLED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
ENROLLING_STATES = frozenset({S.OPEN, S.RUNNING})
# Closed (decided) or cancelled: a cohort that no longer changes.
FINISHED_STATES = frozenset({S.CLOSED, S.CANCELLED})
# States of a cohort that still offers seats (planned, enrolling or running).
SCHEDULED_STATES = (S.PLANNED, S.OPEN, S.RUNNING)
ACTIVE_ENROLMENT = frozenset({EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED})
# Enrolments that hold a seat: enrolled, and those already decided (completed or not) who keep theirs.
HOLDING_SEAT = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED)


def can_move(current: str, target: str) -> bool:
    """Whether a cohort may go from one state to another (closing has its own route)."""
    return target in TRANSITIONS[CohortState(current)]


def enrolment_counts_from(*, today: date, cohort_start: date) -> date:
    """An enrolment counts from the day it is made, or from the cohort's start when recorded after the fact."""
    return min(today, cohort_start)
