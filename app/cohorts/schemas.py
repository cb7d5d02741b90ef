"""Cohorts, sessions and enrolments in and out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.cohorts.rules import CohortState, EnrolmentStatus, SessionMode
from app.programmes.schemas import CODE_MAX_LENGTH, CODE_PATTERN
from app.schemas import MAX_ID, Email, PlanDate


class CohortCreate(BaseModel):
    """A run of a programme; it opens for enrolment unless created `planned`."""

    model_config = ConfigDict(extra="forbid")

    programme_code: str = Field(min_length=1, max_length=40)
    code: str = Field(pattern=CODE_PATTERN, max_length=CODE_MAX_LENGTH)
    start_date: PlanDate
    end_date: PlanDate
    capacity: int = Field(ge=1, le=10_000)
    state: Literal[CohortState.PLANNED, CohortState.OPEN] = CohortState.OPEN
    location: str | None = Field(default=None, max_length=300)
    online: bool = Field(default=False, strict=True)
    coordinator_name: str | None = Field(default=None, max_length=200)
    coordinator_email: Email | None = None

    @model_validator(mode="after")
    def _dates(self) -> CohortCreate:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class CohortUpdate(BaseModel):
    """A change to a cohort: dates, capacity, place, coordinator, or state (closing has its own route)."""

    model_config = ConfigDict(extra="forbid")

    start_date: PlanDate | None = None
    end_date: PlanDate | None = None
    capacity: int | None = Field(default=None, ge=1, le=10_000)
    state: Literal[CohortState.PLANNED, CohortState.OPEN, CohortState.RUNNING, CohortState.CANCELLED] | None = None
    location: str | None = Field(default=None, max_length=300)
    online: bool | None = Field(default=None, strict=True)
    coordinator_name: str | None = Field(default=None, max_length=200)
    coordinator_email: Email | None = None

    @model_validator(mode="after")
    def _required_stay(self) -> CohortUpdate:
        for name in ("start_date", "end_date", "capacity", "state", "online"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed")
        return self


class CohortRead(BaseModel):
    """A cohort with its counts."""

    id: int
    code: str
    programme_code: str
    start_date: dt.date
    end_date: dt.date
    capacity: int
    state: CohortState
    location: str | None
    online: bool
    coordinator_name: str | None
    coordinator_email: str | None
    min_attendance_pct: int
    late_credit_pct: int
    required_assessments: list[str]
    scheduled_hours: float
    enrolled: int
    waitlisted: int
    completed: int
    not_completed: int


class SessionCreate(BaseModel):
    """A dated meeting of a cohort."""

    model_config = ConfigDict(extra="forbid")

    date: PlanDate
    hours: float = Field(gt=0, le=24)
    title: str | None = Field(default=None, max_length=300)
    module_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    mode: SessionMode = SessionMode.IN_PERSON
    location: str | None = Field(default=None, max_length=300)


class SessionMove(BaseModel):
    """A session's new date (within the cohort's dates), and maybe its new length in hours."""

    model_config = ConfigDict(extra="forbid")

    date: PlanDate
    hours: float | None = Field(default=None, gt=0, le=24)


class SessionRead(BaseModel):
    """A session of a cohort."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    cohort_id: int
    date: dt.date
    hours: float
    title: str | None
    module_id: int | None
    mode: SessionMode
    location: str | None


class EnrolmentCreate(BaseModel):
    """An official to enrol."""

    model_config = ConfigDict(extra="forbid")

    official_id: int = Field(ge=1, le=MAX_ID)


class BulkEnrolmentCreate(BaseModel):
    """Officials to enrol, by Israeli ID number, in order (past capacity they join the waitlist in this order)."""

    model_config = ConfigDict(extra="forbid")

    national_ids: list[Annotated[str, Field(max_length=20)]] = Field(min_length=1, max_length=1000)


class EnrolmentMove(BaseModel):
    """The cohort (of the same programme) to move an enrolment to."""

    model_config = ConfigDict(extra="forbid")

    cohort_id: int = Field(ge=1, le=MAX_ID)


class EnrolmentRead(BaseModel):
    """An official in a cohort."""

    id: int
    cohort_id: int
    cohort_code: str
    programme_code: str
    official_id: int
    official_name_he: str
    status: EnrolmentStatus
    waitlist_position: int | None
    requirement_id: int | None
    enrolled_on: dt.date
    ended_on: dt.date | None
    attended_hours: float | None
    completed_on: dt.date | None
    decision_reason: str | None


class BulkRow(BaseModel):
    """What happened to one ID of a bulk enrolment."""

    row: int
    national_id: str
    result: Literal[EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED, "refused"]
    enrolment_id: int | None = None
    waitlist_position: int | None = None
    error: str | None = None
    detail: str | None = None


class BulkReport(BaseModel):
    """The per-row report of a bulk enrolment."""

    enrolled: int
    waitlisted: int
    refused: int
    rows: list[BulkRow]
