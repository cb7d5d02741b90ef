"""Attendance, assessment results, completion decisions and the closing of a cohort, in and out."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.attendance.rules import AttendanceStatus, minutes_late_error
from app.cohorts.rules import EnrolmentStatus
from app.schemas import MAX_ID, FactDate
from app.text import clean_text

RowResult = Literal["created", "updated", "unchanged", "refused"]


def _clean_note(value: str | None) -> str | None:
    if value is None:
        return None
    return clean_text(value) or None


MINUTES_LATE_DESCRIPTION = (
    "How late a late arrival was, in whole minutes from 1 to the session's length: the record then counts for the "
    "session's hours less these minutes (never below 0) instead of the cohort's late share. Only a `late` record "
    "carries minutes (sent with any other status: 422). Left out or null: the record keeps no minutes, so a late "
    "arrival counts for the cohort's late share; a record changed away from late loses its minutes."
)


class AttendanceIn(BaseModel):
    """One official's attendance at the session; a note left out keeps the note already recorded, minutes late left
    out are none."""

    model_config = ConfigDict(extra="forbid")

    official_id: int = Field(ge=1, le=MAX_ID)
    status: AttendanceStatus = Field(
        description="present, late (counts for the cohort's late share, or the time attended given minutes_late), "
        "excused, absent"
    )
    note: str | None = Field(default=None, max_length=2000, description="Sent as null or empty: the note is removed.")
    minutes_late: int | None = Field(default=None, ge=1, le=100_000, description=MINUTES_LATE_DESCRIPTION)

    _note = field_validator("note")(_clean_note)

    @field_validator("minutes_late")
    @classmethod
    def _only_late(cls, value: int | None, info: ValidationInfo) -> int | None:
        status = info.data.get("status")
        why = minutes_late_error(status, value) if status is not None else None
        if why is not None:
            raise ValueError(why)
        return value


class AttendanceSheet(BaseModel):
    """The attendance of a session, for the whole cohort in one request."""

    model_config = ConfigDict(extra="forbid")

    records: list[AttendanceIn] = Field(min_length=1, max_length=5000)


class AttendanceRowReport(BaseModel):
    """What happened to one row: written (created or updated), left unchanged, or refused and why."""

    row: int = Field(description="The row's number: its place in `records` from 1, or its line in the sheet.")
    official_id: int | None = None
    national_id: str | None = Field(default=None, description="Imports: the ID as normalised, or as written.")
    session_id: int | None = None
    status: AttendanceStatus | None = None
    minutes_late: int | None = Field(default=None, description="The minutes late the row gives, if any.")
    result: RowResult
    record_id: int | None = None
    error: str | None = Field(default=None, examples=["not_enrolled"])
    detail: str | None = None


class AttendanceReport(BaseModel):
    """The per-row report of a bulk attendance write: rows that are fine are written, the others refused."""

    created: int
    updated: int
    unchanged: int
    refused: int
    rows: list[AttendanceRowReport]


class AttendanceRead(BaseModel):
    """An official's attendance at a session."""

    id: int
    session_id: int
    session_date: dt.date
    enrolment_id: int
    official_id: int
    official_name_he: str
    status: AttendanceStatus
    note: str | None
    minutes_late: int | None = Field(default=None, description="How late a late arrival was, when recorded.")
    recorded_at: dt.datetime
    recorded_by_user_id: int | None


class AssessmentResultIn(BaseModel):
    """The result of a required assessment: passed or not, and an optional grade."""

    model_config = ConfigDict(extra="forbid")

    passed: bool = Field(strict=True)
    grade: float | None = Field(default=None, ge=0, le=100)
    note: str | None = Field(default=None, max_length=2000)

    _note = field_validator("note")(_clean_note)


class AssessmentResultRead(BaseModel):
    """A required assessment of the enrolment's cohort, with its result (null fields: none recorded yet)."""

    enrolment_id: int
    code: str
    title_he: str
    title_en: str
    passed: bool | None
    grade: float | None
    note: str | None
    recorded_at: dt.datetime | None


class CompletionDecisionIn(BaseModel):
    """Completion of an enrolment by an admin's decision: the date it counts from, and why."""

    model_config = ConfigDict(extra="forbid")

    completed_on: FactDate = Field(description="Not in the future, and not before the cohort's start.")
    reason: str = Field(min_length=3, max_length=2000)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        value = clean_text(value)
        if len(value) < 3:
            raise ValueError("must say why, in at least 3 characters")
        return value


class CloseItem(BaseModel):
    """The outcome of one enrolment that held a seat when the cohort was closed."""

    enrolment_id: int
    official_id: int
    official_name_he: str
    result: Literal[EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED]
    attended_hours: float
    completed_on: dt.date | None = Field(description="The date of the cohort's last session, for those completed.")
    by_decision: bool = Field(description="Completed earlier by an admin's decision, not by the rules.")
    reasons: list[str] = Field(description="Why the rules were not met; empty when completed.")


class CloseReport(BaseModel):
    """The outcome of closing a cohort, one item per enrolment that held a seat."""

    cohort_id: int
    closed_on: dt.date = Field(description="The date of the last session: completions count from it.")
    scheduled_hours: float
    required_hours: float
    withdrawn_from_waitlist: int
    items: list[CloseItem]
    total: int


class SessionProgress(BaseModel):
    """One session of the cohort and the official's attendance at it (null: not recorded)."""

    session_id: int
    date: dt.date
    hours: float
    status: AttendanceStatus | None
    note: str | None
    attended_hours: float
    minutes_late: int | None = Field(default=None, description="How late a late arrival was, when recorded.")


class ProgressRead(BaseModel):
    """Where an enrolment stands against the cohort's completion rules."""

    enrolment_id: int
    cohort_id: int
    official_id: int
    status: str
    min_attendance_pct: int
    late_credit_pct: int
    scheduled_hours: float
    required_hours: float
    attended_hours: float
    sessions: list[SessionProgress]
    assessments: list[AssessmentResultRead]
