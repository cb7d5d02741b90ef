"""What an official should do next about a requirement: one rule, read by the home page and its API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.cohorts.rules import EnrolmentStatus
from app.compliance.rules import SETTLED, RequirementStatus


class Step(StrEnum):
    """The next thing an official does about a requirement."""

    DONE = "done"  # completed, exempt or closed: nothing to do
    ATTEND = "attend"  # enrolled: attend the next session, on `on`
    AWAIT_RESULT = "await_result"  # enrolled and every session held: the school closes the cohort
    WAITLISTED = "waitlisted"  # on a cohort's waitlist, at `position`
    ENROL = "enrol"  # not enrolled, and a cohort of the programme is open: enrol in it (it starts on `on`)
    AWAIT_COHORT = "await_cohort"  # not enrolled, and no cohort of the programme is open yet


@dataclass(frozen=True)
class Place:
    """Where an official stands in a cohort of the requirement's programme."""

    status: EnrolmentStatus
    cohort_id: int
    cohort_code: str
    waitlist_position: int | None
    next_session: date | None  # the next session on or after today, if any


@dataclass(frozen=True)
class OpenCohort:
    """The cohort of a programme that is open for enrolment and starts first, from today on."""

    cohort_id: int
    cohort_code: str
    start_date: date


@dataclass(frozen=True)
class NextStep:
    """What to do next, with what the page needs to say it."""

    step: Step
    on: date | None = None
    cohort_id: int | None = None
    cohort_code: str | None = None
    position: int | None = None


def next_step(status: RequirementStatus, *, place: Place | None, open_cohort: OpenCohort | None) -> NextStep:
    """The next step of a requirement in this status, given the official's place in a cohort of its programme
    (enrolled or waitlisted; None otherwise) and the programme's first open cohort."""
    if status in SETTLED:
        return NextStep(Step.DONE)
    if place is not None and place.status == EnrolmentStatus.ENROLLED:
        if place.next_session is None:
            return NextStep(Step.AWAIT_RESULT, cohort_id=place.cohort_id, cohort_code=place.cohort_code)
        return NextStep(Step.ATTEND, on=place.next_session, cohort_id=place.cohort_id, cohort_code=place.cohort_code)
    if place is not None and place.status == EnrolmentStatus.WAITLISTED:
        return NextStep(
            Step.WAITLISTED, cohort_id=place.cohort_id, cohort_code=place.cohort_code, position=place.waitlist_position
        )
    if open_cohort is not None:
        return NextStep(
            Step.ENROL, on=open_cohort.start_date, cohort_id=open_cohort.cohort_id, cohort_code=open_cohort.cohort_code
        )
    return NextStep(Step.AWAIT_COHORT)


def days_left(due_date: date, *, today: date) -> int:
    """Days from today to the due date: negative once it has passed."""
    return (due_date - today).days
