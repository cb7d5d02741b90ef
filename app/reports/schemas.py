"""The records people look at: transcript, attendance matrix, professional development hours."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

from app.cohorts.rules import EnrolmentStatus
from app.programmes.rules import ProgrammeKind


class TranscriptRow(BaseModel):
    """One programme an official took: in a cohort, or a completion recorded by decision."""

    programme_code: str
    programme_title_he: str
    programme_title_en: str
    kind: Literal[ProgrammeKind.MANDATORY, ProgrammeKind.ADVANCED]
    cohort_code: str | None
    cohort_start: date | None
    cohort_end: date | None
    scheduled_hours: float | None
    attended_hours: float | None
    result: Literal[
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.WAITLISTED,
        EnrolmentStatus.WITHDRAWN,
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.NOT_COMPLETED,
    ]
    completed_on: date | None
    by_decision: bool
    decision_reason: str | None


class Transcript(BaseModel):
    """An official's training record across all appointments."""

    official_id: int
    national_id: str
    name_he: str
    name_en: str | None
    items: list[TranscriptRow]
    total: int


class MatrixRow(BaseModel):
    """One official's attendance in a cohort: a status per session (null where none is recorded) and totals."""

    enrolment_id: int
    official_id: int
    name_he: str
    enrolment_status: str
    statuses: list[str | None]
    attended_hours: float
    attended_pct: float


class MatrixSession(BaseModel):
    """A column of the matrix."""

    id: int
    date: date
    hours: float
    title: str | None


class AttendanceMatrix(BaseModel):
    """A cohort's attendance: officials x sessions, with totals."""

    cohort_id: int
    cohort_code: str
    scheduled_hours: float
    min_attendance_pct: int
    late_credit_pct: int
    sessions: list[MatrixSession]
    items: list[MatrixRow]
    total: int


class CpdYear(BaseModel):
    """Hours of completed advanced programmes in one calendar year."""

    year: int
    hours: float
    programmes: list[str]


class CpdSummary(BaseModel):
    """An official's continuing professional development, by year."""

    official_id: int
    total_hours: float
    items: list[CpdYear]
    total: int
